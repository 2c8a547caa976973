using System.Collections.Concurrent;
using System.Threading.Channels;
using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Replication;
using Google.Protobuf;
using CoreEntry = Alerting.Replication.LogEntry;
using EngineEntry = Alerting.Protocol.Log.LogEntry;

namespace Alerting.Server.Replication;

/// <summary>
/// The shell around the consensus core (docs/replication.md, "The runtime"). One loop owns the
/// <see cref="ReplicaCore"/>: timer ticks, peers' messages, client proposals and "journal durable
/// up to N" all arrive through one input queue and are handled on it in order. Each
/// <see cref="Ready"/> is carried out as the core asks: entries go to the engine at the core's
/// indexes (<see cref="EngineNode.TryAppendReplicated"/>, on the primary too), the hard state is
/// fsynced before any message of that Ready is sent, and the committed, locally durable index
/// opens the engine's <see cref="CommitGate"/>. A client's write is acknowledged only when the
/// entry the core placed at (index, term) is applied and this node is still the primary of that term.
/// </summary>
public sealed class Replicator : IAsyncDisposable
{
    /// <summary>File in the data folder saying "the journal conflicts with the primary's log: set it aside at the next start".</summary>
    public const string ResyncMarker = "resync-required";

    /// <summary>Length of one core tick: the election timeout is 15–30 ticks, heartbeats every 3.</summary>
    public static readonly TimeSpan TickLength = TimeSpan.FromMilliseconds(10);

    /// <summary>Inputs waiting for the loop; a full queue refuses proposals (RESOURCE_EXHAUSTED) and slows peers' streams.</summary>
    public const int MaxQueuedInputs = 65_536;

    /// <summary>How long the primary keeps the entries after a snapshot it sent, for the replica to restart from it and follow the log (unless the replica's match passes it sooner).</summary>
    public static readonly TimeSpan SnapshotPinDuration = TimeSpan.FromSeconds(60);

    /// <summary>Ticks between writes of a hard state whose only change is the commit index (commit need not be durable: it is learned again).</summary>
    public const int CommitPersistTicks = 10;

    /// <summary>Proposals handed to the core in one call (one Ready, one append message per peer).</summary>
    public const int MaxProposalsPerCall = 256;

    /// <summary>Default of the setting <c>RetainedEntries</c>: entries the core keeps in memory below the applied index, for peers that lag; older ones are compacted away, and a peer that needs them is sent a snapshot.</summary>
    public const long DefaultRetainedEntries = 200_000;

    private readonly ClusterSettings _settings;
    private readonly long _retainedEntries;
    private readonly EngineOptions? _engineOptions;
    private readonly string _dataDirectory;
    // The core's log starts after this index (what it compacted away); read by snapshot serving.
    private long _logStart;
    // One snapshot captured at a time; one fetch served per replica at a time.
    private readonly SemaphoreSlim _captureGate = new(1, 1);
    private readonly ConcurrentDictionary<int, bool> _serving = new();
    // Per replica: the log is not compacted past a snapshot sent to it (until its timestamp), so the
    // replica can follow the log from there once it restarted from the snapshot.
    private readonly ConcurrentDictionary<int, (long Index, long Until)> _pins = new();
    // The loop's: the snapshot fetch in progress (one at a time).
    private Task _fetch = Task.CompletedTask;
    private readonly ReplicaCore _core;
    private readonly HardStateFile _hardStateFile;
    private readonly EngineNode? _node;
    private readonly CommitGate? _gate;
    private readonly TimeProvider _time;
    private readonly int _tickEveryLoopTicks;
    private readonly Dictionary<int, PeerSender> _peers = [];
    private readonly Channel<Input> _inputs = Channel.CreateBounded<Input>(new BoundedChannelOptions(MaxQueuedInputs) { SingleReader = true });
    private readonly Queue<CoreEntry> _toEngine = new();
    private readonly ConcurrentDictionary<long, PendingWrite> _pending = new();
    private readonly LeadershipObservers _observers;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<string> _log;
    private HardState _persisted;
    private bool _commitDirty;
    private int _ticksSinceCommitPersist;
    private int _ticksSinceClockTick;
    private long _engineNext;
    private long _applyUpTo;
    private Task? _loop;
    private Task? _durableWatcher;
    private Task? _timer;
    private readonly TaskCompletionSource<string> _resync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile StatusSnapshot _status;
    private long _pendingCommit;
    private TaskCompletionSource<(int PrimaryId, long Term)>? _transfer;
    private int _transferTarget;
    private DateTimeOffset _transferSince;
    private long _ledTerm;
    // Each other member's place in the config: its slot in the lease.
    private readonly Dictionary<int, int> _slotOf = [];
    private readonly QuorumLease _lease;
    // The newest send stamp this node received from the primary it follows (echoed in its answers): (primary, term, stamp).
    private (int From, long Term, long Stamp) _primaryStamp;
    private volatile bool _halted;

