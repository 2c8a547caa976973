namespace Alerting.Replication;

/// <summary>One voter of the cluster. Ids are positive; 0 means "nobody".</summary>
public readonly record struct ClusterMember(int Id, MemberKind Kind);
