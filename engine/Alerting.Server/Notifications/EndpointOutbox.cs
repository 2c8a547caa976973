using Alerting.Notifications;

namespace Alerting.Server.Notifications;

/// <summary>
/// The outbox position of one endpoint: which events it has read from the transition history
/// and which of those are not settled yet (waiting to be queued, queued, in flight, or finished
/// but their <c>NotificationDelivered</c> entry not yet durable). Its <see cref="Cursor"/> is the
/// log index before which every event routed to the endpoint is settled: written into the log,
/// it is where a restart reads on from, and what the history keeps (its pin). Thread-safe.
/// </summary>
public sealed class EndpointOutbox
{
    private readonly object _gate = new();
    private readonly SortedDictionary<(long LogIndex, long Sequence), TransitionId> _outstanding = new();
    private readonly Dictionary<TransitionId, (long LogIndex, long Sequence)> _positions = new();
    private long _readBefore;
    private long _retrySequence;
    private int _waitingForRoom;
    private TaskCompletionSource _settled = NewSignal();

    public EndpointOutbox(string endpoint, long readBefore)
    {
        Endpoint = endpoint;
        _readBefore = readBefore;
    }

    public string Endpoint { get; }

    /// <summary>Events read and waiting for queue room (the reader's window), as last measured by the reader.</summary>
    public int WaitingForRoom
    {
        get => Volatile.Read(ref _waitingForRoom);
        set => Volatile.Write(ref _waitingForRoom, value);
    }

    /// <summary>Every event routed here with a log index below this is settled (at least 1: an endpoint's first cursor pins the whole history).</summary>
    public long Cursor
    {
        get
        {
            lock (_gate)
            {
                var cursor = _readBefore;
                if (_outstanding.Count > 0)
                {
                    cursor = Math.Min(cursor, _outstanding.First().Key.LogIndex);
                }

                return Math.Max(cursor, 1);
            }
        }
    }

    /// <summary>Events read and not settled.</summary>
    public int Outstanding
    {
        get
        {
            lock (_gate)
            {
                return _outstanding.Count;
            }
        }
    }

    /// <summary>Completes when an event is settled.</summary>
    public Task WhenSettled
    {
        get
        {
            lock (_gate)
            {
                return _settled.Task;
            }
        }
    }

    /// <summary>Every event below <paramref name="logIndex"/> has been read.</summary>
    public void ReadBefore(long logIndex)
    {
        lock (_gate)
        {
            _readBefore = Math.Max(_readBefore, logIndex);
        }
    }

    /// <summary>An event read at history sequence <paramref name="sequence"/> is outstanding; false when it already was.</summary>
    public bool Track(TransitionId id, long logIndex, long sequence)
    {
        lock (_gate)
        {
            return !_positions.ContainsKey(id) && TrackLocked(id, logIndex, sequence);
        }
    }

    /// <summary>A failed event re-queued by an operator: outstanding again, below the cursor already written (which never moves back).</summary>
    public bool TrackRetry(TransitionId id, long logIndex)
    {
        lock (_gate)
        {
            return !_positions.ContainsKey(id) && TrackLocked(id, logIndex, --_retrySequence);
        }
    }

    /// <summary>The events are settled: their outcome is durable in the log (or they need none).</summary>
    public void Settle(TransitionId id, IReadOnlyList<TransitionId> replaces)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            Remove(id);
            foreach (var replaced in replaces)
            {
                Remove(replaced);
            }

            signal = _settled;
            _settled = NewSignal();
        }

        signal.TrySetResult();
    }

    private bool TrackLocked(TransitionId id, long logIndex, long sequence)
    {
        _positions.Add(id, (logIndex, sequence));
        _outstanding.Add((logIndex, sequence), id);
        return true;
    }

    private void Remove(TransitionId id)
    {
        if (_positions.Remove(id, out var position))
        {
            _outstanding.Remove(position);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