    private Replicator(ClusterSettings settings, ReplicaCore core, HardStateFile hardStateFile, HardState persisted, EngineNode? node, CommitGate? gate, TimeProvider time, TimeSpan tickPeriod, Action<string> log, EngineOptions? engineOptions = null, long retainedEntries = DefaultRetainedEntries)
    {
        _settings = settings;
        _engineOptions = engineOptions;
        _retainedEntries = retainedEntries;
        _dataDirectory = Path.GetDirectoryName(hardStateFile.FilePath)!;
        _logStart = core.SnapshotIndex;
        _core = core;
        _hardStateFile = hardStateFile;
        _persisted = persisted;
        _node = node;
        _gate = gate;
        _time = time;
        _log = log;
        _tickEveryLoopTicks = Math.Max(1, (int)(tickPeriod.Ticks / TickLength.Ticks));
        _observers = new LeadershipObservers(log);
        foreach (var member in settings.Config.Members)
        {
            if (member.Id != settings.SelfId)
            {
                _slotOf.Add(member.Id, _slotOf.Count);
            }
        }

        _lease = new QuorumLease(time, _slotOf.Count, settings.Config.Quorum, LeaseDuration, LeaseBlockAfterPause);
        _engineNext = (node?.LastIndex ?? 0) + 1;
        _status = new StatusSnapshot(core.Role, core.Term, 0, core.CommitIndex, [], 0, null);
    }

    /// <summary>This node's member id.</summary>
    public int SelfId => _settings.SelfId;

    /// <summary>The engine node (null on the witness).</summary>
    public EngineNode? Node => _node;

    /// <summary>Role, term, primary and commit as the loop last published them.</summary>
    public StatusSnapshot Status => _status;

    /// <summary>
    /// Completes (with the reason) when this node's log diverged from the primary's and FasterLog
    /// cannot drop its tail: the host restarts in place, which sets the data aside and rejoins
    /// empty (<see cref="OpenData"/>). Until then the node commits nothing more.
    /// </summary>
    public Task<string> ResyncRequired => _resync.Task;

    /// <summary>
    /// How long an acknowledgement from a peer in the current term vouches that it still follows this
    /// primary: two thirds of the shortest election timeout, so the lease ends before any voter that
    /// answered could have started to elect another primary.
    /// </summary>
    public static readonly TimeSpan LeaseDuration = TickLength * (CoreOptions().ElectionTicks * 2 / 3);

    /// <summary>After the loop's timer was stalled past <see cref="LeaseDuration"/>, the lease is refused this long (twice the longest election timeout).</summary>
    public static readonly TimeSpan LeaseBlockAfterPause = TickLength * (CoreOptions().ElectionTicks * 4);

    /// <summary>
    /// Whether this node is the primary of <paramref name="term"/>, hands the lead to nobody, and a quorum
    /// (itself included) acknowledged in that term messages it sent within <see cref="LeaseDuration"/>
    /// (<see cref="QuorumLease"/>). Thread-safe; a paused or cut-off primary loses it before another
    /// node can be elected, and a primary loses it the moment it starts a leadership transfer.
    /// </summary>
    public bool HoldsLease(long term)
    {
        var status = _status;
        // A transfer in progress: the old primary stops sending before the target can campaign.
        return status.Role == ReplicaRole.Primary && status.Term == term && status.TransferTarget == 0 && _lease.Holds();
    }

    /// <summary>Leadership observer calls that threw (each logged; none stops the loop).</summary>
    public long ObserverFaults => _observers.Faults;

    /// <summary>The primary's gRPC address as this node knows it, or null.</summary>
    public string? PrimaryAddress =>
        _status.PrimaryId != 0 && _settings.Addresses.TryGetValue(_status.PrimaryId, out var address) ? address.ToString().TrimEnd('/') : null;

    /// <summary>
    /// Opens a data member: reads its hard state, opens the engine on its data folder (in standby
    /// mode: every entry arrives at the core's index) and rebuilds the core's log from the journal.
    /// The journal may end in entries that were never committed; they are kept (the election
    /// decides whether they survive). If an earlier run found that its journal conflicts with the
    /// primary's (<see cref="ResyncMarker"/>), FasterLog cannot drop the tail: the data folder is
    /// set aside (<c>discarded-*</c>) and the node rejoins empty, its frontier raised to the log it
    /// dropped so it neither votes for nor becomes a primary missing an entry it may have acknowledged.
    /// </summary>
    public static Replicator OpenData(ClusterSettings settings, EngineOptions engineOptions, Func<EngineOptions, EngineNode> openNode, TimeProvider time, int maxMessageBytes, Action<string> log, long retainedEntries = DefaultRetainedEntries)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(engineOptions);
        ArgumentNullException.ThrowIfNull(openNode);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfLessThan(retainedEntries, 1);
        var file = new HardStateFile(engineOptions.DataDirectory);
        // A snapshot fetched from the primary before the restart that brought us here takes the journal's place.
        SnapshotTransfer.InstallStaged(Path.GetFullPath(engineOptions.DataDirectory), engineOptions, file, time, log);
        var hardState = file.Read();
        var marker = Path.Combine(Path.GetFullPath(engineOptions.DataDirectory), ResyncMarker);
        var discard = File.Exists(marker);
        if (discard)
        {
            var (lastIndex, lastTerm) = SnapshotTransfer.Peek(Path.Combine(Path.GetFullPath(engineOptions.DataDirectory), EngineNode.JournalDirectoryName), engineOptions);
            // Raise the frontier to the dropped log's end (only forward, in (term, index) order).
            var raise = (long)lastTerm > hardState.FrontierTerm || ((long)lastTerm == hardState.FrontierTerm && lastIndex > hardState.FrontierIndex);
            hardState = hardState with
            {
                Commit = 0,
                FrontierIndex = raise ? lastIndex : hardState.FrontierIndex,
                FrontierTerm = raise ? (long)lastTerm : hardState.FrontierTerm,
            };
            file.Write(hardState);
            log($"alerting: replication: the journal (ending at {lastIndex}, term {lastTerm}) conflicts with the primary's log; this node rejoins empty and catches up from the primary");
        }

