using Alerting.Engine.Journal;
using Alerting.Engine.Snapshots;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// Takes a snapshot every <see cref="EngineOptions.SnapshotEveryEntries"/> applied entries. The
/// state is serialised on the state-machine thread (the only consistent view), the file is
/// written and fsynced on a background task, and only then is the journal truncated, before
/// the oldest retained snapshot, so a damaged newest snapshot can still fall back to the older
/// one plus the journal. At most one snapshot is in flight.
/// </summary>
internal sealed class SnapshotScheduler
{
    private readonly SnapshotStore _store;
    private readonly IJournal _journal;
    private readonly long _everyEntries;
    private long _lastSnapshotIndex;
    private Task _inFlight = Task.CompletedTask;

    public SnapshotScheduler(SnapshotStore store, IJournal journal, long everyEntries, long lastSnapshotIndex)
    {
        _store = store;
        _journal = journal;
        _everyEntries = everyEntries;
        _lastSnapshotIndex = lastSnapshotIndex;
    }

    private long _snapshotsWritten;

    /// <summary>Snapshots written; incremented on the background writer, read from any thread.</summary>
    public long SnapshotsWritten => Interlocked.Read(ref _snapshotsWritten);

    /// <summary>The last background write, so shutdown can wait for it.</summary>
    public Task InFlight => _inFlight;

    public void MaybeSnapshot(EngineState state)
    {
        if (_everyEntries <= 0 || state.AppliedIndex - _lastSnapshotIndex < _everyEntries || !_inFlight.IsCompleted)
        {
            return;
        }

        var index = state.AppliedIndex;
        var term = state.Term;
        var body = Serialize(state);
        _lastSnapshotIndex = index;
        _inFlight = Task.Run(() => Persist(index, term, body));
    }

    /// <summary>Writes a snapshot synchronously (shutdown, tests).</summary>
    public void SnapshotNow(EngineState state)
    {
        _inFlight.GetAwaiter().GetResult();
        if (state.AppliedIndex == 0 || state.AppliedIndex == _lastSnapshotIndex)
        {
            return;
        }

        _lastSnapshotIndex = state.AppliedIndex;
        Persist(state.AppliedIndex, state.Term, Serialize(state));
    }

    internal static byte[] Serialize(EngineState state)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            state.WriteTo(writer);
        }

        return stream.ToArray();
    }

    private void Persist(long index, ulong term, byte[] body)
    {
        _store.Write(index, term, body);
        Interlocked.Increment(ref _snapshotsWritten);
        var oldest = _store.OldestRetainedIndex();
        if (oldest is { } keepFrom && keepFrom > _journal.FirstIndex)
        {
            _journal.TruncateBefore(keepFrom);
        }
    }
}
