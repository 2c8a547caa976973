using Alerting.Engine.State;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// The most recent transition events, in log order, with the term of the entry that caused
/// each. Part of the state (and its snapshots), so a subscriber can resume from a log index
/// after a restart or a failover. Only the state-machine thread appends; readers (the API's
/// subscriptions and history queries) copy under the lock and wait for more without polling.
/// </summary>
public sealed class TransitionHistory
{
    /// <summary>Events kept; older ones are dropped, and a resume from before them is refused.</summary>
    public const int DefaultCapacity = 100_000;

    private readonly object _gate = new();
    private readonly HistoryItem[] _ring;
    private long _count;
    private long _dropped;
    private TaskCompletionSource _appended = NewSignal();

    public TransitionHistory(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new HistoryItem[capacity];
    }

    public int Capacity => _ring.Length;

    /// <summary>Log index of the newest event, 0 when there is none.</summary>
    public long NewestIndex
    {
        get
        {
            lock (_gate)
            {
                return _count == 0 ? 0 : _ring[(_count - 1) % _ring.Length].Event.LogIndex;
            }
        }
    }

    /// <summary>
    /// Log index before which events are no longer kept (0 when nothing was dropped): a
    /// subscriber resuming from an index below it would miss events and must be told so.
    /// </summary>
    public long ForgottenBeforeIndex
    {
        get
        {
            lock (_gate)
            {
                return _dropped == 0 ? 0 : _ring[(_count - _ring.Length) % _ring.Length].Event.LogIndex;
            }
        }
    }

    internal void Append(IReadOnlyList<TransitionEvent> events, IReadOnlyList<string> messages, ulong term)
    {
        if (messages.Count != events.Count)
        {
            throw new InvariantViolationException($"every transition event has its rendered message: {events.Count} events, {messages.Count} messages");
        }

        TaskCompletionSource signal;
        lock (_gate)
        {
            for (var i = 0; i < events.Count; i++)
            {
                if (_count >= _ring.Length)
                {
                    _dropped++;
                }

                _ring[_count % _ring.Length] = new HistoryItem(events[i], term, messages[i]);
                _count++;
            }

            signal = _appended;
            _appended = NewSignal();
        }

        signal.TrySetResult();
    }

    /// <summary>
    /// Copies up to <paramref name="max"/> events with a log index above
    /// <paramref name="afterIndex"/> that pass <paramref name="filter"/>, oldest first.
    /// Returns a task that completes when more events are appended.
    /// </summary>
    public Task CopyAfter(long afterIndex, Func<TransitionEvent, bool>? filter, List<HistoryItem> into, int max)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_gate)
        {
            var oldest = Math.Max(0, _count - _ring.Length);
            var start = FirstAfter(afterIndex, oldest);
            for (var i = start; i < _count && into.Count < max; i++)
            {
                var item = _ring[i % _ring.Length];
                if (filter is null || filter(item.Event))
                {
                    into.Add(item);
                }
            }

            return _appended.Task;
        }
    }

    internal void WriteTo(BinaryWriter writer)
    {
        lock (_gate)
        {
            writer.Write(_ring.Length);
            writer.Write(_dropped);
            var kept = (int)Math.Min(_count, _ring.Length);
            writer.Write(kept);
            for (var i = _count - kept; i < _count; i++)
            {
                var (e, term, message) = _ring[i % _ring.Length];
                writer.Write(term);
                writer.Write(message);
                writer.Write(e.MonitorId);
                writer.Write(e.GroupKey);
                writer.Write(e.TransitionNumber);
                writer.Write((byte)e.Previous);
                writer.Write((byte)e.Next);
                writer.Write(e.Value);
                writer.Write(e.Threshold);
                writer.Write(e.TimeMs);
                writer.Write(e.LogIndex);
                writer.Write((byte)e.Reason);
                writer.Write((byte)e.Flags);
                writer.Write(e.Notify);
                writer.Write(e.IsRenotification);
            }
        }
    }

    internal static TransitionHistory ReadFrom(BinaryReader reader)
    {
        var history = new TransitionHistory(reader.ReadInt32());
        var dropped = reader.ReadInt64();
        var kept = reader.ReadInt32();
        var events = new List<TransitionEvent>(1);
        var messages = new List<string>(1);
        for (var i = 0; i < kept; i++)
        {
            var term = reader.ReadUInt64();
            messages.Clear();
            messages.Add(reader.ReadString());
            events.Clear();
            events.Add(new TransitionEvent(
                reader.ReadString(),
                reader.ReadString(),
                reader.ReadUInt64(),
                (AlertState)reader.ReadByte(),
                (AlertState)reader.ReadByte(),
                reader.ReadDouble(),
                reader.ReadDouble(),
                reader.ReadInt64(),
                reader.ReadInt64(),
                (TransitionReason)reader.ReadByte(),
                (GroupFlags)reader.ReadByte(),
                reader.ReadBoolean(),
                reader.ReadBoolean()));
            history.Append(events, messages, term);
        }

        history._dropped = dropped;
        return history;
    }

    /// <summary>Position of the first kept event with a log index above <paramref name="afterIndex"/> (binary search: indexes ascend).</summary>
    private long FirstAfter(long afterIndex, long oldest)
    {
        long lo = oldest;
        long hi = _count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (_ring[mid % _ring.Length].Event.LogIndex <= afterIndex)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>A kept event, the term of the entry that caused it, and its rendered message.</summary>
    public readonly record struct HistoryItem(TransitionEvent Event, ulong Term, string Message);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
