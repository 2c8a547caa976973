namespace Alerting.Engine.Pipeline;

/// <summary>Settings of one engine node; every limit is named here.</summary>
public sealed record EngineOptions
{
    /// <summary>Default number of input ring slots (a power of two).</summary>
    public const int DefaultInputRingSize = 1 << 14;

    /// <summary>Default number of applied entries between two snapshots.</summary>
    public const long DefaultSnapshotEveryEntries = 1_000_000;

    /// <summary>Default <see cref="ApplyBacklogBudget"/>: a few milliseconds of apply work ahead of any write (the stall bar is 10 ms, fsync included).</summary>
    public static readonly TimeSpan DefaultApplyBacklogBudget = TimeSpan.FromMilliseconds(5);

    /// <summary>Default <see cref="MaxAdmissionWaiting"/>.</summary>
    public const int DefaultMaxAdmissionWaiting = 4_096;

    /// <summary>
    /// Default <see cref="MaxAdmissionWait"/>: well under <c>AlertingWriter</c>'s default attempt timeout
    /// (5 s), so a client sees RESOURCE_EXHAUSTED (retry here) rather than silence (hop to another node).
    /// </summary>
    public static readonly TimeSpan DefaultMaxAdmissionWait = TimeSpan.FromSeconds(2);

    /// <summary>The node's data folder: <c>journal/</c> and <c>snapshots/</c> live under it.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Input ring slots; a full ring refuses writes at once (RESOURCE_EXHAUSTED), it never queues.</summary>
    public int InputRingSize { get; init; } = DefaultInputRingSize;

    /// <summary>
    /// Applied entries between snapshots; 0 disables periodic snapshots. Periodic snapshots are
    /// rebuilt off the apply loop from a second copy of the state that the node keeps for them
    /// (about twice the managed heap; see docs/performance.md), so 0 also saves that copy.
    /// </summary>
    public long SnapshotEveryEntries { get; init; } = DefaultSnapshotEveryEntries;

    /// <summary>Write a snapshot on graceful shutdown so the next start replays less.</summary>
    public bool SnapshotOnShutdown { get; init; } = true;

    /// <summary>Period of the primary's <c>Tick</c> entries.</summary>
    public TimeSpan TickPeriod { get; init; } = StateMachine.TickClock.DefaultPeriod;

    /// <summary>
    /// The node's role. Only a primary takes client writes and runs its tick clock; a standby
    /// applies the entries replication hands it. A witness runs no engine: opening one is refused.
    /// </summary>
    public NodeRole Role { get; init; } = NodeRole.Primary;

    /// <summary>Whether a primary publishes ticks itself (off in tests that feed ticks as entries); a standby never does.</summary>
    public bool RunClock { get; init; } = true;

    /// <summary>The wall clock the tick clock reads (a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The term this node writes in (single node: 1; replication assigns it later).</summary>
    public ulong Term { get; init; } = 1;

    /// <summary>Bounds on points, series, groups and monitors; every replica must use the same.</summary>
    public Monitors.IngestLimits Limits { get; init; } = new();

    /// <summary>
    /// Called on the state-machine thread with the events of each applied entry, during
    /// recovery replay too (the events then repeat with their original ids). Must be quick.
    /// </summary>
    public Action<IReadOnlyList<State.TransitionEvent>>? OnTransitions { get; init; }

    /// <summary>
    /// What the state machine applies up to. Null: this node's durable index (durability mode
    /// <c>local</c>). Replication supplies a <see cref="CommitGate"/> it advances to the
    /// highest index durable on a quorum.
    /// </summary>
    public ICommitIndex? CommitIndex { get; init; }

    /// <summary>
    /// Ring consumers beside the journaler (the replicator): each sees every journaled entry, on
    /// its own thread, before the state machine applies it; the state machine is gated on all of them.
    /// </summary>
    public IReadOnlyList<IEntryStage> Stages { get; init; } = [];

    /// <summary>
    /// Client writes admitted and not yet applied may hold at most this much estimated apply work
    /// (<see cref="ApplyCostEstimate"/>); more waits for admission (<see cref="WriteAdmission"/>),
    /// so a write never queues behind more than this in front of the state machine. Zero admits one
    /// write at a time. Only admission reads it: replicas may differ.
    /// </summary>
    public TimeSpan ApplyBacklogBudget { get; init; } = DefaultApplyBacklogBudget;

    /// <summary>Writes that may wait for admission at once; one more is refused at once (RESOURCE_EXHAUSTED).</summary>
    public int MaxAdmissionWaiting { get; init; } = DefaultMaxAdmissionWaiting;

    /// <summary>Longest a write waits for admission before it is refused (RESOURCE_EXHAUSTED); positive.</summary>
    public TimeSpan MaxAdmissionWait { get; init; } = DefaultMaxAdmissionWait;

    /// <summary>Journal page, memory and segment sizes, as powers of two.</summary>
    public int JournalPageSizeBits { get; init; } = 22;

    public int JournalMemorySizeBits { get; init; } = 25;

    public int JournalSegmentSizeBits { get; init; } = 30;

    /// <summary>
    /// The operator's "I mean it": open an empty node even though the data folder's manifest says
    /// it held data. The old <c>journal/</c> and <c>snapshots/</c> are moved into a
    /// <c>discarded-*</c> folder (not deleted), and the manifest is rewritten with a new node id.
    /// </summary>
    public bool ForceEmpty { get; init; }

    /// <summary>
    /// Called on the snapshot writer's thread when a background snapshot fails (the node keeps
    /// running on its journal; <see cref="EngineNode.SnapshotFailure"/> holds the reason until a
    /// later snapshot succeeds). Must be quick and must not throw.
    /// </summary>
    public Action<Exception>? OnSnapshotFailed { get; init; }

    /// <summary>
    /// Called on the journal's commit thread after each group commit of the FasterLog journal, with
    /// the commit's duration in <see cref="System.Diagnostics.Stopwatch"/> ticks and the entries it
    /// made durable (the server's commit latency histogram). Set from the journal's open on, so
    /// commits during recovery may be missed. Must be quick and must not throw.
    /// </summary>
    public Action<long, long>? OnJournalCommit { get; init; }
}
