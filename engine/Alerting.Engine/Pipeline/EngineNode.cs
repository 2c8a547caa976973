using Alerting.Engine.Journal;
using Alerting.Engine.Ring;
using Alerting.Engine.Snapshots;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Google.Protobuf;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// One engine node, wired as DESIGN section 2 draws it: producers publish into the
/// multi-producer input ring; the journaler stage appends each entry to the journal; the
/// stages of <see cref="EngineOptions.Stages"/> (the replicator's place) see each journaled
/// entry beside it; the state-machine stage, gated on all of them, waits until the entry is
/// committed (<see cref="ICommitIndex"/>: durable locally, or on a quorum) and applies entries
/// in log order. <see cref="Open(EngineOptions)"/> recovers first: newest valid snapshot plus
/// the journal suffix.
/// </summary>
public sealed class EngineNode : IDisposable
{
    private readonly EngineOptions _options;
    private readonly IJournal _journal;
    private readonly ICommitIndex _commit;
    private readonly SnapshotScheduler _snapshots;
    private readonly LogApplier _applier;
    private readonly RingBuffer<InputSlot> _ring;
    private readonly List<(string Name, IEventProcessor Processor)> _stages;
    private readonly BatchEventProcessor<InputSlot, StateMachineStage> _stateMachine;
    private readonly TickClock? _clock;
    private readonly PipelineFault _fault = new();
    private readonly DataFolderManifest? _manifest;
    private int _disposed;
    private string? _primaryAddress;

    private EngineNode(EngineOptions options, IJournal journal, SnapshotStore store, LogApplier applier, long snapshotIndex, RecoveryReport recovery, DataFolderManifest? manifest, EngineState? rebuildSeed)
    {
        _options = options;
        _journal = journal;
        _manifest = manifest;
        _applier = applier;
        Recovery = recovery;
        Progress = new AppliedProgress(applier.State.AppliedIndex);
        Admission = new WriteAdmission((long)Math.Min(long.MaxValue / 4, options.ApplyBacklogBudget.Ticks * 100.0), options.MaxAdmissionWaiting, options.MaxAdmissionWait, options.TimeProvider);
        _snapshots = new SnapshotScheduler(store, journal, options.SnapshotEveryEntries, snapshotIndex, manifest, options.OnSnapshotFailed, options.Limits, rebuildSeed);

        _commit = options.CommitIndex ?? new JournalCommitIndex(journal);

        // The stage list: the journaler first, then every extra stage behind it (in parallel
        // with one another), then the state machine gated on all of them.
        _ring = new RingBuffer<InputSlot>(new MultiProducerSequencer(options.InputRingSize, new BlockingWaitStrategy()));
        var journaler = new BatchEventProcessor<InputSlot, JournalerStage>(
            _ring, _ring.NewBarrier(), new JournalerStage(journal, options.Term, _fault));
        _stages = [("journaler", journaler)];
        foreach (var stage in options.Stages)
        {
            _stages.Add((stage.Name, new BatchEventProcessor<InputSlot, EntryStageHandler>(
                _ring, _ring.NewBarrier(journaler.Sequence), new EntryStageHandler(stage, _fault))));
        }

        var upstream = _stages.ConvertAll(s => s.Processor.Sequence).ToArray();
        _stateMachine = new BatchEventProcessor<InputSlot, StateMachineStage>(
            _ring, _ring.NewBarrier(upstream), new StateMachineStage(_commit, applier, Progress, _snapshots, _fault, ApplyCosts));
        _stages.Add(("state machine", _stateMachine));
        _ring.AddGatingSequences(_stateMachine.Sequence);

        foreach (var (name, processor) in _stages)
        {
            processor.Start("alerting-" + name.Replace(' ', '-'));
            _ = processor.Stopped.ContinueWith(t => OnStageStopped(name, t), TaskScheduler.Default);
        }

        if (options.RunClock && options.Role == NodeRole.Primary)
        {
            _clock = new TickClock(options.TimeProvider, options.TickPeriod, TryPublishTick);
            _clock.Start();
        }
    }

