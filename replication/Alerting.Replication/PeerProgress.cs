namespace Alerting.Replication;

/// <summary>How the primary ships to one peer (etcd's Progress, cut down).</summary>
internal enum ShipState
{
    /// <summary>Where the peer's log matches is unknown: one append at a time until one is accepted.</summary>
    Probe,

    /// <summary>The peer's log matches up to <see cref="PeerProgress.Next"/> - 1: appends are pipelined.</summary>
    Replicate,

    /// <summary>The peer needs a snapshot (its entries were compacted away, or its suffix diverged and cannot be truncated).</summary>
    Snapshot,
}

/// <summary>The primary's bookkeeping for one peer.</summary>
internal sealed class PeerProgress(int id, MemberKind kind, int maxInflight)
{
    private readonly Queue<long> _inflightLastIndexes = new(maxInflight);

    public int Id { get; } = id;

    public MemberKind Kind { get; } = kind;

    /// <summary>Durable and matching on the peer: counts toward commit.</summary>
    public long Match { get; set; }

    /// <summary>Known to match on the peer (maybe not durable yet).</summary>
    public long Accepted { get; set; }

    /// <summary>Next index to ship.</summary>
    public long Next { get; set; }

    public ShipState State { get; set; }

    /// <summary>In <see cref="ShipState.Probe"/>, a probe is out and unanswered.</summary>
    public bool ProbeSent { get; set; }

    /// <summary>In <see cref="ShipState.Snapshot"/>, the index of the snapshot sent and not yet acknowledged, -1 when none is out.</summary>
    public long SnapshotSent { get; set; } = -1;

    /// <summary>In <see cref="ShipState.Snapshot"/>, the lowest snapshot index the peer can take.</summary>
    public long MinSnapshotIndex { get; set; }

    /// <summary>Heard from since the last check-quorum round.</summary>
    public bool RecentlyActive { get; set; }

    /// <summary>Ticks since this peer's accepted index last advanced or a probe/snapshot was last sent to it.</summary>
    public int TicksWithoutProgress { get; set; }

    /// <summary>Witness: the frontier index last sent, so an unchanged frontier is not resent between heartbeats.</summary>
    public long WitnessFrontierSent { get; set; }

    public int Inflight => _inflightLastIndexes.Count;

    public bool InflightFull => _inflightLastIndexes.Count >= maxInflight;

    public void AddInflight(long lastIndex)
    {
        Invariant.Check(!InflightFull, "in-flight appends stay within MaxInflightAppends");
        _inflightLastIndexes.Enqueue(lastIndex);
    }

    public void FreeInflightThrough(long index)
    {
        while (_inflightLastIndexes.Count > 0 && _inflightLastIndexes.Peek() <= index)
        {
            _inflightLastIndexes.Dequeue();
        }
    }

    public void BecomeProbe(long next)
    {
        State = ShipState.Probe;
        Next = Math.Max(Match + 1, next);
        ProbeSent = false;
        _inflightLastIndexes.Clear();
    }

    public void BecomeReplicate()
    {
        State = ShipState.Replicate;
        Next = Math.Max(Next, Accepted + 1);
        ProbeSent = false;
        _inflightLastIndexes.Clear();
    }

    public void BecomeSnapshot(long minSnapshotIndex)
    {
        State = ShipState.Snapshot;
        MinSnapshotIndex = minSnapshotIndex;
        SnapshotSent = -1;
        ProbeSent = false;
        _inflightLastIndexes.Clear();
    }
}
