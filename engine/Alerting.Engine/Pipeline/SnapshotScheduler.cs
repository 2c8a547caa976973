using Alerting.Engine.Journal;
using Alerting.Engine.Snapshots;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// Takes a snapshot every <see cref="EngineOptions.SnapshotEveryEntries"/> applied entries without
/// stopping the apply loop: the state-machine thread only names the index (and term) the snapshot
/// is of, and a background task brings its own copy of the state to that index from the journal
/// (<see cref="SnapshotRebuilder"/>; the copy is kept between snapshots, and restored from the
/// newest snapshot file only the first time or after a failure), serialises it, writes and fsyncs
/// the file. The bytes equal a stop-the-world snapshot at that index (the state is a function of the
/// entries applied). Only then is the journal truncated, before the older of the two newest valid
/// snapshots (never with only one), so a damaged newest snapshot can still fall back to the older
/// one plus the journal. When a rebuild cannot be done (no snapshot joins the journal, or it
/// failed), the next snapshot is serialised on the state-machine thread as before this scheme
/// (<see cref="Serialize"/>, which shutdown and the tests' oracle use too). At most one snapshot
/// is in flight. A failed write is caught on the writer, counted, kept in
/// <see cref="LastFailure"/> until a later snapshot succeeds, and reported to
/// <see cref="EngineOptions.OnSnapshotFailed"/>: it never throws into the runtime or at shutdown.
/// </summary>
internal sealed class SnapshotScheduler : IDisposable
{
    private readonly SnapshotStore _store;
    private readonly IJournal _journal;
    private readonly long _everyEntries;
    private readonly DataFolderManifest? _manifest;
    private readonly Action<Exception>? _onFailed;
    private readonly SnapshotRebuilder _rebuilder;
    private readonly CancellationTokenSource _stopping = new();
    private long _lastSnapshotIndex;
    private long _lastPersistedIndex;
    private volatile bool _serializeNext;
    private long _rebuilt;
    private Task _inFlight = Task.CompletedTask;
    private long _snapshotsWritten;
    private long _failures;
    private volatile Exception? _lastFailure;

    public SnapshotScheduler(SnapshotStore store, IJournal journal, long everyEntries, long lastSnapshotIndex, DataFolderManifest? manifest = null, Action<Exception>? onFailed = null, Monitors.IngestLimits? limits = null, EngineState? rebuildSeed = null)
    {
        Invariant.Check(rebuildSeed is null || rebuildSeed.AppliedIndex == lastSnapshotIndex, "the rebuilder's seed is the state of the last snapshot");
        _rebuilder = new SnapshotRebuilder(store, journal, limits ?? new Monitors.IngestLimits(), rebuildSeed);
        _lastPersistedIndex = lastSnapshotIndex;
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

    /// <summary>Snapshots whose state was rebuilt off the state-machine thread (the rest were serialised on it).</summary>
    public long SnapshotsRebuilt => Interlocked.Read(ref _rebuilt);

    /// <summary>Rebuilds that restored their copy of the state from a snapshot file (the first, and after a failure or a gap); read once <see cref="InFlight"/> completed.</summary>
    public long RebuildRestores => _rebuilder.Restores;

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
        _lastSnapshotIndex = index;
        if (_serializeNext)
        {
            // The last rebuild could not be done: this one stops the loop once, as before, and the next rebuilds again.
            _serializeNext = false;
            var body = Serialize(state);
            _inFlight = Task.Run(() => Persist(index, term, body));
            return;
        }

        var stopping = _stopping.Token;
        _inFlight = Task.Run(() => RebuildAndPersist(index, term, stopping));
    }

    /// <summary>
    /// Stops a rebuild in flight (shutdown): it writes nothing, and the previous snapshot plus the
    /// journal stay what recovery uses. Call before <see cref="SnapshotNow"/>, which then waits only for it to stop.
    /// </summary>
    public void CancelRebuild() => _stopping.Cancel();

    /// <summary>Releases the cancellation source; call once <see cref="InFlight"/> has completed.</summary>
    public void Dispose() => _stopping.Dispose();

    /// <summary>Writes a snapshot synchronously (shutdown, tests).</summary>
    public void SnapshotNow(EngineState state)
    {
        _inFlight.GetAwaiter().GetResult();
        if (state.AppliedIndex == 0 || state.AppliedIndex == Interlocked.Read(ref _lastPersistedIndex))
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

    private void RebuildAndPersist(long index, ulong term, CancellationToken stopping)
    {
        ArraySegment<byte> body;
        try
        {
            body = _rebuilder.Rebuild(index, term, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // Background work must not throw into the runtime: the failure is recorded and the next snapshot is serialised in place.
        catch (Exception e) when (!stopping.IsCancellationRequested)
#pragma warning restore CA1031
        {
            _serializeNext = true;
            Fail(index, e);
            return;
        }
#pragma warning disable CA1031 // A journal closed under a canceled rebuild fails in its own way: nothing is written, nothing to report.
        catch (Exception)
#pragma warning restore CA1031
        {
            return;
        }

        Interlocked.Increment(ref _rebuilt);
        Persist(index, term, body);
    }

    private void Persist(long index, ulong term, ReadOnlyMemory<byte> body)
    {
        try
        {
            _store.Write(index, term, body.Span);
            Interlocked.Exchange(ref _lastPersistedIndex, index);
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
            Fail(index, e);
        }
    }

    private void Fail(long index, Exception e)
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
