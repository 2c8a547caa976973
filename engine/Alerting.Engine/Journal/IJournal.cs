namespace Alerting.Engine.Journal;

/// <summary>
/// The log of input entries as the pipeline and replication see it. Indexes are contiguous
/// from <see cref="FirstIndex"/> to <see cref="LastIndex"/>; each entry carries the term it was
/// written in, and terms never decrease along the log. One thread appends; any thread may wait
/// for durability, scan, or ask for a term.
/// <para>
/// Implementations: <see cref="FasterJournal"/> (FasterLog files; it cannot drop its tail) and
/// <see cref="MemoryJournal"/> (in memory, with injected faults, for the simulator and tests).
/// </para>
/// </summary>
public interface IJournal : IDisposable
{
    /// <summary>Index of the oldest entry kept (the next index to be appended when the journal is empty).</summary>
    long FirstIndex { get; }

    /// <summary>Index of the last entry appended (0 when none); may not be durable yet.</summary>
    long LastIndex { get; }

    /// <summary>Term of the last entry appended (0 when none).</summary>
    ulong LastTerm { get; }

    /// <summary>Every entry up to this index survives a crash of this process.</summary>
    long DurableIndex { get; }

    /// <summary>
    /// The leader's append: the entry gets index <see cref="LastIndex"/> + 1, which is returned.
    /// It is in memory when this returns; wait for <see cref="DurableIndex"/> before treating it as written.
    /// </summary>
    /// <exception cref="ArgumentException">The payload is too large, or <paramref name="term"/> is below <see cref="LastTerm"/>.</exception>
    long Append(ReadOnlySpan<byte> payload, ulong term);

    /// <summary>
    /// The follower's append: stores an entry the leader already placed at <paramref name="index"/>
    /// in <paramref name="term"/>. <paramref name="index"/> must be <see cref="LastIndex"/> + 1: a
    /// follower whose log conflicts drops its suffix first (<see cref="TruncateAfter"/>).
    /// </summary>
    void AppendAt(long index, ulong term, ReadOnlySpan<byte> payload);

    /// <summary>Completes when <see cref="DurableIndex"/> ≥ <paramref name="index"/>; faults if the journal can no longer make entries durable.</summary>
    ValueTask WaitForDurableAsync(long index, CancellationToken cancellationToken = default);

    /// <summary>Blocks until <see cref="DurableIndex"/> ≥ <paramref name="index"/>; throws if the journal can no longer make entries durable.</summary>
    void WaitForDurable(long index, CancellationToken cancellationToken = default);

    /// <summary>Reads durable entries from <paramref name="fromIndex"/> (FirstIndex ≤ fromIndex ≤ DurableIndex + 1).</summary>
    IJournalScanner Scan(long fromIndex);

    /// <summary>
    /// Drops the prefix before <paramref name="index"/> (a snapshot covers it); the entry at
    /// <paramref name="index"/> is kept. FirstIndex ≤ index ≤ DurableIndex.
    /// </summary>
    void TruncateBefore(long index);

    /// <summary>
    /// Drops every entry after <paramref name="index"/> (a follower's uncommitted suffix that
    /// conflicts with the new leader's log). DurableIndex may move down with it: those entries
    /// were never committed. FirstIndex - 1 ≤ index ≤ LastIndex.
    /// </summary>
    /// <exception cref="NotSupportedException">The implementation cannot drop its tail (<see cref="FasterJournal"/>): resynchronise from a snapshot instead.</exception>
    void TruncateAfter(long index);

    /// <summary>
    /// The term of the entry at <paramref name="index"/>: true for FirstIndex ≤ index ≤ LastIndex,
    /// and for index 0 (term 0, the empty log); false outside what the journal holds.
    /// </summary>
    bool TryGetTerm(long index, out ulong term);
}

/// <summary>Reads verified journal entries in log order, up to the durable index as it is at each call.</summary>
public interface IJournalScanner : IDisposable
{
    /// <summary>Index the next record returned will have.</summary>
    long NextIndex { get; }

    /// <summary>The next durable record, or false when the scan reached the durable index. The payload is valid until the next call.</summary>
    bool TryNext(out JournalRecord record);
}
