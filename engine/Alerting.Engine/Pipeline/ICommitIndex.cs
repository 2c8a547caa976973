namespace Alerting.Engine.Pipeline;

/// <summary>
/// How far the state machine may apply: the commit index. The state-machine stage applies an
/// entry only once the commit index reached it, and only then acknowledges it (DESIGN invariants
/// 2 and 3). Who decides is the deployment's business:
/// <list type="bullet">
/// <item>single node: the local durable index (<see cref="JournalCommitIndex"/>, today's behaviour);</item>
/// <item>replicated: the highest index durable on a quorum, published by the replicator into a <see cref="CommitGate"/>.</item>
/// </list>
/// At open the node replays every durable journal entry before the ring starts, so a replicated
/// node must be opened on a journal holding only entries it knows are committed.
/// </summary>
public interface ICommitIndex
{
    /// <summary>Every entry up to this index may be applied.</summary>
    long CommitIndex { get; }

    /// <summary>Blocks the caller (the state-machine thread) until <see cref="CommitIndex"/> ≥ <paramref name="index"/>; throws if commit can no longer advance.</summary>
    void WaitForCommit(long index, CancellationToken cancellationToken = default);

    /// <summary>Completes when <see cref="CommitIndex"/> ≥ <paramref name="index"/>; faults if commit can no longer advance.</summary>
    ValueTask WaitForCommitAsync(long index, CancellationToken cancellationToken = default);
}