        var gate = new CommitGate();
        var node = openNode(engineOptions with
        {
            Role = NodeRole.Standby,
            RunClock = false,
            CommitIndex = gate,
            ForceEmpty = engineOptions.ForceEmpty || discard,
        });
        try
        {
            if (discard)
            {
                File.Delete(marker);
                DirectorySync.Flush(Path.GetFullPath(engineOptions.DataDirectory));
            }

            // The engine replayed its whole journal at open, a tail not known committed included:
            // a standby applies it ahead of the commit it knows; a conflict later resyncs it.
            gate.Publish(node.LastIndex);
            var durable = ReadDurableState(node, hardState);
            var core = new ReplicaCore(settings.SelfId, settings.Config, CoreOptions(), durable, new Random());
            return new Replicator(settings, core, file, hardState, node, gate, time, engineOptions.TickPeriod, log, engineOptions, retainedEntries).StartPeers(maxMessageBytes);
        }
        catch
        {
            node.Dispose();
            throw;
        }
    }

    /// <summary>Opens the witness: the core and its hard state only.</summary>
    public static Replicator OpenWitness(ClusterSettings settings, string dataDirectory, int maxMessageBytes, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var file = new HardStateFile(dataDirectory);
        var hardState = file.Read();
        var core = new ReplicaCore(settings.SelfId, settings.Config, CoreOptions(), new DurableState(hardState, 0, 0, []), new Random());
        return new Replicator(settings, core, file, hardState, node: null, gate: null, TimeProvider.System, TickLength, log).StartPeers(maxMessageBytes);
    }

    /// <summary>
    /// Adds an observer of this node's primary role (call before <see cref="Start"/>): told
    /// <see cref="ILeadershipObserver.PrimaryReady"/> when a term it leads is ready, and
    /// <see cref="ILeadershipObserver.PrimaryLost"/> on the loop the moment it is no longer the primary.
    /// </summary>
    public void Observe(ILeadershipObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        Engine.Invariant.Check(_loop is null, "leadership observers are added before the loop starts");
        _observers.Add(observer);
    }

    /// <summary>Starts the loop, its timer and (on a data member) the durability watcher.</summary>
    public void Start()
    {
        _loop = Task.Factory.StartNew(RunLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        _timer = Task.Run(RunTimerAsync);
        if (_node is not null)
        {
            _durableWatcher = Task.Run(RunDurableWatcherAsync);
        }
    }

    /// <summary>A peer's message, from the transport.</summary>
    /// <param name="message">The core's message.</param>
    /// <param name="stamp">On an append, the primary's send stamp; on an answer to one, the stamp it echoes (0: none).</param>
    /// <param name="cancellationToken">Cancels the wait for room in the input queue.</param>
    public ValueTask DeliverAsync(ReplicationMessage message, long stamp, CancellationToken cancellationToken) =>
        _inputs.Writer.WriteAsync(new Input.Message(message, stamp), cancellationToken);

    /// <summary>
    /// A client write. Completes with the applied entry once it is committed in the term this node
    /// proposed it in; fails with <see cref="NotPrimaryException"/> when this node is not the primary
    /// (or stops being it before the entry is committed: the outcome is then unknown). Returns null
    /// at once when the input queue is full.
    /// </summary>
    public Task<AppliedEntry>? TryWrite(EngineEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_node is null || _status.Role != ReplicaRole.Primary)
        {
            throw NotPrimary();
        }

        var payload = entry.ToByteArray();
        if (payload.Length > EngineNode.MaxEntryBytes)
        {
            throw new EntryTooLargeException(payload.Length, EngineNode.MaxEntryBytes);
        }

        var done = new TaskCompletionSource<AppliedEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _inputs.Writer.TryWrite(new Input.Propose(payload, done)) ? done.Task : null;
    }

    /// <summary>
    /// Hands leadership to data member <paramref name="target"/> (0: the most caught-up one): this node
    /// stops accepting writes, brings the target up to date and sends it TimeoutNow. Completes with the
    /// new primary and its term once this node follows it; fails with <see cref="NotPrimaryException"/>
    /// when this node is not the primary, <see cref="ArgumentException"/> for a target that is not
    /// another data member, and <see cref="LeadershipTransferException"/> when the target did not take
    /// over within an election timeout (this node then leads on and accepts writes again).
    /// </summary>
    public Task<(int PrimaryId, long Term)> StepDownAsync(int target)
    {
        if (_node is null)
        {
            throw NotPrimary();
        }

        var done = new TaskCompletionSource<(int PrimaryId, long Term)>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inputs.Writer.TryWrite(new Input.Transfer(target, done)))
        {
            done.TrySetException(new ReplicationBackpressureException("the replication loop's input queue is full; retry"));
        }

        return done.Task;
    }

    /// <summary>The refusal a non-primary answers, naming the primary when known.</summary>
    public NotPrimaryException NotPrimary()
    {
        var status = _status;
        var what = _node is null ? "a witness" : status.Role == ReplicaRole.Primary ? "no longer the primary" : $"a {status.Role.ToString().ToLowerInvariant()}";
        return new NotPrimaryException($"this node is {what} (term {status.Term}): it takes no client writes{(PrimaryAddress is null ? " and knows no primary yet; retry" : string.Empty)}", PrimaryAddress);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _inputs.Writer.TryComplete();
        foreach (var task in new[] { _loop, _timer, _durableWatcher, _fetch })
        {
            if (task is not null)
            {
                await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        foreach (var peer in _peers.Values)
        {
            await peer.DisposeAsync().ConfigureAwait(false);
        }

        FailPending("the server is shutting down: the outcome of this write is unknown; retry");
        _transfer?.TrySetException(new LeadershipTransferException("the server is shutting down"));
        try
        {
            // A graceful stop keeps the commit it knows, so the next start keeps its journal.
            var final = _persisted with { Commit = Math.Min(_core.CommitIndex, _node?.DurableIndex ?? 0) };
            if (_node is not null && !_halted && final.Commit > _persisted.Commit)
            {
                _hardStateFile.Write(final);
            }
        }
        catch (IOException e)
        {
            _log($"alerting: replication: could not write the final hard state: {e.Message}");
        }

        _gate?.Fail(new ObjectDisposedException(nameof(Replicator)));
        _stop.Dispose();
    }

    // The core may ask to drop a conflicting suffix (TruncateAfter); the shell does it by resyncing.
    // A replica behind the primary's retained log is offered a snapshot, which the shell fetches and restarts from.
    private static ReplicaOptions CoreOptions() => new() { JournalCanTruncateSuffix = true, OfferSnapshots = true };

    /// <summary>The core's view of the disk: hard state plus the journal's entries (all of them when it starts at 1).</summary>
    private static DurableState ReadDurableState(EngineNode node, HardState hardState)
    {
        var last = node.LastIndex;
        if (last == 0)
        {
            return new DurableState(hardState, 0, 0, []);
        }

        if (node.JournalFirstIndex > 1)
        {
            // The prefix was compacted after a snapshot: the core starts from the journal's end, all committed.
            return new DurableState(hardState, last, (long)node.TermOf(last), []);
        }

        var entries = new List<CoreEntry>((int)Math.Min(last, int.MaxValue));
        using var scanner = node.ScanJournal(1);
        while (scanner.TryNext(out var record))
        {
            var payload = record.Payload.ToArray();
            var kind = EngineEntry.Parser.ParseFrom(payload).BodyCase == EngineEntry.BodyOneofCase.TermStarted ? EntryKind.TermStart : EntryKind.Command;
            entries.Add(new CoreEntry(record.Index, (long)record.Term, kind, payload));
        }

        return new DurableState(hardState, 0, 0, entries);
    }

    private Replicator StartPeers(int maxMessageBytes)
    {
        foreach (var (id, address) in _settings.Addresses)
        {
            if (id != _settings.SelfId)
            {
                _peers.Add(id, new PeerSender(id, address, maxMessageBytes));
            }
        }

        return this;
    }

    private async Task RunTimerAsync()
    {
        using var timer = new PeriodicTimer(TickLength, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                _lease.TimerRan();
                // A full queue skips a tick: the core only sees time pass more slowly.
                _inputs.Writer.TryWrite(Input.Tick.Instance);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunDurableWatcherAsync()
    {
        var node = _node!;
        long reported = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await node.WaitForDurableAsync(reported + 1, _stop.Token).ConfigureAwait(false);
                reported = node.DurableIndex;
                await _inputs.Writer.WriteAsync(new Input.Durable(reported), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
        }
#pragma warning disable CA1031 // The journal failed: the engine records its fault and /readyz shows it; the core simply stops seeing progress.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log($"alerting: replication: the journal can no longer make entries durable: {e.Message}");
        }
    }

    private async Task RunLoopAsync()
    {
        var proposals = new List<ReadOnlyMemory<byte>>();
        var waiting = new List<TaskCompletionSource<AppliedEntry>>();
        var reader = _inputs.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (!_halted && reader.TryRead(out var input))
                {
                    switch (input)
                    {
                        case Input.Propose p:
                            proposals.Add(p.Payload);
                            waiting.Add(p.Done);
                            break;
                        default:
                            FlushProposals(proposals, waiting);
                            Handle(input);
                            break;
                    }

                    if (proposals.Count >= MaxProposalsPerCall)
                    {
                        FlushProposals(proposals, waiting);
                    }
                }

                if (_halted)
                {
                    // Stopped taking part: drain the queue without acting on it.
                    while (reader.TryRead(out var dropped))
                    {
                        (dropped as Input.Propose)?.Done.TrySetException(NotPrimary());
                        (dropped as Input.Transfer)?.Done.TrySetException(NotPrimary());
                    }

                    foreach (var done in waiting)
                    {
                        done.TrySetException(NotPrimary());
                    }

                    proposals.Clear();
                    waiting.Clear();
                    continue;
                }

                FlushProposals(proposals, waiting);
                Drain();
            }
        }
#pragma warning disable CA1031 // The loop must not die silently: its fault is recorded and the node stops committing.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log($"alerting: replication: the replication loop failed and stopped: {e}");
            _gate?.Fail(e);
            FailPending($"replication stopped: {e.Message}");
        }
    }

    private void Handle(Input input)
    {
        switch (input)
        {
            case Input.Tick:
                _core.Tick();
                OnLoopTick();
                break;
            case Input.Message m:
                if (m.Value is AppendResponse response && _core.Role == ReplicaRole.Primary && response.Term == _core.Term
                    && _slotOf.TryGetValue(response.From, out var slot))
                {
                    // Sent by a peer that still followed this primary in this term when it answered the message
                    // stamped m.Stamp: renews the lease from that message's send time.
                    _lease.Acknowledged(slot, m.Stamp);
                }
                else if (m.Value is AppendRequest request && m.Stamp > 0)
                {
                    var known = _primaryStamp;
                    _primaryStamp = known.From == request.From && known.Term == request.Term
                        ? known with { Stamp = Math.Max(known.Stamp, m.Stamp) }
                        : (request.From, request.Term, m.Stamp);
                }

                _core.Step(m.Value);
                break;
            case Input.Transfer t:
                StartTransfer(t);
                break;
            case Input.SnapshotFetched f:
                OnSnapshotFetched(f);
                break;
            case Input.Durable d:
                var index = Math.Min(d.Index, _core.LastIndex);
                if (index > 0 && _core.TryGetEntry(index, out var entry))
                {
                    _core.Persisted(index, entry.Term);
                }

                break;
        }
    }

    /// <summary>An offered snapshot: fetch it in the background, unless a fetch is already running.</summary>
    private void StartFetch(InstallSnapshotRequest offer)
    {
        if (!_fetch.IsCompleted || _node is null || _engineOptions is null || !_peers.TryGetValue(offer.From, out var peer))
        {
            return;
        }

        var minIndex = _core.CommitIndex + 1;
        _log($"alerting: replication: node {offer.From} (primary of term {offer.Term}) no longer holds the entries after {_core.LastIndex} this node needs; fetching its snapshot (at or above {minIndex})");
        _fetch = Task.Run(() => FetchAsync(peer, offer, minIndex));
    }

    private async Task FetchAsync(PeerSender peer, InstallSnapshotRequest offer, long minIndex)
    {
        try
        {
            var request = new Protocol.Replication.SnapshotFetchRequest { From = SelfId, To = offer.From, Term = offer.Term, MinIndex = minIndex };
            using var call = peer.FetchSnapshot(request, _stop.Token);
            var snapshot = await SnapshotTransfer.ReceiveAsync(call.ResponseStream, _dataDirectory, _engineOptions!, offer.Term, minIndex, _stop.Token).ConfigureAwait(false);
            await _inputs.Writer.WriteAsync(new Input.SnapshotFetched(offer.Term, offer.From, snapshot), _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
#pragma warning disable CA1031 // A failed fetch leaves the data as it was; the primary offers again.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log($"alerting: replication: the snapshot fetch from node {offer.From} failed ({e.GetType().Name}: {e.Message}); this node's data is unchanged and the fetch is retried when the primary offers again");
            TryRemoveStaging();
        }
    }

    private void TryRemoveStaging()
    {
        try
        {
            SnapshotTransfer.RemoveStaging(_dataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The next fetch (or start) removes it.
        }
    }

    /// <summary>A fetch completed: if the core still wants that snapshot from that term, swap it in by restarting in place.</summary>
    private void OnSnapshotFetched(Input.SnapshotFetched fetched)
    {
        if (_core.Term != fetched.OfferTerm || !_core.WantsSnapshot(fetched.Snapshot))
        {
            _log($"alerting: replication: the snapshot at {fetched.Snapshot.LastIndex} fetched in term {fetched.OfferTerm} is no longer wanted (term {_core.Term}, commit {_core.CommitIndex}); dropped");
            TryRemoveStaging();
            return;
        }

        try
        {
            SnapshotTransfer.MarkReady(_dataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A fetched file that cannot be moved into place is a failed fetch, not a failed loop:
            // this node keeps its data and the primary offers again.
            _log($"alerting: replication: the snapshot at {fetched.Snapshot.LastIndex} could not be marked ready ({e.Message}); this node's data is unchanged and the fetch is retried when the primary offers again");
            TryRemoveStaging();
            return;
        }

        Halt($"fetched the primary's snapshot at {fetched.Snapshot.LastIndex} (term {fetched.Snapshot.LastTerm}) from node {fetched.From}; restarting in place to continue from it", resync: false);
        _resync.TrySetResult($"install the snapshot at {fetched.Snapshot.LastIndex}");
    }

    /// <summary>
    /// Serves a replica's snapshot fetch: only while this node is the primary of the request's term,
    /// one fetch per replica at a time, one capture at a time.
    /// </summary>
    public async Task ServeSnapshotAsync(Protocol.Replication.SnapshotFetchRequest request, Grpc.Core.IServerStreamWriter<Protocol.Replication.SnapshotChunk> writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(writer);
        bool StillPrimary() => _status is { Role: ReplicaRole.Primary } status && status.Term == request.Term && !_halted;
        if (_node is null || request.To != SelfId || !StillPrimary())
        {
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.FailedPrecondition, $"node {SelfId} is not the primary of term {request.Term} (it is {_status.Role.ToString().ToLowerInvariant()} in term {_status.Term})"));
        }

        if (!_serving.TryAdd(request.From, true))
        {
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.AlreadyExists, $"a snapshot fetch for node {request.From} is already running"));
        }

        try
        {
            SnapshotTransfer.Outgoing outgoing;
            var until = _time.GetTimestamp() + (long)(SnapshotPinDuration.TotalSeconds * _time.TimestampFrequency);
            // No compaction past the current log start while the snapshot is chosen; then none past the snapshot.
            _pins[request.From] = (Volatile.Read(ref _logStart), until);
            await _captureGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                outgoing = await SnapshotTransfer.PrepareAsync(_node, _dataDirectory, request.MinIndex, Volatile.Read(ref _logStart), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _pins.TryRemove(request.From, out _);
                throw;
            }
            finally
            {
                _captureGate.Release();
            }

            _pins[request.From] = (outgoing.Index, until);

            _log($"alerting: replication: sending the snapshot at {outgoing.Index} to node {request.From}");
            await SnapshotTransfer.SendAsync(outgoing, request.Term, StillPrimary, writer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _serving.TryRemove(request.From, out _);
        }
    }

    private void StartTransfer(Input.Transfer t)
    {
        var result = _core.TransferLeadership(t.Target);
        switch (result.Status)
        {
            case TransferStatus.Started:
                _transfer?.TrySetException(new LeadershipTransferException($"superseded by a transfer to node {result.Target}"));
                _transfer = t.Done;
                _transferTarget = result.Target;
                _transferSince = _time.GetUtcNow();
                // Closed before any message of the transfer (TimeoutNow) is sent.
                _lease.TransferStarted(_slotOf[result.Target]);
                Publish();
                _log($"alerting: replication: node {SelfId} hands leadership of term {_core.Term} to node {result.Target}; writes are refused meanwhile");
                break;
            case TransferStatus.InvalidTarget:
                t.Done.TrySetException(new ArgumentException($"node {t.Target} is not a data member of the cluster other than this node ({SelfId})"));
                break;
            default:
                t.Done.TrySetException(NotPrimary());
                break;
        }
    }

    /// <summary>Completes a transfer in progress once its outcome is known.</summary>
    private void CheckTransfer()
    {
        if (_transfer is not { } done)
        {
            return;
        }

        if (_core.Role == ReplicaRole.Primary)
        {
            if (_core.TransferTarget == 0)
            {
                _transfer = null;
                _lease.TransferAbandoned();
                // The status shows the transfer gone before the caller hears it was given up
                // (the core may drop it on a tick that produces nothing else to publish).
                Publish();
                done.TrySetException(new LeadershipTransferException($"node {_transferTarget} did not take over within the transfer timeout; node {SelfId} still leads term {_core.Term} and accepts writes again"));
            }

            return;
        }

        if (_core.PrimaryId == 0)
        {
            // Stepped down; the new primary is not known yet.
            return;
        }

        _transfer = null;
        if (_core.PrimaryId == _transferTarget)
        {
            done.TrySetResult((_core.PrimaryId, _core.Term));
        }
        else
        {
            done.TrySetException(new LeadershipTransferException($"node {_core.PrimaryId} leads term {_core.Term}, not the target node {_transferTarget}"));
        }
    }

    private void OnLoopTick()
    {
        if (_commitDirty && ++_ticksSinceCommitPersist >= CommitPersistTicks)
        {
            WriteHardState(_persisted with { Commit = _pendingCommit });
        }

        if (_node is null)
        {
            return;
        }

        PushToEngine();
        var applied = Math.Min(_node.Progress.AppliedIndex, _applyUpTo);
        if (applied > _core.AppliedIndex)
        {
            _core.Applied(applied);
            var compactTo = Math.Min(applied - _retainedEntries, PinnedIndex());
            if (compactTo > _core.SnapshotIndex)
            {
                _core.Compact(compactTo);
                Volatile.Write(ref _logStart, _core.SnapshotIndex);
            }
        }

        if (_core.Role == ReplicaRole.Primary && ++_ticksSinceClockTick >= _tickEveryLoopTicks)
        {
            ProposeClockTick();
        }
    }

    /// <summary>The lowest snapshot index a replica was sent recently and has not yet passed (long.MaxValue: none).</summary>
    private long PinnedIndex()
    {
        if (_pins.IsEmpty)
        {
            return long.MaxValue;
        }

        var now = _time.GetTimestamp();
        var matches = _core.Role == ReplicaRole.Primary ? _core.PeerMatches() : [];
        var lowest = long.MaxValue;
        foreach (var (id, pin) in _pins)
        {
            var passed = false;
            foreach (var (peer, match) in matches)
            {
                passed |= peer == id && match > pin.Index;
            }

            if (passed || now >= pin.Until)
            {
                _pins.TryRemove(new KeyValuePair<int, (long Index, long Until)>(id, pin));
                continue;
            }

            lowest = Math.Min(lowest, pin.Index);
        }

        return lowest;
    }

    private void ProposeClockTick()
    {
        _ticksSinceClockTick = 0;
        var tick = new EngineEntry { Tick = new Protocol.Log.Tick { UnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds() } };
        _ = _core.Propose(tick.ToByteArray());
    }

    private void FlushProposals(List<ReadOnlyMemory<byte>> proposals, List<TaskCompletionSource<AppliedEntry>> waiting)
    {
        if (proposals.Count == 0)
        {
            return;
        }

        var result = _core.Propose(proposals);
        switch (result.Status)
        {
            case ProposeStatus.Accepted:
                for (var i = 0; i < waiting.Count; i++)
                {
                    _pending[result.FirstIndex + i] = new PendingWrite(result.Term, waiting[i]);
                }

                break;
            case ProposeStatus.Backpressure:
                foreach (var done in waiting)
                {
                    done.TrySetException(new ReplicationBackpressureException("the primary holds too many uncommitted entries (a replica is slow or down); retry with backoff"));
                }

                break;
            default:
                var refusal = _core.Role != ReplicaRole.Primary || result.PrimaryId == SelfId || result.PrimaryId == 0 || !_settings.Addresses.TryGetValue(result.PrimaryId, out var address)
                    ? NotPrimary()
                    : new NotPrimaryException($"this node is handing leadership to node {result.PrimaryId} (term {result.Term}): it takes no client writes; retry there", address.ToString().TrimEnd('/'));
                foreach (var done in waiting)
                {
                    done.TrySetException(refusal);
                }

                break;
        }

        proposals.Clear();
        waiting.Clear();
    }

    /// <summary>Carries out every Ready, in the order the core asks.</summary>
    private void Drain()
    {
        while (_core.HasReady)
        {
            var ready = _core.TakeReady();
            // Snapshots are offered (CoreOptions): the core never installs one by itself.
            Engine.Invariant.Check(ready.Snapshot is null, "the shell installs snapshots only by fetching an offered one");
            if (ready.SnapshotOffer is { } offer)
            {
                StartFetch(offer);
            }

            if (ready.TruncateAfter is { } truncateAfter)
            {
                // FasterLog cannot drop its tail, and the engine holds the suffix in its state or
                // its ring: restart in place, which sets the data aside and rejoins from the log.
                // Nothing of this Ready is persisted or sent: the node acts as if it crashed here.
                Halt($"this node's journal after index {truncateAfter} conflicts with the primary's log; restarting to resynchronise from the primary", resync: true);
                return;
            }

            foreach (var entry in ready.Entries)
            {
                _toEngine.Enqueue(entry);
            }

            PushToEngine();
            if (ready.HardState is { } hardState)
            {
                if (hardState with { Commit = 0 } != _persisted with { Commit = 0 })
                {
                    // Term, vote or frontier: durable before any message of this Ready is sent.
                    WriteHardState(hardState);
                }
                else if (hardState.Commit != _persisted.Commit)
                {
                    _commitDirty = true;
                    _pendingCommit = hardState.Commit;
                }
            }

            foreach (var message in ready.Messages)
            {
                if (_peers.TryGetValue(message.To, out var peer))
                {
                    peer.Send(message, StampFor(message));
                }
            }

            if (ready.SoftStateChanged)
            {
                OnSoftState(ready.SoftState);
            }

            if (_gate is not null && ready.ApplyUpTo > _applyUpTo)
            {
                _applyUpTo = ready.ApplyUpTo;
                _gate.Publish(ready.ApplyUpTo);
            }

            Publish();
        }

        CheckTransfer();
    }

    /// <summary>Stops taking part (nothing more is persisted, sent or applied); with <paramref name="resync"/>, marks the data folder and asks the host to restart.</summary>
    private void Halt(string reason, bool resync)
    {
        _log($"alerting: replication: {reason}");
        _halted = true;
        LoseLead();

        _gate?.Fail(new InvalidOperationException(reason));
        FailPending(reason);
        if (resync && _node is not null)
        {
            var directory = Path.GetDirectoryName(_hardStateFile.FilePath)!;
            File.WriteAllText(Path.Combine(directory, ResyncMarker), reason);
            DirectorySync.Flush(directory);
            _resync.TrySetResult(reason);
        }
    }

    /// <summary>An append carries its send time; an answer to the primary echoes the newest stamp received from it in this term.</summary>
    private long StampFor(ReplicationMessage message) => message switch
    {
        AppendRequest => _lease.Stamp(),
        AppendResponse when _primaryStamp.From == message.To && _primaryStamp.Term == message.Term => _primaryStamp.Stamp,
        _ => 0,
    };

    private void WriteHardState(HardState state)
    {
        _hardStateFile.Write(state);
        _persisted = state;
        _commitDirty = false;
        _ticksSinceCommitPersist = 0;
    }

    private void OnSoftState(SoftState soft)
    {
        _log($"alerting: replication: node {SelfId} is {soft.Role.ToString().ToLowerInvariant()} in term {soft.Term}{(soft.PrimaryId != 0 ? $", primary {soft.PrimaryId}" : string.Empty)}");
        if (soft.Role != ReplicaRole.Primary)
        {
            // Fencing: a node that is no longer the primary of the term it proposed in acks and notifies nothing more.
            _lease.NewTerm();
            LoseLead();

            FailPending($"this node stopped being the primary (now term {soft.Term}); the outcome of this write is unknown: retry at the primary");
        }
        else if (_node is not null)
        {
            _ledTerm = soft.Term;
            // Acknowledgements (and a transfer) of an earlier term vouch for nothing now.
            _lease.NewTerm();
            // A new primary publishes the time at once: points are judged against logical time.
            ProposeClockTick();
        }
    }

    private void Publish()
    {
        var primary = _core.Role == ReplicaRole.Primary;
        var peers = primary ? _core.PeerMatches() : [];
        var transferTarget = primary ? _core.TransferTarget : 0;
        _status = new StatusSnapshot(_core.Role, _core.Term, _core.PrimaryId, _core.CommitIndex, peers, transferTarget, transferTarget != 0 ? _transferSince : null);
    }

    /// <summary>Hands queued entries to the engine in index order; a full input ring leaves the rest for the next tick.</summary>
    private void PushToEngine()
    {
        if (_node is null)
        {
            _toEngine.Clear();
            return;
        }

        while (_toEngine.TryPeek(out var entry))
        {
            Engine.Invariant.Check(entry.Index == _engineNext, "the engine receives the core's entries at contiguous indexes");
            var payload = entry.Kind == EntryKind.TermStart
                ? new EngineEntry { TermStarted = new Protocol.Log.TermStarted { Term = (ulong)entry.Term, LeaderId = SelfId.ToString(System.Globalization.CultureInfo.InvariantCulture) } }.ToByteArray()
                : entry.Payload.ToArray();
            var applied = _node.TryAppendReplicated(entry.Index, (ulong)entry.Term, payload);
            if (applied is null)
            {
                return;
            }

            _toEngine.Dequeue();
            _engineNext++;
            var index = entry.Index;
            if (_pending.ContainsKey(index))
            {
                _ = applied.ContinueWith(t => CompleteWrite(index, t), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            if (entry.Kind == EntryKind.TermStart && _observers.Count > 0 && _core.Role == ReplicaRole.Primary && entry.Term == _core.Term)
            {
                var term = entry.Term;
                _ = applied.ContinueWith(t => OnTermStartApplied(term, t), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private void CompleteWrite(long index, Task<AppliedEntry> applied)
    {
        if (!_pending.TryRemove(index, out var write))
        {
            return;
        }

        if (!applied.IsCompletedSuccessfully)
        {
            write.Done.TrySetException(applied.Exception?.GetBaseException() ?? new OperationCanceledException());
            return;
        }

        var status = _status;
        if (applied.Result.Term == (ulong)write.Term && status.Role == ReplicaRole.Primary && status.Term == write.Term)
        {
            write.Done.TrySetResult(applied.Result);
        }
        else
        {
            write.Done.TrySetException(new NotPrimaryException($"this node stopped being the primary of term {write.Term}; the outcome of this write is unknown: retry at the primary", PrimaryAddress));
        }
    }

    /// <summary>Tells the observers this node stopped leading the term it led (if it led one).</summary>
    private void LoseLead()
    {
        if (_ledTerm == 0)
        {
            return;
        }

        var term = _ledTerm;
        _ledTerm = 0;
        _observers.PrimaryLost(term);
    }

    /// <summary>This node's term-start entry was applied: it is ready to act as the primary of that term, if it still is.</summary>
    private void OnTermStartApplied(long term, Task<AppliedEntry> applied)
    {
        var status = _status;
        if (!applied.IsCompletedSuccessfully || status.Role != ReplicaRole.Primary || status.Term != term)
        {
            return;
        }

        _observers.PrimaryReady(term);
    }

    private void FailPending(string reason)
    {
        foreach (var index in _pending.Keys)
        {
            if (_pending.TryRemove(index, out var write))
            {
                write.Done.TrySetException(new NotPrimaryException(reason, PrimaryAddress));
            }
        }
    }

    private readonly record struct PendingWrite(long Term, TaskCompletionSource<AppliedEntry> Done);

    private abstract record Input
    {
        public sealed record Tick : Input
        {
            public static readonly Tick Instance = new();
        }

        public sealed record Message(ReplicationMessage Value, long Stamp) : Input;

        public sealed record Propose(byte[] Payload, TaskCompletionSource<AppliedEntry> Done) : Input;

        public sealed record Durable(long Index) : Input;

        public sealed record Transfer(int Target, TaskCompletionSource<(int PrimaryId, long Term)> Done) : Input;

        public sealed record SnapshotFetched(long OfferTerm, int From, SnapshotRef Snapshot) : Input;
    }
}

/// <summary>
/// What the replicator last published: role, term, known primary, commit index and (on the primary) each
/// peer's acknowledged index and the leadership transfer in progress (target 0: none; since when, UTC).
/// </summary>
public sealed record StatusSnapshot(ReplicaRole Role, long Term, int PrimaryId, long CommitIndex, IReadOnlyList<(int Id, long Match)> Peers, int TransferTarget, DateTimeOffset? TransferSince);
