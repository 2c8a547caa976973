namespace Alerting.Replication;

/// <summary>
/// Everything the core asks of its shell since the last <see cref="ReplicaCore.TakeReady"/>. The
/// shell handles it in this order: (1) install <see cref="Snapshot"/>; (2) discard journal entries
/// after <see cref="TruncateAfter"/>; (3) append <see cref="Entries"/> (their fsync may complete later:
/// report it with <see cref="ReplicaCore.Persisted"/>); (4) persist <see cref="HardState"/> durably;
/// (5) only then send <see cref="Messages"/>; (6) apply committed entries up to <see cref="ApplyUpTo"/>
/// and report them with <see cref="ReplicaCore.Applied"/>.
/// </summary>
public sealed class Ready
{
    internal Ready(
        SoftState softState,
        bool softStateChanged,
        HardState? hardState,
        SnapshotRef? snapshot,
        InstallSnapshotRequest? snapshotOffer,
        long? truncateAfter,
        IReadOnlyList<LogEntry> entries,
        IReadOnlyList<ReplicationMessage> messages,
        long commitIndex,
        long applyUpTo)
    {
        SoftState = softState;
        SoftStateChanged = softStateChanged;
        HardState = hardState;
        Snapshot = snapshot;
        SnapshotOffer = snapshotOffer;
        TruncateAfter = truncateAfter;
        Entries = entries;
        Messages = messages;
        CommitIndex = commitIndex;
        ApplyUpTo = applyUpTo;
    }

    /// <summary>Role, term and known primary now.</summary>
    public SoftState SoftState { get; }

    /// <summary>True when the role, term or known primary changed since the previous Ready.</summary>
    public bool SoftStateChanged { get; }

    /// <summary>Hard state to persist before any message is sent; null when unchanged.</summary>
    public HardState? HardState { get; }

    /// <summary>A snapshot received from the primary to install in place of the local state and journal; the core already counts it durable.</summary>
    public SnapshotRef? Snapshot { get; }

    /// <summary>
    /// With <see cref="ReplicaOptions.OfferSnapshots"/>: the primary's offer of a snapshot this replica
    /// should take. Nothing changed in the core: the shell fetches the snapshot (at or above
    /// <see cref="InstallSnapshotRequest.Snapshot"/>'s index, above the commit index), makes it and a
    /// journal continuing after it durable, and restarts the replica from that disk; an interrupted
    /// fetch leaves the old state, and the primary offers again. Null: no offer.
    /// </summary>
    public InstallSnapshotRequest? SnapshotOffer { get; }

    /// <summary>Discard every journal entry with a higher index before appending (never at or below the commit index). Null: nothing to discard.</summary>
    public long? TruncateAfter { get; }

    /// <summary>Entries to append to the journal, in index order.</summary>
    public IReadOnlyList<LogEntry> Entries { get; }

    /// <summary>Messages to send, after <see cref="HardState"/> is durable. Losing any of them is safe.</summary>
    public IReadOnlyList<ReplicationMessage> Messages { get; }

    /// <summary>Highest index known committed (durable on a quorum).</summary>
    public long CommitIndex { get; }

    /// <summary>Apply entries up to here: committed and durable in the local journal.</summary>
    public long ApplyUpTo { get; }
}
