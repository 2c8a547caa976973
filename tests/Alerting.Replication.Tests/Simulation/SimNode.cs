namespace Alerting.Replication.Tests.Simulation;

/// <summary>
/// One simulated server: a <see cref="ReplicaCore"/> (null while crashed), its disk, and the state
/// machine, which here is a running hash over the applied entries (any divergence shows in it).
/// </summary>
internal sealed class SimNode(int id, MemberKind kind)
{
    public int Id { get; } = id;

    public MemberKind Kind { get; } = kind;

    public ReplicaCore? Core { get; set; }

    public bool Up => Core is not null;

    public SimDisk Disk { get; } = new();

    public long AppliedIndex { get; set; }

    public ulong AppliedHash { get; set; }

    /// <summary>Committed entries of this node already compared with the cluster's committed log.</summary>
    public long CheckedCommit { get; set; }

    /// <summary>Bumped on every crash: events scheduled before it (fsync completions) are void.</summary>
    public int Epoch { get; set; }

    /// <summary>The snapshot bytes of the InstallSnapshot being delivered (its running hash).</summary>
    public ulong IncomingSnapshotHash { get; set; }

    /// <summary>The snapshot fetch in progress (one at a time), with <see cref="ReplicaOptions.OfferSnapshots"/>.</summary>
    public SnapshotFetch? Fetch { get; set; }

    public static ulong Fold(ulong hash, LogEntry entry)
    {
        var payload = entry.Payload.Length >= 8 ? BitConverter.ToInt64(entry.Payload.Span) : 0;
        return Mix(hash ^ Mix((ulong)entry.Index) ^ Mix((ulong)entry.Term * 31) ^ Mix((ulong)payload + (ulong)entry.Kind));
    }

    public static long PayloadId(LogEntry entry) => entry.Payload.Length >= 8 ? BitConverter.ToInt64(entry.Payload.Span) : 0;

    // SplitMix64 finaliser: a stable, well-mixed 64-bit hash (string.GetHashCode is randomized per process).
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}

/// <summary>A fetch of the primary's snapshot: ends at <paramref name="DoneAt"/>, unless the node crashed (epoch) or it was cut (<paramref name="Fails"/>).</summary>
internal sealed record SnapshotFetch(long DoneAt, int Epoch, InstallSnapshotRequest Offer, ulong Hash, bool Fails);
