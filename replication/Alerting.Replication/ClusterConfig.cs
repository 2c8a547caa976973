namespace Alerting.Replication;

/// <summary>
/// The fixed set of voters. The default shape is three voters: two data replicas (primary and
/// standby, whichever wins) and one witness. Membership changes are not modelled.
/// </summary>
public sealed class ClusterConfig
{
    /// <summary>Most voters a cluster may have; quorum arithmetic and per-peer state are sized by it.</summary>
    public const int MaxVoters = 7;

    /// <summary>Creates a configuration; members are sorted by id so every replica iterates them in the same order.</summary>
    public ClusterConfig(IEnumerable<ClusterMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var sorted = members.OrderBy(m => m.Id).ToArray();
        if (sorted.Length == 0 || sorted.Length > MaxVoters)
        {
            throw new ArgumentException($"a cluster has 1 to {MaxVoters} voters, got {sorted.Length}", nameof(members));
        }

        for (var i = 0; i < sorted.Length; i++)
        {
            if (sorted[i].Id <= 0)
            {
                throw new ArgumentException($"member ids are positive, got {sorted[i].Id}", nameof(members));
            }

            if (i > 0 && sorted[i].Id == sorted[i - 1].Id)
            {
                throw new ArgumentException($"member id {sorted[i].Id} appears twice", nameof(members));
            }
        }

        if (!sorted.Any(m => m.Kind == MemberKind.Data))
        {
            throw new ArgumentException("a cluster needs at least one data member to lead", nameof(members));
        }

        Members = sorted;
    }

    /// <summary>The voters, ordered by id.</summary>
    public IReadOnlyList<ClusterMember> Members { get; }

    /// <summary>Votes or acknowledgements needed: a strict majority of voters.</summary>
    public int Quorum => (Members.Count / 2) + 1;

    /// <summary>The usual shape: data replicas 1 and 2, witness 3.</summary>
    public static ClusterConfig PrimaryStandbyWitness() =>
        new([new ClusterMember(1, MemberKind.Data), new ClusterMember(2, MemberKind.Data), new ClusterMember(3, MemberKind.Witness)]);

    /// <summary>The kind of member <paramref name="id"/>; throws when it is not a voter.</summary>
    public MemberKind KindOf(int id)
    {
        foreach (var m in Members)
        {
            if (m.Id == id)
            {
                return m.Kind;
            }
        }

        throw new ArgumentException($"node {id} is not a member of the cluster", nameof(id));
    }

    /// <summary>True when <paramref name="id"/> is a voter.</summary>
    public bool Contains(int id)
    {
        foreach (var m in Members)
        {
            if (m.Id == id)
            {
                return true;
            }
        }

        return false;
    }
}
