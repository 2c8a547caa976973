using Alerting.Engine.Pipeline;
using Alerting.Protocol.Log;

namespace Alerting.Server.Tests.Client;

/// <summary>
/// A stage and commit index for a server under test: the commit index follows what the journaler
/// appended until the first client batch arrives, then holds (that batch is journaled but not
/// applied, so its ack is pending) until <see cref="Release"/>. Each client batch entry's index is
/// reported through <see cref="ClientEntries"/>.
/// </summary>
internal sealed class CommitHold : IEntryStage
{
    private readonly object _lock = new();
    private readonly List<long> _clientEntries = [];
    private readonly List<TaskCompletionSource<long>> _waiters = [];
    private long _lastJournaled;
    private bool _holding;
    private bool _released;

    public CommitGate Gate { get; } = new();

    public string Name => "commit-hold";

    /// <summary>Completes when the <paramref name="count"/>-th client batch entry (1-based) is journaled, with its index.</summary>
    public Task<long> ClientEntry(int count)
    {
        lock (_lock)
        {
            while (_waiters.Count < count)
            {
                _waiters.Add(new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            return _waiters[count - 1].Task;
        }
    }

    public void OnJournaled(in JournaledEntry entry)
    {
        var logEntry = LogEntry.Parser.ParseFrom(entry.Payload.Span);
        var isClientBatch = logEntry.Points?.Client is not null || logEntry.CheckRuns?.Client is not null;
        lock (_lock)
        {
            _lastJournaled = entry.Index;
            if (isClientBatch)
            {
                _holding |= !_released;
                _clientEntries.Add(entry.Index);
                ClientEntry(_clientEntries.Count);
                _waiters[_clientEntries.Count - 1].TrySetResult(entry.Index);
            }

            if (!_holding)
            {
                Gate.Publish(entry.Index);
            }
        }
    }

    public void OnBatchEnd()
    {
    }

    /// <summary>Lets everything journaled so far, and everything after, be applied.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _holding = false;
            _released = true;
            Gate.Publish(_lastJournaled);
        }
    }
}