    /// <summary>
    /// Admission of client writes in front of the log: the server admits each write here (bounded
    /// apply backlog, fair between clients) before it calls <see cref="TryWrite"/>, and releases it
    /// once applied. <see cref="TryWrite"/> itself does not wait on it (ticks, internal entries).
    /// </summary>
    public WriteAdmission Admission { get; }

    /// <summary>What applying a client write costs, learned on the state-machine thread; admission's estimate.</summary>
    public ApplyCostEstimate ApplyCosts { get; } = new();

    /// <summary>Applied-index progress; await a log position instead of sleeping.</summary>
    public AppliedProgress Progress { get; }

    /// <summary>What recovery found and replayed.</summary>
    public RecoveryReport Recovery { get; }

    /// <summary>The journal's durable index.</summary>
    public long DurableIndex => _journal.DurableIndex;

    /// <summary>
    /// The client (gRPC) address of the primary as this node knows it, or null: a non-primary
    /// names it when it refuses a write, so clients follow it. Whoever learns the primary (the
    /// replication runtime) sets it; any thread may read or set it.
    /// </summary>
    public string? PrimaryAddress
    {
        get => Volatile.Read(ref _primaryAddress);
        set => Volatile.Write(ref _primaryAddress, value);
    }

    /// <summary>This node's role: only a primary takes client writes and publishes ticks.</summary>
    public NodeRole Role => _options.Role;

    /// <summary>The commit index the state machine applies up to (single node: <see cref="DurableIndex"/>).</summary>
    public long CommitIndex => _commit.CommitIndex;

    /// <summary>Free input ring slots.</summary>
    public long InputRingFree => _ring.RemainingCapacity;

    /// <summary>
    /// The state. Only read it from another thread once the node is disposed: while it runs,
    /// the state-machine thread owns it.
    /// </summary>
    public EngineState State => _applier.State;

    public long SnapshotsWritten => _snapshots.SnapshotsWritten;

    /// <summary>Background snapshot writes that failed since open.</summary>
    public long SnapshotFailures => _snapshots.Failures;

    /// <summary>Snapshots whose state was rebuilt off the state-machine thread (from the previous snapshot and the journal).</summary>
    public long SnapshotsRebuilt => _snapshots.SnapshotsRebuilt;

    /// <summary>Rebuilds that had to restore their copy of the state from a snapshot file (not seeded at open, or after a failure). Read once the node is disposed.</summary>
    public long SnapshotRebuildRestores => _snapshots.RebuildRestores;

    /// <summary>Why the last snapshot failed, or null when none failed or a later one succeeded (the node is degraded meanwhile).</summary>
    public Exception? SnapshotFailure => _snapshots.LastFailure;

    /// <summary>The data folder's node id (from its manifest); null on a journal the node did not open itself.</summary>
    public Guid? DataFolderId => _manifest?.NodeId;

    /// <summary>Largest encoded entry the journal takes; a larger one is refused before it reaches the ring.</summary>
    public static int MaxEntryBytes => JournalOptions.DefaultMaxPayloadBytes;

    /// <summary>
    /// Why the node stopped taking writes (a pipeline stage failed: a full disk, a failed fsync),
    /// or null while it is healthy. A faulted node stays up: it completes the writes it held with
    /// this fault, refuses new ones, and still answers reads of the last applied state.
    /// </summary>
    public EngineFaultedException? Fault => _fault.Current;

