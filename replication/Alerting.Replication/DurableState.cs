namespace Alerting.Replication;

/// <summary>
/// What a replica found on its own disk at start: the hard state, the snapshot its log starts
/// after (0, 0 for none) and the durable entries after it, in index order without gaps.
/// </summary>
public sealed record DurableState(HardState HardState, long SnapshotIndex, long SnapshotTerm, IReadOnlyList<LogEntry> Entries)
{
    /// <summary>A replica that has never run.</summary>
    public static DurableState Empty { get; } = new(default, 0, 0, []);
}
