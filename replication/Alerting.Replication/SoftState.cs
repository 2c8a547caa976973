namespace Alerting.Replication;

/// <summary>Volatile facts about a replica: its role, its term and the primary it follows (0 when unknown).</summary>
public readonly record struct SoftState(ReplicaRole Role, long Term, int PrimaryId);
