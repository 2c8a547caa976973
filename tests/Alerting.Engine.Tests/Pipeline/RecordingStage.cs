using Alerting.Engine.Pipeline;

namespace Alerting.Engine.Tests.Pipeline;

/// <summary>
/// An <see cref="IEntryStage"/> that records every journaled entry it sees, with the node's
/// applied index at that moment, and lets a test await "seen up to index N".
/// </summary>
internal sealed class RecordingStage(string name = "recorder") : IEntryStage
{
    private readonly Lock _gate = new();
    private readonly List<(long Index, ulong Term, byte[] Payload, long AppliedWhenSeen)> _seen = [];
    private readonly List<(long Index, TaskCompletionSource Signal)> _waiters = [];

    public string Name => name;

    /// <summary>Read to record the applied index when each entry is seen; set before the node starts.</summary>
    public Func<long>? AppliedIndex { get; set; }

    /// <summary>Called with each entry's index after it is recorded (a stand-in replicator publishes its commit here).</summary>
    public Action<long>? OnSeen { get; set; }

    public int BatchEnds { get; private set; }

    public List<(long Index, ulong Term, byte[] Payload, long AppliedWhenSeen)> Seen
    {
        get
        {
            lock (_gate)
            {
                return [.. _seen];
            }
        }
    }

    public void OnJournaled(in JournaledEntry entry)
    {
        var applied = AppliedIndex?.Invoke() ?? -1;
        lock (_gate)
        {
            _seen.Add((entry.Index, entry.Term, entry.Payload.ToArray(), applied));
            foreach (var (index, signal) in _waiters)
            {
                if (entry.Index >= index)
                {
                    signal.TrySetResult();
                }
            }

            _waiters.RemoveAll(w => w.Signal.Task.IsCompleted);
        }

        OnSeen?.Invoke(entry.Index);
    }

    public void OnBatchEnd() => BatchEnds++;

    public Task SeenAsync(long index)
    {
        lock (_gate)
        {
            if (_seen.Count > 0 && _seen[^1].Index >= index)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((index, signal));
            return signal.Task;
        }
    }
}
