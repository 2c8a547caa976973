using Alerting.Engine.Ring;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// The state-machine thread: consumes journaled slots in ring order, waits until each is
/// committed (DESIGN invariant 3: no effect of an entry that is not durable; the
/// <see cref="ICommitIndex"/> says durable where: locally, or on a quorum), applies it, and
/// completes the producer's acknowledgement. It is the only code that mutates state.
/// </summary>
internal struct StateMachineStage : IEventHandler<InputSlot>
{
    private readonly ICommitIndex _commit;
    private readonly LogApplier _applier;
    private readonly AppliedProgress _progress;
    private readonly SnapshotScheduler _snapshots;
    private readonly PipelineFault _fault;
    private readonly ApplyCostEstimate _costs;

    public StateMachineStage(ICommitIndex commit, LogApplier applier, AppliedProgress progress, SnapshotScheduler snapshots, PipelineFault fault, ApplyCostEstimate costs)
    {
        _costs = costs;
        _fault = fault;
        _commit = commit;
        _applier = applier;
        _progress = progress;
        _snapshots = snapshots;
    }

    public readonly void OnStart()
    {
    }

    public readonly void OnEvent(ref InputSlot data, long sequence, bool endOfBatch)
    {
        if (data.Query is { } query)
        {
            RunQuery(query, data.QueryCompletion!);
            data.Query = null;
            data.QueryCompletion = null;
        }
        else
        {
            ApplyOrFail(ref data);
            data.Entry = null;
            data.Payload = null;
            data.Completion = null;
        }

        if (endOfBatch)
        {
            _progress.Publish(_applier.State.AppliedIndex);
            if (_fault.Current is null)
            {
                _snapshots.MaybeSnapshot(_applier.State);
            }
        }
    }

    public readonly void OnShutdown()
    {
    }

    /// <summary>
    /// Applies a committed entry and acknowledges it; on a faulted node, or when the entry cannot
    /// be committed, completes the writer with the fault instead (issue 9: never leave it hanging).
    /// </summary>
    private readonly void ApplyOrFail(ref InputSlot data)
    {
        if (_fault.Current is not null || !data.Journaled)
        {
            data.Completion?.TrySetException(_fault.Current ?? new EngineFaultedException("the entry was not journaled"));
            return;
        }

        if (_fault.Stopped && (_commit.CommitIndex < data.Index || data.Index != _applier.State.AppliedIndex + 1))
        {
            // Stopping: an uncommitted entry, and every one after it, fails instead of waiting.
            data.Completion?.TrySetException(NotCommittedBeforeStop(data.Index));
            return;
        }

        try
        {
            if (_commit.CommitIndex < data.Index)
            {
                // About to park: publish what is applied so far, so waiters on applied progress
                // see it now rather than at the end of a batch that may wait long on the commit.
                _progress.Publish(_applier.State.AppliedIndex);
                _commit.WaitForCommit(data.Index, _fault.Token);
            }

            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = _applier.Apply(data.Index, data.Term, data.Entry!);
            _costs.Applied(data.Entry!, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            data.Completion?.TrySetResult(new AppliedEntry(data.Index, data.Term, result));
        }
#pragma warning disable CA1031 // The failure faults the node and goes to the writer; the ring keeps serving reads.
        catch (Exception e)
#pragma warning restore CA1031
        {
            data.Completion?.TrySetException(e is OperationCanceledException && _fault.Stopped && _fault.Current is null
                ? NotCommittedBeforeStop(data.Index)
                : _fault.Record("state machine", e));
        }
    }

    private static ObjectDisposedException NotCommittedBeforeStop(long index) =>
        new(nameof(EngineNode), $"the node stopped before entry {index} was committed; it is journaled here and may still commit on the cluster");

    private readonly void RunQuery(Func<EngineState, object?> query, TaskCompletionSource<object?> completion)
    {
        try
        {
            completion.TrySetResult(query(_applier.State));
        }
#pragma warning disable CA1031 // A failing read belongs to its caller; it must not stop the state machine.
        catch (Exception e)
#pragma warning restore CA1031
        {
            completion.TrySetException(e);
        }
    }
}
