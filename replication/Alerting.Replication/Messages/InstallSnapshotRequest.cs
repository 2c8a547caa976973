namespace Alerting.Replication;

/// <summary>
/// The primary tells a replica to replace its state and journal with the primary's snapshot at
/// <see cref="Snapshot"/>. The core names the snapshot; the transport attaches its bytes.
/// </summary>
public sealed record InstallSnapshotRequest(int From, int To, long Term, SnapshotRef Snapshot, long PrimaryCommit)
    : ReplicationMessage(From, To, Term);
