using Alerting.Engine.Journal;
using Alerting.Engine.Snapshots;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// Takes a snapshot every <see cref="EngineOptions.SnapshotEveryEntries"/> applied entries. The
/// state is serialised on the state-machine thread (the only consistent view), the file is
/// written and fsynced on a background task, and only then is the journal truncated, before
/// the older of the two newest valid snapshots (never with only one), so a damaged newest
/// snapshot can still fall back to the older one plus the journal. At most one snapshot is in
/// flight. A failed write is caught on the writer, counted, kept in <see cref="LastFailure"/>
/// until a later snapshot succeeds, and reported to <see cref="EngineOptions.OnSnapshotFailed"/>:
/// it never throws into the runtime or at shutdown.
/// </summary>
internal sealed class SnapshotScheduler
{
    private readonly SnapshotStore _store;
    private readonly IJournal _journal;
    private readonly long _everyEntries;
    private readonly DataFolderManifest? _manifest;
    private readonly Action<Exception>? _onFailed;
    private long _lastSnapshotIndex;
    private Task _inFlight = Task.CompletedTask;
    private long _snapshotsWritten;
    private long _failures;
    private volatile Exception? _lastFailure;

    public SnapshotScheduler(SnapshotStore store, IJournal journal, long everyEntries, long lastSnapshotIndex, DataFolderManifest? manifest = null, Action<Exception>? onFailed = null)
    {
        _store = store;
        _journal = journal;
        _everyEntries = everyEntries;
        _lastSnapshotIndex = lastSnapshotIndex;
        _manifest = manifest;
        _onFailed = onFailed;
    }

    /// <summary>Snapshot writes that failed since open; read from any thread.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Why the last snapshot failed, or null once a later one succeeded.</summary>
    public Exception? LastFailure => _lastFailure;

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
        try
        {
            _store.Write(index, term, body);
            _manifest?.Advance(index);
            Interlocked.Increment(ref _snapshotsWritten);
            _lastFailure = null;
            if (_store.TruncationPoint() is { } keepFrom && keepFrom > _journal.FirstIndex)
            {
                _journal.TruncateBefore(keepFrom);
            }
        }
#pragma warning disable CA1031 // Background work must not throw into the runtime: the failure is recorded and reported.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var failure = new IOException($"snapshot at index {index} in '{_store.PathFor(index)}' failed: {e.Message}", e);
            _lastFailure = failure;
            Interlocked.Increment(ref _failures);
            try
            {
                _onFailed?.Invoke(failure);
            }
#pragma warning disable CA1031 // A faulty observer must not turn a recorded failure into a crash.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }
}