    /// <summary>
    /// Opens (recovering if there is data) and starts a node on the FasterLog journal in
    /// <c>journal/</c> of the data folder. The folder's <see cref="DataFolderManifest"/> (beside
    /// <c>journal/</c>) is checked first: a folder that held data and lost its journal is refused,
    /// unless <see cref="EngineOptions.ForceEmpty"/>. A folder without a manifest (new, or written
    /// by an older version) gets one from what is there.
    /// </summary>
    /// <exception cref="JournalRecoveryException">The data folder cannot be recovered without losing durable entries.</exception>
    /// <exception cref="JournalCorruptionException">A committed journal record failed verification.</exception>
    public static EngineNode Open(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        if (!Directory.Exists(dataDirectory))
        {
            Directory.CreateDirectory(dataDirectory);
            DirectorySync.Flush(Path.GetDirectoryName(dataDirectory)!);
        }

        var journalDirectory = Path.Combine(dataDirectory, JournalDirectoryName);
        string? discardedTo = options.ForceEmpty ? DiscardData(dataDirectory, options.TimeProvider) : null;
        var manifest = DataFolderManifest.TryRead(dataDirectory);
        if (manifest is not null && !Directory.Exists(journalDirectory))
        {
            throw new JournalRecoveryException(
                $"the data folder manifest '{DataFolderManifest.PathIn(dataDirectory)}' says this folder held data (up to at least index {manifest.Index}) but '{journalDirectory}' is missing: refusing to start empty; restore journal/ from a backup or a healthy peer, or start with --force-empty to discard the data");
        }

        var journalExisted = Directory.Exists(journalDirectory);
        var journal = FasterJournal.Open(new JournalOptions
        {
            Directory = journalDirectory,
            PageSizeBits = options.JournalPageSizeBits,
            MemorySizeBits = options.JournalMemorySizeBits,
            SegmentSizeBits = options.JournalSegmentSizeBits,
        });
        journal.CommitObserver = options.OnJournalCommit;
        try
        {
            if (!journalExisted)
            {
                DirectorySync.Flush(dataDirectory);
            }

            if (manifest is not null && journal.LastIndex < manifest.Index)
            {
                throw new JournalRecoveryException(
                    $"the journal in '{journalDirectory}' ends at index {journal.LastIndex} but the data folder manifest '{DataFolderManifest.PathIn(dataDirectory)}' says entries up to {manifest.Index} existed: its files (the high-water mark 'hwm', the commit file) may have been deleted; refusing to start; restore the folder from a backup or a healthy peer, or start with --force-empty to discard the data");
            }

            manifest ??= DataFolderManifest.Create(dataDirectory, journal.DurableIndex);
            manifest.Advance(journal.DurableIndex);
        }
        catch
        {
            journal.Dispose();
            throw;
        }

        return Open(options, journal, manifest, discardedTo);
    }

    /// <summary>Name of the journal's folder inside the data folder.</summary>
    public const string JournalDirectoryName = "journal";

    /// <summary>Name of the snapshots' folder inside the data folder.</summary>
    public const string SnapshotsDirectoryName = "snapshots";

    /// <summary>
    /// Opens and starts a node on <paramref name="journal"/> (the simulator's and the fault tests'
    /// <see cref="MemoryJournal"/>), recovering from the snapshots in the data folder plus the
    /// journal's durable suffix. The node owns the journal and disposes it, also when opening fails.
    /// </summary>
    /// <exception cref="JournalRecoveryException">The snapshots and the journal do not join up.</exception>
    public static EngineNode Open(EngineOptions options, IJournal journal) => Open(options, journal, manifest: null, discardedTo: null);

