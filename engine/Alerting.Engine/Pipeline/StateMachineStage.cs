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

    public StateMachineStage(ICommitIndex commit, LogApplier applier, AppliedProgress progress, SnapshotScheduler snapshots)
    {
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
            if (_commit.CommitIndex < data.Index)
            {
                // About to park: publish what is applied so far, so waiters on applied progress
                // see it now rather than at the end of a batch that may wait long on the commit.
                _progress.Publish(_applier.State.AppliedIndex);
                _commit.WaitForCommit(data.Index);
            }

            var result = _applier.Apply(data.Index, data.Term, data.Entry!);
            data.Completion?.TrySetResult(new AppliedEntry(data.Index, data.Term, result));
            data.Entry = null;
            data.Payload = null;
            data.Completion = null;
        }

        if (endOfBatch)
        {
            _progress.Publish(_applier.State.AppliedIndex);
            _snapshots.MaybeSnapshot(_applier.State);
        }
    }

    public readonly void OnShutdown()
    {
    }

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
