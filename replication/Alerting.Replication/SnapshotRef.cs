namespace Alerting.Replication;

/// <summary>A state-machine snapshot named by the last entry it covers. The bytes are the shell's business.</summary>
public readonly record struct SnapshotRef(long LastIndex, long LastTerm);
