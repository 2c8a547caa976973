namespace Alerting.Replication;

/// <summary>
/// The core's view of the replicated log: the snapshot it starts after, then the entries held
/// (durable or not yet). The shell's journal is the durable copy; this view is what the rules read
/// (terms for the log-matching check, entries to ship). The prefix covered by a snapshot is dropped
/// by <see cref="CompactThrough"/>, so memory is bounded by the distance between snapshots.
/// </summary>
internal sealed class ReplicaLog
{
    private readonly List<LogEntry> _entries = [];

    public ReplicaLog(long snapshotIndex, long snapshotTerm, IReadOnlyList<LogEntry> entries)
    {
        SnapshotIndex = snapshotIndex;
        SnapshotTerm = snapshotTerm;
        foreach (var e in entries)
        {
            Append(e);
        }
    }

    public long SnapshotIndex { get; private set; }

    public long SnapshotTerm { get; private set; }

    public long LastIndex => SnapshotIndex + _entries.Count;

    public long LastTerm => _entries.Count == 0 ? SnapshotTerm : _entries[^1].Term;

    /// <summary>Term of the entry at <paramref name="index"/>; -1 when it is compacted away or beyond the end.</summary>
    public long TermAt(long index)
    {
        if (index == SnapshotIndex)
        {
            return SnapshotTerm;
        }

        if (index < SnapshotIndex || index > LastIndex)
        {
            return -1;
        }

        return _entries[(int)(index - SnapshotIndex - 1)].Term;
    }

    public LogEntry At(long index)
    {
        Invariant.Check(index > SnapshotIndex && index <= LastIndex, "log entry read inside the held range");
        return _entries[(int)(index - SnapshotIndex - 1)];
    }

    public void Append(LogEntry entry)
    {
        Invariant.Check(entry.Index == LastIndex + 1, "log entries are appended at the next index, without gaps");
        Invariant.Check(entry.Term >= LastTerm, "terms never decrease along the log");
        _entries.Add(entry);
    }

    /// <summary>Up to <paramref name="maxCount"/> entries starting at <paramref name="from"/>.</summary>
    public IReadOnlyList<LogEntry> Slice(long from, int maxCount)
    {
        Invariant.Check(from > SnapshotIndex, "entries shipped from the held range");
        var count = (int)Math.Min(maxCount, Math.Max(0, LastIndex - from + 1));
        return count == 0 ? [] : _entries.GetRange((int)(from - SnapshotIndex - 1), count);
    }

    public void TruncateAfter(long index)
    {
        Invariant.Check(index >= SnapshotIndex && index <= LastIndex, "suffix truncation inside the held range");
        _entries.RemoveRange((int)(index - SnapshotIndex), (int)(LastIndex - index));
    }

    public void CompactThrough(long index)
    {
        if (index <= SnapshotIndex)
        {
            return;
        }

        Invariant.Check(index <= LastIndex, "log compacted only through entries it holds");
        var term = TermAt(index);
        _entries.RemoveRange(0, (int)(index - SnapshotIndex));
        SnapshotIndex = index;
        SnapshotTerm = term;
    }

    public void ResetToSnapshot(SnapshotRef snapshot)
    {
        _entries.Clear();
        SnapshotIndex = snapshot.LastIndex;
        SnapshotTerm = snapshot.LastTerm;
    }
}
