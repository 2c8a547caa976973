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
    private int _disposed;

    private EngineNode(EngineOptions options, IJournal journal, SnapshotStore store, LogApplier applier, long snapshotIndex, RecoveryReport recovery)
    {
        _options = options;
        _journal = journal;
        _applier = applier;
        Recovery = recovery;
        Progress = new AppliedProgress(applier.State.AppliedIndex);
        _snapshots = new SnapshotScheduler(store, journal, options.SnapshotEveryEntries, snapshotIndex);

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
            _ring, _ring.NewBarrier(upstream), new StateMachineStage(_commit, applier, Progress, _snapshots, _fault));
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

    /// <summary>Applied-index progress; await a log position instead of sleeping.</summary>
    public AppliedProgress Progress { get; }

    /// <summary>What recovery found and replayed.</summary>
    public RecoveryReport Recovery { get; }

    /// <summary>The journal's durable index.</summary>
    public long DurableIndex => _journal.DurableIndex;

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

    /// <summary>Largest encoded entry the journal takes; a larger one is refused before it reaches the ring.</summary>
    public static int MaxEntryBytes => JournalOptions.DefaultMaxPayloadBytes;

    /// <summary>
    /// Why the node stopped taking writes (a pipeline stage failed: a full disk, a failed fsync),
    /// or null while it is healthy. A faulted node stays up: it completes the writes it held with
    /// this fault, refuses new ones, and still answers reads of the last applied state.
    /// </summary>
    public EngineFaultedException? Fault => _fault.Current;

    /// <summary>Opens (recovering if there is data) and starts a node on the FasterLog journal in <c>journal/</c> of the data folder.</summary>
    /// <exception cref="JournalRecoveryException">The data folder cannot be recovered without losing durable entries.</exception>
    public static EngineNode Open(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var journal = FasterJournal.Open(new JournalOptions
        {
            Directory = Path.Combine(options.DataDirectory, "journal"),
            PageSizeBits = options.JournalPageSizeBits,
            MemorySizeBits = options.JournalMemorySizeBits,
            SegmentSizeBits = options.JournalSegmentSizeBits,
        });
        return Open(options, journal);
    }

    /// <summary>
    /// Opens and starts a node on <paramref name="journal"/> (the simulator's and the fault tests'
    /// <see cref="MemoryJournal"/>), recovering from the snapshots in the data folder plus the
    /// journal's durable suffix. The node owns the journal and disposes it, also when opening fails.
    /// </summary>
    /// <exception cref="JournalRecoveryException">The snapshots and the journal do not join up.</exception>
    public static EngineNode Open(EngineOptions options, IJournal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        try
        {
            ArgumentNullException.ThrowIfNull(options);
            ArgumentNullException.ThrowIfNull(options.Limits);
            ArgumentNullException.ThrowIfNull(options.Stages);
            if (options.Role == NodeRole.Witness)
            {
                throw new ArgumentException("a witness runs no engine: it persists term, vote and the commit frontier only", nameof(options));
            }

            var store = new SnapshotStore(Path.Combine(options.DataDirectory, "snapshots"));
            var rejected = new List<string>();
            var snapshot = store.LoadNewestValid(rejected);
            var state = snapshot is { } s ? Restore(s, options.Limits) : new EngineState(options.Limits);
            var snapshotIndex = state.AppliedIndex;
            var applier = new LogApplier(state, options.OnTransitions);
            var replayed = Replay(journal, applier);
            return new EngineNode(options, journal, store, applier, snapshotIndex, new RecoveryReport(snapshotIndex, replayed, rejected));
        }
        catch
        {
            journal.Dispose();
            throw;
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
            throw new NotPrimaryException($"this node is a {_options.Role.ToString().ToLowerInvariant()}: it takes no client writes, and no primary is known yet");
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

    /// <summary>The transition history: subscriptions read it and wait on it for new events.</summary>
    public TransitionHistory History => _applier.State.History;

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
        var faulted = _fault.Current is not null;
        if (_options.SnapshotOnShutdown && !faulted)
        {
            _snapshots.SnapshotNow(_applier.State);
        }

        try
        {
            _snapshots.InFlight.GetAwaiter().GetResult();
        }
        catch (Exception) when (faulted)
        {
            // The journal failed under it (its truncation throws); the node's fault already says why.
        }

        _journal.Dispose();
        _fault.Dispose();
    }

    private static async Task<T> Cast<T>(Task<object?> task) => (T)(await task.ConfigureAwait(false))!;

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
                $"the newest snapshot covers index {applier.State.AppliedIndex} but the journal ends at {journal.LastIndex}: refusing to start, entries the snapshot depends on are missing");
        }

        if (journal.LastIndex < next)
        {
            return 0;
        }

        if (journal.FirstIndex > next)
        {
            throw new JournalRecoveryException(
                $"the journal starts at index {journal.FirstIndex} but the newest valid snapshot is at {applier.State.AppliedIndex}: entries {next}..{journal.FirstIndex - 1} are missing; refusing to start");
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

/// <summary>What <see cref="EngineNode.Open"/> recovered: the snapshot index, the entries replayed after it, and any damaged snapshot skipped.</summary>
public sealed record RecoveryReport(long SnapshotIndex, long EntriesReplayed, IReadOnlyList<string> RejectedSnapshots);
