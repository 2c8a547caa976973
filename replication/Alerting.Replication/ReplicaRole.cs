namespace Alerting.Replication;

/// <summary>What a replica is doing in its current term.</summary>
public enum ReplicaRole
{
    /// <summary>A data replica following the primary (Raft follower).</summary>
    Standby,

    /// <summary>A data replica asking whether it could win an election, without raising its term (pre-vote).</summary>
    PreCandidate,

    /// <summary>A data replica that raised its term and asks for votes.</summary>
    Candidate,

    /// <summary>The one replica that accepts writes in this term (Raft leader).</summary>
    Primary,

    /// <summary>A voter that stores term, vote and the acknowledged frontier, never entries. It never campaigns.</summary>
    Witness,
}