    private static EngineNode Open(EngineOptions options, IJournal journal, DataFolderManifest? manifest, string? discardedTo)
    {
        ArgumentNullException.ThrowIfNull(journal);
        try
        {
            ArgumentNullException.ThrowIfNull(options);
            ArgumentNullException.ThrowIfNull(options.Limits);
            ArgumentNullException.ThrowIfNull(options.Stages);
            CheckAdmission(options);
            if (options.Role == NodeRole.Witness)
            {
                throw new ArgumentException("a witness runs no engine: it persists term, vote and the commit frontier only", nameof(options));
            }

            var store = new SnapshotStore(Path.Combine(options.DataDirectory, SnapshotsDirectoryName));
            var rejected = new List<string>();
            var state = LoadNewestUsable(store, options.Limits, rejected, out var loaded) ?? new EngineState(options.Limits);
            var snapshotIndex = state.AppliedIndex;

            // The snapshot rebuilder's own copy of the state, decoded again while the journal is
            // replayed: built later, with the apply loop running, its promotion would pause the loop.
            var seed = options.SnapshotEveryEntries > 0 && loaded is { } snapshot ? Task.Run(() => Restore(snapshot, options.Limits)) : null;
            var applier = new LogApplier(state, options.OnTransitions);
            long replayed;
            try
            {
                replayed = Replay(journal, applier);
            }
            catch (JournalRecoveryException e) when (rejected.Count > 0)
            {
                throw new JournalRecoveryException($"{e.Message}; snapshots skipped: {string.Join("; ", rejected)}", e);
            }

            var report = new RecoveryReport(snapshotIndex, replayed, rejected)
            {
                RemovedTempFiles = store.RemovedTempFiles,
                DiscardedTo = discardedTo,
            };
            var rebuildSeed = SeedOrNull(seed);
            if (rebuildSeed is not null)
            {
                // Promote the restored state and the seed now, before the apply loop runs, rather
                // than in the loop's first collections (hundreds of ms at a million series).
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            }

            return new EngineNode(options, journal, store, applier, snapshotIndex, report, manifest, rebuildSeed);
        }
        catch
        {
            journal.Dispose();
            throw;
        }
    }
    private static void CheckAdmission(EngineOptions options)
    {
        if (options.ApplyBacklogBudget < TimeSpan.Zero)
        {
            throw new ArgumentException($"ApplyBacklogBudget must be zero or positive, was {options.ApplyBacklogBudget.TotalMilliseconds} ms", nameof(options));
        }

        if (options.MaxAdmissionWaiting < 0)
        {
            throw new ArgumentException($"MaxAdmissionWaiting must be zero or positive, was {options.MaxAdmissionWaiting}", nameof(options));
        }

        if (options.MaxAdmissionWait <= TimeSpan.Zero || options.MaxAdmissionWait > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"MaxAdmissionWait must be positive and at most a day, was {options.MaxAdmissionWait.TotalMilliseconds} ms", nameof(options));
        }
    }

    /// <summary>
    /// Publishes an entry. Returns null, at once, when the input ring is full (the caller
    /// answers RESOURCE_EXHAUSTED); otherwise a task that completes when the entry is durable
    /// and applied, with its log index.
    /// </summary>
    /// <exception cref="NotPrimaryException">This node is not the primary.</exception>
    public Task<AppliedEntry>? TryWrite(LogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_options.Role != NodeRole.Primary)
        {
            var primary = PrimaryAddress;
            throw new NotPrimaryException(
                primary is null
                    ? $"this node is a {_options.Role.ToString().ToLowerInvariant()}: it takes no client writes, and no primary is known yet"
                    : $"this node is a {_options.Role.ToString().ToLowerInvariant()}: it takes no client writes",
                primary);
        }

        var completion = new TaskCompletionSource<AppliedEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        return TryPublish(entry, completion) ? completion.Task : null;
    }

    /// <summary>
    /// A standby's door for the primary's log: publishes the entry the primary placed at
    /// <paramref name="index"/> in <paramref name="term"/> (its encoding, as journaled there). The
    /// journaler appends it at that index and the state machine applies it once committed. Call
    /// from one thread, in index order, starting at <see cref="LastIndex"/> + 1. Returns null at
    /// once when the input ring is full; otherwise a task that completes when it is applied.
    /// </summary>
    /// <exception cref="InvalidOperationException">This node is not a standby.</exception>
    public Task<AppliedEntry>? TryAppendReplicated(long index, ulong term, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_options.Role != NodeRole.Standby)
        {
            throw new InvalidOperationException($"only a standby appends the primary's entries; this node is a {_options.Role.ToString().ToLowerInvariant()}");
        }

        var completion = new TaskCompletionSource<AppliedEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        return TryPublish(LogEntry.Parser.ParseFrom(payload), payload, index, term, completion) ? completion.Task : null;
    }

    /// <summary>
    /// Runs <paramref name="read"/> on the state-machine thread, after every entry published
    /// before it (a linearizable read). Returns null, at once, when the input ring is full.
    /// The function must only read, and must copy what it returns.
    /// </summary>
    public Task<T>? TryQuery<T>(Func<EngineState, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_ring.TryNext(out var sequence))
        {
            return null;
        }

        var completion = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        ref var slot = ref _ring[sequence];
        slot.Entry = null;
        slot.Payload = null;
        slot.Completion = null;
        slot.Index = 0;
        slot.Replicated = false;
        slot.Query = state => read(state);
        slot.QueryCompletion = completion;
        _ring.Publish(sequence);
        return Cast<T>(completion.Task);
    }

    /// <summary>
    /// Serialises the state on the state-machine thread (the only consistent view), exactly as a
    /// periodic snapshot's body, with the applied index and term it covers: a replicated primary
    /// writes it to a file of its own to send to a replica that needs it. The serialisation runs on
    /// the apply loop like a periodic snapshot's. Null, at once, when the input ring is full.
    /// </summary>
    public Task<StateImage>? TryCaptureState() =>
        TryQuery(state => new StateImage(state.AppliedIndex, state.Term, SnapshotScheduler.Serialize(state)));

    /// <summary>The transition history: subscriptions read it and wait on it for new events.</summary>
    public TransitionHistory History => _applier.State.History;

    /// <summary>
    /// Completes when the journal made every entry up to <paramref name="index"/> durable (the
    /// replicator reports it to its consensus core); faults if the journal can no longer do so.
    /// </summary>
    public ValueTask WaitForDurableAsync(long index, CancellationToken cancellationToken = default) =>
        _journal.WaitForDurableAsync(index, cancellationToken);

    /// <summary>Index of the oldest entry the journal keeps (entries before it are covered by a snapshot).</summary>
    public long JournalFirstIndex => _journal.FirstIndex;

    /// <summary>The term of the journal's entry at <paramref name="index"/> (0 for index 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The journal does not hold that index.</exception>
    public ulong TermOf(long index) =>
        _journal.TryGetTerm(index, out var term) ? term : throw new ArgumentOutOfRangeException(nameof(index), index, $"the journal holds {_journal.FirstIndex}..{_journal.LastIndex}");

    /// <summary>Reads the journal's durable entries from <paramref name="fromIndex"/> (the replicator rebuilds its log from them at start).</summary>
    public IJournalScanner ScanJournal(long fromIndex) => _journal.Scan(fromIndex);

    /// <summary>The journal's last appended index.</summary>
    public long LastIndex => _journal.LastIndex;

    /// <summary>The term this node writes in.</summary>
    public ulong Term => _options.Term;

    /// <summary>
    /// Graceful stop: drains the ring, commits, writes a final snapshot, closes files. With an
    /// external <see cref="EngineOptions.CommitIndex"/>, writes it has not committed complete with
    /// <see cref="ObjectDisposedException"/> instead of being waited for.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _clock?.Dispose();
        if (_options.CommitIndex is not null)
        {
            // An external commit index (replication) may never reach what is in the ring once the
            // node stops: fail those writes instead of waiting. A local journal always commits or fails.
            _fault.StopWaiting();
        }

        var cursor = _ring.Cursor;
        var spinner = default(SpinWait);
        while (_stateMachine.Sequence.Value < cursor && !_stages.Exists(s => s.Processor.Stopped.IsCompleted))
        {
            spinner.SpinOnce();
        }

        foreach (var (_, processor) in _stages)
        {
            processor.Halt();
        }

        Task.WaitAll(_stages.ConvertAll(s => s.Processor.Stopped));
        // A rebuild still going writes nothing: the shutdown snapshot below (or the journal) covers its index.
        _snapshots.CancelRebuild();
        var faulted = _fault.Current is not null;
        if (_options.SnapshotOnShutdown && !faulted)
        {
            // A failed final snapshot is recorded like a background one; the journal still holds everything.
            _snapshots.SnapshotNow(_applier.State);
        }

        // Snapshot writes catch and record their failures: waiting never throws.
        _snapshots.InFlight.GetAwaiter().GetResult();
        _snapshots.Dispose();
        _journal.Dispose();
        if (!faulted && _manifest is not null)
        {
            try
            {
                _manifest.Advance(_journal.DurableIndex);
            }
            catch (IOException)
            {
                // The mark only moves forward; the previous one and the journal's own mark still hold.
            }
        }

        _fault.Dispose();
    }

    private static async Task<T> Cast<T>(Task<object?> task) => (T)(await task.ConfigureAwait(false))!;

    /// <summary>
    /// The state of the newest snapshot that passes its CRC and decodes; every snapshot skipped on
    /// the way is named in <paramref name="rejected"/> with the reason. Null when none is usable.
    /// </summary>
    private static EngineState? LoadNewestUsable(SnapshotStore store, Monitors.IngestLimits limits, List<string> rejected, out LoadedSnapshot? used)
    {
        used = null;
        foreach (var index in store.ListIndexes())
        {
            if (!store.TryLoad(index, out var snapshot, out var reason))
            {
                rejected.Add(reason);
                continue;
            }

            try
            {
                var state = Restore(snapshot, limits);
                used = snapshot;
                return state;
            }
#pragma warning disable CA1031 // Any decode failure of one file falls back to the next older snapshot.
            catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                rejected.Add($"snapshot {index} ({store.PathFor(index)}): passes its CRC but does not decode: {e.GetType().Name}: {e.Message}");
            }
        }

        return null;
    }

    /// <summary>
    /// <see cref="EngineOptions.ForceEmpty"/>: moves <c>journal/</c>, <c>snapshots/</c> and the
    /// manifest into a new <c>discarded-*</c> folder of the data folder. Returns that folder, or
    /// null when there was nothing to move.
    /// </summary>
    private static string? DiscardData(string dataDirectory, TimeProvider time)
    {
        string[] names = [JournalDirectoryName, SnapshotsDirectoryName, DataFolderManifest.FileName];
        if (!Array.Exists(names, n => Path.Exists(Path.Combine(dataDirectory, n))))
        {
            return null;
        }

        var discarded = Path.Combine(dataDirectory, "discarded-" + time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(discarded);
        foreach (var name in names)
        {
            var from = Path.Combine(dataDirectory, name);
            if (Directory.Exists(from))
            {
                Directory.Move(from, Path.Combine(discarded, name));
            }
            else if (File.Exists(from))
            {
                File.Move(from, Path.Combine(discarded, name));
            }
        }

        DirectorySync.Flush(discarded);
        DirectorySync.Flush(dataDirectory);
        return discarded;
    }

    /// <summary>The rebuilder's seed, or null when there is none or it failed (the first rebuild then restores its own).</summary>
    private static EngineState? SeedOrNull(Task<EngineState>? seed)
    {
        if (seed is null)
        {
            return null;
        }

        try
        {
            return seed.GetAwaiter().GetResult();
        }
#pragma warning disable CA1031 // The same bytes decoded once already; should a second decode still fail, the rebuild restores its copy itself.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private static EngineState Restore(LoadedSnapshot snapshot, Monitors.IngestLimits limits)
    {
        using var reader = new BinaryReader(new MemoryStream(snapshot.Body.ToArray()));
        var state = EngineState.ReadFrom(reader, limits);
        if (state.AppliedIndex != snapshot.Index)
        {
            throw new InvariantViolationException(
                $"snapshot file at index {snapshot.Index} holds state applied to {state.AppliedIndex}");
        }

        return state;
    }

    private static long Replay(IJournal journal, LogApplier applier)
    {
        var next = applier.State.AppliedIndex + 1;
        if (journal.LastIndex < applier.State.AppliedIndex)
        {
            throw new JournalRecoveryException(
                $"the newest usable snapshot covers index {applier.State.AppliedIndex} but the journal ends at {journal.LastIndex}: refusing to start, entries the snapshot depends on are missing; restore the journal from a backup or a healthy peer");
        }

        if (journal.LastIndex < next)
        {
            return 0;
        }

        if (journal.FirstIndex > next)
        {
            throw new JournalRecoveryException(
                $"the journal starts at index {journal.FirstIndex} but {(applier.State.AppliedIndex == 0 ? "no snapshot is usable" : $"the newest usable snapshot is at {applier.State.AppliedIndex}")}: entries {next}..{journal.FirstIndex - 1} are missing; refusing to start; restore a snapshot from a backup or a healthy peer");
        }

        long replayed = 0;
        using var scanner = journal.Scan(next);
        while (scanner.TryNext(out var record))
        {
            applier.Apply(record.Index, record.Term, LogEntry.Parser.ParseFrom(record.Payload.Span));
            replayed++;
        }

        if (applier.State.AppliedIndex != journal.DurableIndex)
        {
            throw new InvariantViolationException(
                $"replay stopped at {applier.State.AppliedIndex}, the journal is durable to {journal.DurableIndex}");
        }

        return replayed;
    }

    /// <summary>The clock's publish: a faulted or stopping node takes no ticks (refused, not thrown).</summary>
    private bool TryPublishTick(long unixMs) =>
        Volatile.Read(ref _disposed) == 0 && _fault.Current is null && TryPublish(new LogEntry { Tick = new Tick { UnixMs = unixMs } }, completion: null);

    private void OnStageStopped(string stage, Task stopped)
    {
        // Stages catch their failures and keep the ring moving; a loop that still died is recorded.
        if (stopped.IsFaulted && Volatile.Read(ref _disposed) == 0)
        {
            _fault.Record(stage, stopped.Exception!.GetBaseException());
        }
    }

    private bool TryPublish(LogEntry entry, TaskCompletionSource<AppliedEntry>? completion) =>
        TryPublish(entry, entry.ToByteArray(), replicatedIndex: 0, replicatedTerm: 0, completion);

    private bool TryPublish(LogEntry entry, byte[] payload, long replicatedIndex, ulong replicatedTerm, TaskCompletionSource<AppliedEntry>? completion)
    {
        if (_fault.Current is { } fault)
        {
            throw new EngineFaultedException(fault.Message, fault.InnerException ?? fault);
        }

        if (payload.Length > MaxEntryBytes)
        {
            // The journal would refuse it on the journaler thread and stop the pipeline: refuse it here.
            throw new EntryTooLargeException(payload.Length, MaxEntryBytes);
        }

        if (!_ring.TryNext(out var sequence))
        {
            return false;
        }

        ref var slot = ref _ring[sequence];
        slot.Entry = entry;
        slot.Payload = payload;
        slot.Completion = completion;
        slot.Index = replicatedIndex;
        slot.Term = replicatedTerm;
        slot.Replicated = replicatedIndex != 0;
        slot.Query = null;
        slot.QueryCompletion = null;
        _ring.Publish(sequence);
        return true;
    }
}

/// <summary>The state serialised at <paramref name="Index"/> (in <paramref name="Term"/>), in the snapshot file's body format (<see cref="SnapshotStore.Write"/>).</summary>
public sealed record StateImage(long Index, ulong Term, byte[] Body);

/// <summary>What <see cref="EngineNode.Open"/> recovered: the snapshot index, the entries replayed after it, and any damaged snapshot skipped (file and reason).</summary>
public sealed record RecoveryReport(long SnapshotIndex, long EntriesReplayed, IReadOnlyList<string> RejectedSnapshots)
{
    /// <summary>Temporary snapshot files of an interrupted write, removed at open.</summary>
    public IReadOnlyList<string> RemovedTempFiles { get; init; } = [];

    /// <summary>With <see cref="EngineOptions.ForceEmpty"/>: the folder the old data was moved to (null when there was none).</summary>
    public string? DiscardedTo { get; init; }
}
