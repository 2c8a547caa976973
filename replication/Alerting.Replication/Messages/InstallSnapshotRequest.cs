namespace Alerting.Replication;

/// <summary>
/// The primary tells a replica to replace its state and journal with the primary's snapshot at
/// <see cref="Snapshot"/>. The core names the snapshot; the transport attaches its bytes.
/// </summary>
public sealed record InstallSnapshotRequest(int From, int To, long Term, SnapshotRef Snapshot, long PrimaryCommit)
    : ReplicationMessage(From, To, Term)
{
    /// <summary>The primary's log starts after this index (what it compacted away): a replica whose verified log reaches it can be shipped entries instead.</summary>
    public long LogStart { get; init; }
}
