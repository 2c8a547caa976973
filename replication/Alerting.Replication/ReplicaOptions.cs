namespace Alerting.Replication;

/// <summary>
/// Timing and limits of the consensus core. Times are in logical ticks: the shell decides how long
/// a tick is (for example 10 ms, so the default election timeout is 150–300 ms).
/// </summary>
public sealed class ReplicaOptions
{
    /// <summary>Base election timeout in ticks; each wait is drawn from [ElectionTicks, 2·ElectionTicks). Also the check-quorum period and the leader lease.</summary>
    public int ElectionTicks { get; init; } = 15;

    /// <summary>Ticks between primary heartbeats (and retries of lost appends). Must be below <see cref="ElectionTicks"/>.</summary>
    public int HeartbeatTicks { get; init; } = 3;

    /// <summary>
    /// Ticks without progress from a peer before the primary assumes its appends (or probe, or
    /// snapshot) were lost and sends again from what the peer acknowledged. Keep it above the round
    /// trip time, or the pipeline collapses into repeated probes; below <see cref="ElectionTicks"/>.
    /// </summary>
    public int ResendTimeoutTicks { get; init; } = 6;

    /// <summary>
    /// Ticks a leadership transfer may take before the primary gives it up and accepts writes again.
    /// Longer than an election timeout, so that a target slowed by a loaded machine still catches up,
    /// hears <see cref="TimeoutNow"/> (resent every heartbeat) and wins; at least <see cref="ElectionTicks"/>.
    /// </summary>
    public int TransferTimeoutTicks { get; init; } = 60;

    /// <summary>Most entries in one append message (batching bound).</summary>
    public int MaxEntriesPerAppend { get; init; } = 64;

    /// <summary>Most append messages carrying entries in flight to one peer without an acknowledgement (pipelining bound).</summary>
    public int MaxInflightAppends { get; init; } = 8;

    /// <summary>Most entries the primary holds beyond its commit index; further proposals are refused (back-pressure).</summary>
    public int MaxUncommittedEntries { get; init; } = 4096;

    /// <summary>
    /// Whether the journal can discard a suffix of its log. When false (FasterLog cannot truncate its
    /// tail) a standby whose uncommitted suffix conflicts with the primary asks for a snapshot instead
    /// of rewinding, and the core never emits <see cref="Ready.TruncateAfter"/>.
    /// </summary>
    public bool JournalCanTruncateSuffix { get; init; } = true;

    /// <summary>
    /// How a replica takes the primary's snapshot. False: at once, when the
    /// <see cref="InstallSnapshotRequest"/> arrives (<see cref="Ready.Snapshot"/>; the transport carried
    /// the bytes with it). True: the core hands the offer to the shell (<see cref="Ready.SnapshotOffer"/>),
    /// which fetches the bytes out of band and restarts the replica from them; meanwhile the replica keeps
    /// its log and answers the offer with what it holds, and one whose verified log reaches the
    /// primary's retained log (<see cref="InstallSnapshotRequest.LogStart"/>) is shipped the log instead.
    /// </summary>
    public bool OfferSnapshots { get; init; }

    /// <summary>
    /// Deliberately unsafe, for tests only: the primary commits as soon as its own journal holds an
    /// entry, without a quorum. It exists so the simulation's checker can be shown to catch the loss
    /// this causes; nothing outside the test assembly can set it.
    /// </summary>
    internal bool UnsafeCommitWithoutQuorum { get; init; }

    internal void Validate()
    {
        if (ElectionTicks < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(ElectionTicks), ElectionTicks, "election timeout must be at least 2 ticks");
        }

        if (HeartbeatTicks < 1 || HeartbeatTicks >= ElectionTicks)
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatTicks), HeartbeatTicks, "heartbeat must be at least 1 tick and below the election timeout");
        }

        if (ResendTimeoutTicks < 1 || ResendTimeoutTicks >= ElectionTicks)
        {
            throw new ArgumentOutOfRangeException(nameof(ResendTimeoutTicks), ResendTimeoutTicks, "resend timeout must be at least 1 tick and below the election timeout");
        }

        if (TransferTimeoutTicks < ElectionTicks)
        {
            throw new ArgumentOutOfRangeException(nameof(TransferTimeoutTicks), TransferTimeoutTicks, "transfer timeout must be at least the election timeout");
        }

        if (MaxEntriesPerAppend < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEntriesPerAppend), MaxEntriesPerAppend, "must be at least 1");
        }

        if (MaxInflightAppends < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInflightAppends), MaxInflightAppends, "must be at least 1");
        }

        if (MaxUncommittedEntries < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxUncommittedEntries), MaxUncommittedEntries, "must be at least 2 (the term-start entry and one proposal)");
        }
    }
}
