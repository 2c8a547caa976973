using Alerting.Engine.Journal;
using Alerting.Engine.Monitors;
using Alerting.Engine.Snapshots;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// Builds the snapshot bytes of the state at a log index off the state-machine thread, without
/// looking at the live state: it brings its own copy of the state (the shadow) to the index by
/// applying the journal's entries, as recovery does, and serialises it. The state is a pure
/// function of the entries applied (DESIGN invariant 1), so the bytes are those a stop-the-world
/// <see cref="EngineState.WriteTo"/> at that index writes, and a new field of the state needs
/// nothing here. The shadow is kept between snapshots, so each one applies only the entries since
/// the last: restoring a whole state allocates it object by object, and the collections that
/// promotes stop every thread, the state-machine thread too (hundreds of ms at a million series).
/// It is restored from the newest valid snapshot at or before the index (or started empty) only
/// when there is none yet, or it cannot reach the index (the journal no longer holds the entries
/// after it). Not thread-safe: one rebuild at a time (the scheduler keeps at most one in flight).
/// </summary>
internal sealed class SnapshotRebuilder
{
    private readonly SnapshotStore _store;
    private readonly IJournal _journal;
    private readonly IngestLimits _limits;
    private EngineState? _shadow;
    private int _lastBodyBytes;

    /// <param name="seed">The copy to start from (the node decodes the snapshot it recovered from twice), or null.</param>
    public SnapshotRebuilder(SnapshotStore store, IJournal journal, IngestLimits limits, EngineState? seed = null)
    {
        _shadow = seed;
        _store = store;
        _journal = journal;
        _limits = limits;
    }

    /// <summary>Rebuilds that had to restore the shadow from a snapshot file (or start it empty).</summary>
    public long Restores { get; private set; }

    /// <summary>
    /// The snapshot body of the state at <paramref name="index"/> (term <paramref name="term"/>).
    /// Blocks until the journal has made <paramref name="index"/> durable. On failure the shadow
    /// is dropped (it may be part-way through an entry); the next rebuild restores it.
    /// </summary>
    /// <exception cref="JournalRecoveryException">No valid snapshot at or before the index joins the journal.</exception>
    public ArraySegment<byte> Rebuild(long index, ulong term, CancellationToken cancellationToken = default)
    {
        var state = _shadow;
        _shadow = null;
        if (state is null || state.AppliedIndex > index || (state.AppliedIndex < index && _journal.FirstIndex > state.AppliedIndex + 1))
        {
            state = NewestBase(_store, _journal, _limits, index);
            Restores++;
        }

        if (state.AppliedIndex < index)
        {
            _journal.WaitForDurable(index, cancellationToken);
            var applier = new LogApplier(state);
            using var scanner = _journal.Scan(state.AppliedIndex + 1);
            while (state.AppliedIndex < index && scanner.TryNext(out var record))
            {
                cancellationToken.ThrowIfCancellationRequested();
                applier.Apply(record.Index, record.Term, LogEntry.Parser.ParseFrom(record.Payload.Span));
            }
        }

        Invariant.Check(state.AppliedIndex == index, "a rebuilt snapshot reaches exactly the index it was started at");
        Invariant.Check(state.Term == term, "a rebuilt snapshot has the term the live state had at its index");
        // Sized from the last body: growing a stream of tens of MiB by doubling, then copying it out, allocates three times its size.
        var stream = new MemoryStream(_lastBodyBytes + (_lastBodyBytes / 8) + 4096);
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            state.WriteTo(writer);
        }

        _lastBodyBytes = (int)stream.Length;
        _shadow = state;
        return new ArraySegment<byte>(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>
    /// The state of the newest snapshot at or before <paramref name="index"/> that validates,
    /// decodes and joins the journal (the journal holds the entry after it), else the empty state
    /// when the journal starts at 1.
    /// </summary>
    private static EngineState NewestBase(SnapshotStore store, IJournal journal, IngestLimits limits, long index)
    {
        var skipped = new List<string>();
        foreach (var candidate in store.ListIndexes())
        {
            if (candidate > index)
            {
                continue;
            }

            if (candidate < index && journal.FirstIndex > candidate + 1)
            {
                skipped.Add($"snapshot {candidate}: the journal starts at {journal.FirstIndex}");
                continue;
            }

            if (!store.TryLoad(candidate, out var snapshot, out var reason))
            {
                skipped.Add(reason);
                continue;
            }

            try
            {
                using var reader = new BinaryReader(new MemoryStream(snapshot.Body.ToArray()));
                var state = EngineState.ReadFrom(reader, limits);
                Invariant.Check(state.AppliedIndex == candidate, "a snapshot file holds the state at its own index");
                return state;
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or Google.Protobuf.InvalidProtocolBufferException)
            {
                skipped.Add($"snapshot {candidate}: does not decode: {e.Message}");
            }
        }

        if (journal.FirstIndex > 1)
        {
            throw new JournalRecoveryException(
                $"no snapshot at or before index {index} joins the journal, which starts at {journal.FirstIndex}; skipped: {string.Join("; ", skipped)}");
        }

        return new EngineState(limits);
    }
}
