namespace Alerting.Replication.Tests.Simulation;

/// <summary>One write the journal was asked for: discard entries after an index, or append one entry.</summary>
internal readonly record struct DiskWrite(long? TruncateAfter, LogEntry Entry);

/// <summary>
/// A node's disk: the hard state (written atomically and synchronously, like a small file replaced by
/// rename), the snapshot, the durable journal and the writes not yet covered by an fsync. An fsync
/// covers the writes issued before it and completes later; a crash keeps only a random prefix of the
/// unsynced writes, and the last one kept may be torn (its CRC fails on recovery, so it is dropped).
/// </summary>
internal sealed class SimDisk
{
    public HardState Hard { get; set; }

    public SnapshotRef Snapshot { get; private set; }

    public ulong SnapshotHash { get; private set; }

    public List<LogEntry> Durable { get; } = [];

    public List<DiskWrite> Unsynced { get; } = [];

    /// <summary>Unsynced writes covered by the fsync in flight (0: none in flight).</summary>
    public int FsyncCovers { get; private set; }

    /// <summary>Bumped whenever the journal is replaced, so an fsync issued before completes as nothing.</summary>
    public int Generation { get; private set; }

    public int TornWrites { get; private set; }

    public void Write(DiskWrite write) => Unsynced.Add(write);

    public bool StartFsync()
    {
        if (FsyncCovers > 0 || Unsynced.Count == 0)
        {
            return false;
        }

        FsyncCovers = Unsynced.Count;
        return true;
    }

    /// <summary>Makes the covered writes durable; returns the durable log's last (index, term).</summary>
    public (long Index, long Term) CompleteFsync()
    {
        for (var i = 0; i < FsyncCovers; i++)
        {
            Apply(Unsynced[i]);
        }

        Unsynced.RemoveRange(0, FsyncCovers);
        FsyncCovers = 0;
        return Durable.Count == 0 ? (Snapshot.LastIndex, Snapshot.LastTerm) : (Durable[^1].Index, Durable[^1].Term);
    }

    public void Crash(Random random)
    {
        var reached = random.Next(Unsynced.Count + 1);
        if (reached > 0 && Unsynced[reached - 1].TruncateAfter is null && random.Next(3) == 0)
        {
            // The last write reached the platter half-written: recovery's CRC check drops it.
            reached--;
            TornWrites++;
        }

        for (var i = 0; i < reached; i++)
        {
            Apply(Unsynced[i]);
        }

        Unsynced.Clear();
        FsyncCovers = 0;
        Generation++;
    }

    public void InstallSnapshot(SnapshotRef snapshot, ulong hash)
    {
        Snapshot = snapshot;
        SnapshotHash = hash;
        Durable.Clear();
        Unsynced.Clear();
        FsyncCovers = 0;
        Generation++;
    }

    public void Compact(SnapshotRef snapshot, ulong hash)
    {
        if (Durable.Count == 0 || Durable[^1].Index < snapshot.LastIndex)
        {
            throw new SimulationViolationException($"snapshot at {snapshot.LastIndex} taken beyond the durable journal");
        }

        Snapshot = snapshot;
        SnapshotHash = hash;
        Durable.RemoveAll(e => e.Index <= snapshot.LastIndex);
    }

    public DurableState Recover() => new(Hard, Snapshot.LastIndex, Snapshot.LastTerm, Durable.ToArray());

    private void Apply(DiskWrite write)
    {
        if (write.TruncateAfter is { } after)
        {
            Durable.RemoveAll(e => e.Index > after);
            return;
        }

        var expected = (Durable.Count == 0 ? Snapshot.LastIndex : Durable[^1].Index) + 1;
        if (write.Entry.Index != expected)
        {
            throw new SimulationViolationException($"journal write at {write.Entry.Index} leaves a gap after {expected - 1}");
        }

        Durable.Add(write.Entry);
    }
}
