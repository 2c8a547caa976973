namespace Alerting.Replication;

/// <summary>
/// The consensus core of one replica (Raft, cut to primary / standby / witness), with no I/O: the
/// shell feeds it ticks, messages, proposals and "persisted up to" events, and takes a
/// <see cref="Ready"/> telling it what to persist, what to send and what became committed. Nothing
/// here reads a clock, a disk or a socket, so the simulator drives this very class.
/// </summary>
/// <remarks>
/// Rules kept (Raft paper section in brackets): one vote per term, persisted before it is sent
/// [§5.2]; a vote only for a candidate whose log is at least as up to date as the voter's log and
/// its frontier (what a witness acknowledged, or what a data replica dropped in a snapshot resync)
/// [§5.4.1]; log matching by (prevIndex, prevTerm)
/// [§5.3]; only entries of the current term are committed by counting [§5.4.2], which is why a new
/// primary appends a term-start entry; pre-vote and check-quorum [thesis §9.6], so a primary cut
/// from its quorum steps down within an election timeout and a returning replica cannot disrupt.
/// Not thread-safe: one shell thread owns it.
/// </remarks>
public sealed class ReplicaCore
{
    private readonly ClusterConfig _config;
    private readonly ReplicaOptions _options;
    private readonly Random _random;
    private readonly ReplicaLog _log;
    // Ordered by member id, so every loop over peers (and the messages it emits) has one order.
    private readonly List<PeerProgress> _peers = [];
    private readonly Dictionary<int, bool> _votes = [];

    private readonly List<ReplicationMessage> _messages = [];
    private readonly List<LogEntry> _pendingEntries = [];
    private long? _pendingTruncateAfter;
    private SnapshotRef? _pendingSnapshot;
    private InstallSnapshotRequest? _pendingOffer;
    private HardState _lastHardState;
    private SoftState _lastSoftState;
    private bool _softStateReported;
    private long _lastCommitReported;
    private long _lastApplyUpToReported;

    private long _term;
    private int _votedFor;
    private long _commit;
    private long _frontierIndex;
    private long _frontierTerm;

    private long _persisted;
    private long _verified;
    private long _lastAckSent;
    private long _applied;
    private bool _diverged;

    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;

    private int _transferTarget;
    private int _transferElapsed;

    /// <summary>Restores a replica from what its disk holds (use <see cref="DurableState.Empty"/> for a new one).</summary>
    /// <param name="id">This replica's member id.</param>
    /// <param name="config">The voters.</param>
    /// <param name="options">Timing and limits.</param>
    /// <param name="durable">Hard state, snapshot and durable entries found at start.</param>
    /// <param name="random">Source of election-timeout jitter; seed it for a deterministic run.</param>
    public ReplicaCore(int id, ClusterConfig config, ReplicaOptions options, DurableState durable, Random random)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(durable);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        Id = id;
        Kind = config.KindOf(id);
        _config = config;
        _options = options;
        _random = random;

        var hs = durable.HardState;
        if (Kind == MemberKind.Witness && (durable.Entries.Count > 0 || durable.SnapshotIndex > 0))
        {
            throw new ArgumentException("a witness holds no entries and no snapshot", nameof(durable));
        }

        _log = new ReplicaLog(durable.SnapshotIndex, durable.SnapshotTerm, durable.Entries);
        _term = hs.Term;
        _votedFor = hs.VotedFor;
        _frontierIndex = hs.FrontierIndex;
        _frontierTerm = hs.FrontierTerm;
        _persisted = _log.LastIndex;
        _commit = Math.Max(hs.Commit, _log.SnapshotIndex);
        if (Kind == MemberKind.Data && _commit > _log.LastIndex)
        {
            throw new ArgumentException(
                $"hard state says entries up to {_commit} are committed but the journal ends at {_log.LastIndex}: refusing to start below the durable high-water mark",
                nameof(durable));
        }

        _applied = _log.SnapshotIndex;
        _verified = _commit;
        _lastHardState = hs;
        _lastCommitReported = -1;
        _lastApplyUpToReported = -1;
        Role = Kind == MemberKind.Witness ? ReplicaRole.Witness : ReplicaRole.Standby;
        ResetElectionTimer();
    }

    /// <summary>This replica's member id.</summary>
    public int Id { get; }

    /// <summary>Data replica or witness.</summary>
    public MemberKind Kind { get; }

    /// <summary>Current role.</summary>
    public ReplicaRole Role { get; private set; }

    /// <summary>Current term.</summary>
    public long Term => _term;

    /// <summary>The primary this replica follows in <see cref="Term"/> (itself when primary), 0 when unknown.</summary>
    public int PrimaryId { get; private set; }

    /// <summary>Highest index known committed.</summary>
    public long CommitIndex => _commit;

    /// <summary>Last index in the log (durable or not).</summary>
    public long LastIndex => _log.LastIndex;

    /// <summary>Highest index the local journal reported durable.</summary>
    public long PersistedIndex => _persisted;

    /// <summary>Highest index the shell reported applied.</summary>
    public long AppliedIndex => _applied;

    /// <summary>Index of the snapshot the held log starts after.</summary>
    public long SnapshotIndex => _log.SnapshotIndex;

    /// <summary>The (index, term) frontier this voter vouches for without holding it (see <see cref="HardState.FrontierIndex"/>).</summary>
    public (long Index, long Term) Frontier => (_frontierIndex, _frontierTerm);

    /// <summary>On the primary: the data replica leadership is being handed to (writes are refused meanwhile), 0 when none.</summary>
    public int TransferTarget => _transferTarget;

    /// <summary>True when <see cref="TakeReady"/> has something for the shell.</summary>
    public bool HasReady =>
        _messages.Count > 0 || _pendingEntries.Count > 0 || _pendingTruncateAfter.HasValue || _pendingSnapshot.HasValue || _pendingOffer is not null
        || CurrentHardState() != _lastHardState || !_softStateReported || CurrentSoftState() != _lastSoftState
        || _commit != _lastCommitReported || ApplyUpTo() != _lastApplyUpToReported;

    /// <summary>The entry held at <paramref name="index"/>, if the log holds it (not compacted, not beyond the end).</summary>
    public bool TryGetEntry(long index, out LogEntry entry)
    {
        if (index > _log.SnapshotIndex && index <= _log.LastIndex)
        {
            entry = _log.At(index);
            return true;
        }

        entry = default;
        return false;
    }

    /// <summary>The primary's view of each peer, for failure reports.</summary>
    /// <summary>On the primary: each peer's id and the index it acknowledged durable (a witness: the frontier it acknowledged). Allocates; for status reports.</summary>
    public IReadOnlyList<(int Id, long Match)> PeerMatches() => _peers.Select(p => (p.Id, p.Match)).ToArray();

    internal string DescribePeers() =>
        string.Join(" ", _peers.Select(p => $"[{p.Id} {p.State} match {p.Match} accepted {p.Accepted} next {p.Next} inflight {p.Inflight} minSnap {p.MinSnapshotIndex} sent {p.SnapshotSent}]"));

    /// <summary>Advances logical time by one tick: election timeouts, heartbeats, check-quorum.</summary>
    public void Tick()
    {
        if (Role == ReplicaRole.Primary)
        {
            TickPrimary();
            return;
        }

        _electionElapsed++;
        if (Kind == MemberKind.Data && _electionElapsed >= _randomizedElectionTimeout)
        {
            if (IsAtLeast(_log.LastTerm, _log.LastIndex, _frontierTerm, _frontierIndex))
            {
                Campaign(preVote: true);
            }
            else
            {
                // Our log lacks entries we vouch for (dropped in a snapshot resync): leading would lose them.
                // The primary is still considered lost, so we answer other candidates (no lease).
                PrimaryId = 0;
            }
        }
    }

    /// <summary>Appends client payloads on the primary. Acknowledge them only once committed in the returned term.</summary>
    public ProposeResult Propose(IReadOnlyList<ReadOnlyMemory<byte>> payloads)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        if (payloads.Count == 0)
        {
            throw new ArgumentException("propose at least one entry", nameof(payloads));
        }

        if (Role != ReplicaRole.Primary)
        {
            return new ProposeResult(ProposeStatus.NotPrimary, 0, _term, PrimaryId);
        }

        if (_transferTarget != 0)
        {
            // Handing over: nothing new is appended, so the target can catch up; clients go to it.
            return new ProposeResult(ProposeStatus.NotPrimary, 0, _term, _transferTarget);
        }

        if (_log.LastIndex - _commit + payloads.Count > _options.MaxUncommittedEntries)
        {
            return new ProposeResult(ProposeStatus.Backpressure, 0, _term, Id);
        }

        var first = _log.LastIndex + 1;
        foreach (var payload in payloads)
        {
            AppendLocal(new LogEntry(_log.LastIndex + 1, _term, EntryKind.Command, payload));
        }

        foreach (var p in _peers)
        {
            if (p.Kind == MemberKind.Data && p.State == ShipState.Replicate)
            {
                ShipTo(p);
            }
        }

        return new ProposeResult(ProposeStatus.Accepted, first, _term, Id);
    }

    /// <summary>
    /// Hands leadership to data replica <paramref name="target"/> (0: the data replica with the highest
    /// acknowledged index), as etcd raft's leader transfer: the primary stops accepting proposals,
    /// ships the target everything it lacks and, once the target's durable log matches its own, sends
    /// it <see cref="TimeoutNow"/>; the target campaigns at once and wins the next term. If the target
    /// has not taken over within the transfer timeout (<see cref="ReplicaOptions.TransferTimeoutTicks"/>) the transfer is abandoned and writes resume.
    /// </summary>
    public TransferResult TransferLeadership(int target)
    {
        if (Role != ReplicaRole.Primary)
        {
            return new TransferResult(TransferStatus.NotPrimary, PrimaryId);
        }

        PeerProgress? peer = null;
        foreach (var p in _peers)
        {
            if (p.Kind == MemberKind.Data && (target == 0 ? peer is null || p.Match > peer.Match : p.Id == target))
            {
                peer = p;
            }
        }

        if (peer is null)
        {
            return new TransferResult(TransferStatus.InvalidTarget, target);
        }

        _transferTarget = peer.Id;
        _transferElapsed = 0;
        MaybeSendTimeoutNow(peer);
        return new TransferResult(TransferStatus.Started, peer.Id);
    }

    /// <summary>Appends one client payload on the primary.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> payload) => Propose([payload]);

    /// <summary>
    /// The local journal made every entry up to <paramref name="index"/> durable, the one at
    /// <paramref name="index"/> having <paramref name="term"/>. A report for an entry since replaced
    /// (suffix truncation) does not match the log and is ignored.
    /// </summary>
    public void Persisted(long index, long term)
    {
        if (Kind == MemberKind.Witness)
        {
            throw new InvalidOperationException("a witness journals no entries");
        }

        if (index <= _persisted || index > _log.LastIndex || _log.TermAt(index) != term)
        {
            return;
        }

        _persisted = index;
        if (Role == ReplicaRole.Primary)
        {
            MaybeCommit();
            foreach (var p in _peers)
            {
                if (p.Kind == MemberKind.Witness)
                {
                    SendWitnessFrontier(p, force: false);
                }
            }
        }
        else
        {
            MaybeAcknowledge();
        }
    }

    /// <summary>The shell applied committed entries up to <paramref name="index"/>.</summary>
    public void Applied(long index)
    {
        Invariant.Check(index >= _applied && index <= ApplyUpTo(), "applied index only moves forward, within what Ready allowed");
        _applied = index;
        if (Role == ReplicaRole.Primary)
        {
            foreach (var p in _peers)
            {
                if (p.State == ShipState.Snapshot && p.SnapshotSent < 0)
                {
                    // A peer waiting for a snapshot at or above its commit may be able to take this one.
                    SendSnapshot(p);
                }
            }
        }
    }

    /// <summary>The shell wrote a snapshot at <paramref name="index"/> (at or below the applied index) and dropped the journal before it.</summary>
    public void Compact(long index)
    {
        if (Kind == MemberKind.Witness)
        {
            throw new InvalidOperationException("a witness holds no log to compact");
        }

        Invariant.Check(index <= _applied, "the log is compacted only through applied entries");
        _log.CompactThrough(index);
    }

    /// <summary>
    /// Whether this replica would replace its log and state with <paramref name="snapshot"/>: it is above
    /// the commit index and not already held (at the commit index too when the log diverged from the
    /// primary's). With <see cref="ReplicaOptions.OfferSnapshots"/> the shell asks again when a fetch ends,
    /// since the replica may have caught up meanwhile.
    /// </summary>
    public bool WantsSnapshot(SnapshotRef snapshot) =>
        Kind == MemberKind.Data && (_diverged ? snapshot.LastIndex >= _commit : snapshot.LastIndex > _commit && _log.TermAt(snapshot.LastIndex) != snapshot.LastTerm);

    /// <summary>Handles one message addressed to this replica.</summary>
    public void Step(ReplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To != Id)
        {
            throw new ArgumentException($"message for node {message.To} delivered to node {Id}", nameof(message));
        }

        if (!_config.Contains(message.From) || message.From == Id)
        {
            return;
        }

        if (message.Term > _term)
        {
            switch (message)
            {
                case VoteRequest { Transfer: false } when InLease():
                    // A primary was heard from within the election timeout: this candidate is not needed.
                    return;
                case VoteRequest { PreVote: true }:
                case VoteResponse { PreVote: true, Granted: true }:
                    break;
                case AppendRequest or InstallSnapshotRequest:
                    BecomeFollower(message.Term, message.From);
                    break;
                default:
                    BecomeFollower(message.Term, 0);
                    break;
            }
        }
        else if (message.Term < _term)
        {
            switch (message)
            {
                case AppendRequest or InstallSnapshotRequest:
                    // Tell the stale primary our term so it steps down.
                    Send(new AppendResponse(Id, message.From, _term, false, 0, 0, 0, 0, 0, false));
                    break;
                case VoteRequest { PreVote: true } request:
                    Send(new VoteResponse(Id, request.From, _term, false, PreVote: true));
                    break;
                default:
                    break;
            }

            return;
        }

        switch (message)
        {
            case VoteRequest request:
                HandleVoteRequest(request);
                break;
            case VoteResponse response:
                HandleVoteResponse(response);
                break;
            case AppendRequest append:
                HandleAppend(append);
                break;
            case AppendResponse response:
                HandleAppendResponse(response);
                break;
            case InstallSnapshotRequest snapshot:
                HandleInstallSnapshot(snapshot);
                break;
            case TimeoutNow timeoutNow:
                HandleTimeoutNow(timeoutNow);
                break;
            default:
                throw new ArgumentException($"unknown message type {message.GetType().Name}", nameof(message));
        }
    }

    /// <summary>Hands the accumulated work to the shell (see <see cref="Ready"/> for the order to follow).</summary>
    public Ready TakeReady()
    {
        var hs = CurrentHardState();
        var soft = CurrentSoftState();
        var applyUpTo = ApplyUpTo();
        var softChanged = !_softStateReported || soft != _lastSoftState;
        var ready = new Ready(
            soft,
            softChanged,
            hs != _lastHardState ? hs : null,
            _pendingSnapshot,
            _pendingOffer,
            _pendingTruncateAfter,
            _pendingEntries.Count == 0 ? [] : _pendingEntries.ToArray(),
            _messages.Count == 0 ? [] : _messages.ToArray(),
            _commit,
            applyUpTo);
        Invariant.Check(hs.Term >= _lastHardState.Term, "term never decreases");
        Invariant.Check(hs.Commit >= _lastHardState.Commit, "persisted commit never decreases");
        _lastHardState = hs;
        _lastSoftState = soft;
        _softStateReported = true;
        _lastCommitReported = _commit;
        _lastApplyUpToReported = applyUpTo;
        _pendingEntries.Clear();
        _messages.Clear();
        _pendingTruncateAfter = null;
        _pendingSnapshot = null;
        _pendingOffer = null;
        return ready;
    }

    private HardState CurrentHardState() =>
        new(_term, _votedFor, Kind == MemberKind.Witness ? _commit : Math.Min(_commit, _persisted), _frontierIndex, _frontierTerm);

    private SoftState CurrentSoftState() => new(Role, _term, PrimaryId);

    private long ApplyUpTo() => Kind == MemberKind.Witness ? 0 : Math.Min(_commit, _persisted);

    private bool InLease() =>
        Role == ReplicaRole.Primary || (PrimaryId != 0 && _electionElapsed < _options.ElectionTicks);

    private void ResetElectionTimer()
    {
        _electionElapsed = 0;
        _randomizedElectionTimeout = _options.ElectionTicks + _random.Next(_options.ElectionTicks);
    }

    private void SetTerm(long term)
    {
        Invariant.Check(term >= _term, "term never decreases");
        if (term > _term)
        {
            _term = term;
            _votedFor = 0;
        }
    }

    private void SetCommit(long commit)
    {
        Invariant.Check(commit >= _commit, "commit never decreases");
        Invariant.Check(Kind == MemberKind.Witness || commit <= _log.LastIndex, "commit within the log");
        _commit = commit;
    }

    private void Send(ReplicationMessage message) => _messages.Add(message);

    private void AppendLocal(LogEntry entry)
    {
        Invariant.Check(Kind == MemberKind.Data, "a witness holds no entries");
        _log.Append(entry);
        _pendingEntries.Add(entry);
    }

    private void TruncateLocal(long after)
    {
        Invariant.Check(after >= _commit, "committed entries are never truncated");
        Invariant.Check(_options.JournalCanTruncateSuffix, "suffix truncation only on a journal that supports it");
        _log.TruncateAfter(after);
        _pendingEntries.RemoveAll(e => e.Index > after);
        _pendingTruncateAfter = Math.Min(_pendingTruncateAfter ?? after, after);
        _persisted = Math.Min(_persisted, after);
        _verified = Math.Min(_verified, after);
        _lastAckSent = Math.Min(_lastAckSent, after);
    }

    private void BecomeFollower(long term, int primaryId)
    {
        SetTerm(term);
        Role = Kind == MemberKind.Witness ? ReplicaRole.Witness : ReplicaRole.Standby;
        PrimaryId = primaryId;
        _peers.Clear();
        _votes.Clear();
        _transferTarget = 0;
        // Committed entries are in every later primary's log, so they stay verified across primaries.
        _verified = Kind == MemberKind.Witness ? 0 : Math.Min(_commit, _log.LastIndex);
        _lastAckSent = -1;
        // Divergence is relative to one primary's log; the next primary may hold exactly our entries.
        _diverged = false;
        ResetElectionTimer();
    }

    private void Campaign(bool preVote, bool transfer = false)
    {
        Invariant.Check(Kind == MemberKind.Data, "a witness never campaigns");
        long requestTerm;
        if (preVote)
        {
            Role = ReplicaRole.PreCandidate;
            requestTerm = _term + 1;
        }
        else
        {
            SetTerm(_term + 1);
            Invariant.Check(_votedFor == 0, "one vote per term");
            _votedFor = Id;
            Role = ReplicaRole.Candidate;
            requestTerm = _term;
        }

        PrimaryId = 0;
        _peers.Clear();
        _votes.Clear();
        _votes[Id] = true;
        ResetElectionTimer();
        if (_config.Quorum == 1)
        {
            if (preVote)
            {
                Campaign(preVote: false);
            }
            else
            {
                BecomePrimary();
            }

            return;
        }

        foreach (var m in _config.Members)
        {
            if (m.Id != Id)
            {
                Send(new VoteRequest(Id, m.Id, requestTerm, _log.LastIndex, _log.LastTerm, preVote, transfer && !preVote));
            }
        }
    }

    private void BecomePrimary()
    {
        Invariant.Check(Kind == MemberKind.Data, "only a data replica leads");
        Invariant.Check(_votedFor == Id, "a primary voted for itself in its term");
        Role = ReplicaRole.Primary;
        PrimaryId = Id;
        _votes.Clear();
        _transferTarget = 0;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        foreach (var m in _config.Members)
        {
            if (m.Id != Id)
            {
                _peers.Add(new PeerProgress(m.Id, m.Kind, _options.MaxInflightAppends) { Next = _log.LastIndex + 1 });
            }
        }

        // Entries of earlier terms cannot be committed by counting (§5.4.2); this entry of our term commits them.
        AppendLocal(new LogEntry(_log.LastIndex + 1, _term, EntryKind.TermStart, ReadOnlyMemory<byte>.Empty));
        foreach (var p in _peers)
        {
            if (p.Kind == MemberKind.Witness)
            {
                SendWitnessFrontier(p, force: true);
            }
            else
            {
                ShipTo(p);
            }
        }

        MaybeCommit();
    }

    private static bool IsAtLeast(long term, long index, long otherTerm, long otherIndex) =>
        term > otherTerm || (term == otherTerm && index >= otherIndex);

    /// <summary>Raft's up-to-date check against the further of our log and the frontier we vouch for.</summary>
    private bool LogUpToDate(long lastTerm, long lastIndex) =>
        IsAtLeast(lastTerm, lastIndex, _log.LastTerm, _log.LastIndex) && IsAtLeast(lastTerm, lastIndex, _frontierTerm, _frontierIndex);

    private void RaiseFrontier(long term, long index)
    {
        // The frontier only moves forward in (term, index) order: what was vouched for stays protected by the vote rule.
        if (!IsAtLeast(_frontierTerm, _frontierIndex, term, index))
        {
            _frontierTerm = term;
            _frontierIndex = index;
        }
    }

    /// <summary>The primary asks this replica to take over: campaign now, in the next term, without pre-vote.</summary>
    private void HandleTimeoutNow(TimeoutNow request)
    {
        if (Kind != MemberKind.Data || Role == ReplicaRole.Primary || request.From != PrimaryId)
        {
            return;
        }

        if (!IsAtLeast(_log.LastTerm, _log.LastIndex, _frontierTerm, _frontierIndex))
        {
            // Our log lacks entries we vouch for: leading would lose them.
            return;
        }

        Campaign(preVote: false, transfer: true);
    }

    private void MaybeSendTimeoutNow(PeerProgress p)
    {
        if (p.Id != _transferTarget)
        {
            return;
        }

        if (p.Match >= _log.LastIndex)
        {
            Send(new TimeoutNow(Id, p.Id, _term));
        }
        else if (p.State != ShipState.Snapshot)
        {
            ShipTo(p);
        }
    }

    private void HandleVoteRequest(VoteRequest request)
    {
        var canVote = request.PreVote
            ? request.Term > _term
            : request.Term == _term && (_votedFor == 0 || _votedFor == request.From);
        var granted = canVote && LogUpToDate(request.LastTerm, request.LastIndex);
        if (granted && !request.PreVote)
        {
            Invariant.Check(_votedFor == 0 || _votedFor == request.From, "one vote per term");
            _votedFor = request.From;
            ResetElectionTimer();
        }

        var responseTerm = request.PreVote && granted ? request.Term : _term;
        Send(new VoteResponse(Id, request.From, responseTerm, granted, request.PreVote));
    }

    private void HandleVoteResponse(VoteResponse response)
    {
        if (response.PreVote)
        {
            if (Role != ReplicaRole.PreCandidate || (response.Granted && response.Term != _term + 1))
            {
                return;
            }
        }
        else if (Role != ReplicaRole.Candidate)
        {
            return;
        }

        _votes.TryAdd(response.From, response.Granted);
        var granted = 0;
        var rejected = 0;
        foreach (var v in _votes.Values)
        {
            if (v)
            {
                granted++;
            }
            else
            {
                rejected++;
            }
        }

        if (granted >= _config.Quorum)
        {
            if (response.PreVote)
            {
                Campaign(preVote: false);
            }
            else
            {
                BecomePrimary();
            }
        }
        else if (_config.Members.Count - rejected < _config.Quorum)
        {
            BecomeFollower(_term, 0);
        }
    }

    private void FollowPrimary(int primaryId)
    {
        Invariant.Check(Role != ReplicaRole.Primary, "at most one primary per term");
        if ((Role != ReplicaRole.Standby && Role != ReplicaRole.Witness) || PrimaryId != primaryId)
        {
            BecomeFollower(_term, primaryId);
        }

        _electionElapsed = 0;
    }

    private void HandleAppend(AppendRequest append)
    {
        FollowPrimary(append.From);
        if (Kind == MemberKind.Witness)
        {
            HandleWitnessAppend(append);
            return;
        }

        var entries = append.Entries;
        var prevIndex = append.PrevIndex;
        var prevTerm = append.PrevTerm;
        var skip = 0;
        if (prevIndex < _log.SnapshotIndex)
        {
            // Entries at or below our snapshot are committed, hence equal to the primary's.
            skip = (int)Math.Min(entries.Count, _log.SnapshotIndex - prevIndex);
            if (skip == entries.Count)
            {
                RespondToPrimary(append.From);
                return;
            }

            Invariant.Check(entries[skip - 1].Term == _log.SnapshotTerm, "committed entries are identical on every replica");
            prevIndex = _log.SnapshotIndex;
            prevTerm = _log.SnapshotTerm;
        }

        if (_log.TermAt(prevIndex) != prevTerm)
        {
            var hint = Math.Min(prevIndex - 1, _log.LastIndex);
            while (hint > _commit && hint > _log.SnapshotIndex && _log.TermAt(hint) > prevTerm)
            {
                hint--;
            }

            Send(new AppendResponse(Id, append.From, _term, false, Math.Min(_persisted, _verified), _verified, append.PrevIndex, hint, _log.TermAt(hint), false));
            return;
        }

        var i = skip;
        for (; i < entries.Count; i++)
        {
            var e = entries[i];
            Invariant.Check(e.Index == prevIndex + 1 + (i - skip), "appended entries are contiguous after prevIndex");
            if (e.Index > _log.LastIndex)
            {
                break;
            }

            if (_log.TermAt(e.Index) != e.Term)
            {
                Invariant.Check(e.Index > _commit, "committed entries never conflict");
                if (!_options.JournalCanTruncateSuffix)
                {
                    // FasterLog cannot drop its tail: the only way back to the primary's log is its snapshot.
                    // Everything from the first conflict on differs from the primary's log (log matching);
                    // everything below it matches, so it stays verified.
                    _diverged = true;
                    _verified = Math.Max(_verified, e.Index - 1);
                    Send(new AppendResponse(Id, append.From, _term, false, Math.Min(_persisted, _verified), _verified, append.PrevIndex, _commit, 0, NeedsSnapshot: true));
                    return;
                }

                TruncateLocal(e.Index - 1);
                break;
            }
        }

        for (; i < entries.Count; i++)
        {
            AppendLocal(entries[i]);
        }

        _verified = Math.Max(_verified, prevIndex + entries.Count - skip);
        var commit = Math.Min(append.PrimaryCommit, _verified);
        if (commit > _commit)
        {
            SetCommit(commit);
        }

        RespondToPrimary(append.From);
    }

    private void HandleWitnessAppend(AppendRequest append)
    {
        Invariant.Check(append.Entries.Count == 0, "a witness is sent frontiers, never entries");
        RaiseFrontier(append.PrevTerm, append.PrevIndex);

        var commit = Math.Min(append.PrimaryCommit, append.PrevIndex);
        if (commit > _commit)
        {
            SetCommit(commit);
        }

        Send(new AppendResponse(Id, append.From, _term, true, append.PrevIndex, append.PrevIndex, 0, 0, 0, false));
    }

    private void HandleInstallSnapshot(InstallSnapshotRequest request)
    {
        FollowPrimary(request.From);
        if (Kind == MemberKind.Witness)
        {
            return;
        }

        var snapshot = request.Snapshot;
        var holdsIt = _log.TermAt(snapshot.LastIndex) == snapshot.LastTerm;
        var install = WantsSnapshot(snapshot);
        if (!install)
        {
            if (snapshot.LastIndex > _commit && holdsIt)
            {
                // We hold the snapshot's last entry, so our log is identical up to it: keep it and learn the commit.
                _verified = Math.Max(_verified, snapshot.LastIndex);
                SetCommit(snapshot.LastIndex);
            }

            if (_diverged)
            {
                Send(new AppendResponse(Id, request.From, _term, false, Math.Min(_persisted, _verified), _verified, 0, _commit, 0, NeedsSnapshot: true));
            }
            else
            {
                RespondToPrimary(request.From);
            }

            return;
        }

        if (_options.OfferSnapshots)
        {
            if (_diverged)
            {
                _pendingOffer = request;
                Send(new AppendResponse(Id, request.From, _term, false, Math.Min(_persisted, _verified), _verified, 0, _commit, 0, NeedsSnapshot: true));
                return;
            }

            if (_verified < request.LogStart)
            {
                // Our log cannot continue the primary's: the shell fetches the snapshot and restarts us from it.
                _pendingOffer = request;
            }

            // What we hold: once it reaches the primary's retained log (after a restart from the
            // fetched snapshot, or having caught up meanwhile) the primary ships entries from there.
            RespondToPrimary(request.From);
            return;
        }

        // Replace log and state with the snapshot. Entries we drop above it that match the primary's
        // log (our verified prefix) may be part of a commit: keep vouching for them through the frontier,
        // exactly as a witness does, until our log holds them again.
        if (_verified > snapshot.LastIndex)
        {
            RaiseFrontier(_log.TermAt(_verified), _verified);
        }

        _log.ResetToSnapshot(snapshot);
        _pendingEntries.Clear();
        _pendingTruncateAfter = null;
        _pendingSnapshot = snapshot;
        _persisted = snapshot.LastIndex;
        _verified = snapshot.LastIndex;
        _applied = snapshot.LastIndex;
        _diverged = false;
        SetCommit(snapshot.LastIndex);
        RespondToPrimary(request.From);
    }

    private void RespondToPrimary(int primaryId)
    {
        var match = Math.Min(_persisted, _verified);
        Send(new AppendResponse(Id, primaryId, _term, true, match, _verified, 0, 0, 0, false));
        _lastAckSent = Math.Max(_lastAckSent, match);
    }

    private void MaybeAcknowledge()
    {
        if (Role != ReplicaRole.Standby || PrimaryId == 0)
        {
            return;
        }

        var match = Math.Min(_persisted, _verified);
        if (match > _lastAckSent)
        {
            RespondToPrimary(PrimaryId);
        }
    }

    private void HandleAppendResponse(AppendResponse response)
    {
        var p = Role == ReplicaRole.Primary ? FindPeer(response.From) : null;
        if (p is null)
        {
            return;
        }

        p.RecentlyActive = true;
        if (p.Kind == MemberKind.Witness)
        {
            if (response.Success && response.MatchIndex > p.Match)
            {
                p.Match = response.MatchIndex;
                MaybeCommit();
            }

            return;
        }

        if (response.Success)
        {
            if (response.AcceptedIndex > p.Accepted || p.State == ShipState.Probe)
            {
                // Only progress counts: a heartbeat answered while appends are lost must not hide the loss.
                p.TicksWithoutProgress = 0;
            }

            p.Match = Math.Max(p.Match, response.MatchIndex);
            p.Accepted = Math.Max(p.Accepted, response.AcceptedIndex);
            switch (p.State)
            {
                case ShipState.Probe:
                    p.BecomeReplicate();
                    break;
                case ShipState.Snapshot when (p.SnapshotSent >= 0 && response.AcceptedIndex >= p.SnapshotSent)
                    || (_options.OfferSnapshots && response.AcceptedIndex >= _log.SnapshotIndex && response.AcceptedIndex >= p.MinSnapshotIndex):
                    // The replica replaced its log: what it holds now is what it says, even below what it held before.
                    p.Match = response.MatchIndex;
                    p.Accepted = response.AcceptedIndex;
                    p.Next = p.Accepted + 1;
                    p.BecomeReplicate();
                    break;
                case ShipState.Replicate:
                    p.FreeInflightThrough(response.AcceptedIndex);
                    p.Next = Math.Max(p.Next, p.Accepted + 1);
                    break;
                default:
                    break;
            }

            MaybeCommit();
            if (Role == ReplicaRole.Primary)
            {
                ShipTo(p);
                if (_transferTarget == p.Id && p.Match >= _log.LastIndex)
                {
                    Send(new TimeoutNow(Id, p.Id, _term));
                }
            }

            return;
        }

        if (response.NeedsSnapshot)
        {
            if (response.HintIndex > _commit)
            {
                // The replica's commit index came from an earlier primary: those entries are committed, and
                // Leader Completeness puts them in our log at the same indexes. Adopting it lets us snapshot
                // at or above the replica's commit, which a journal that cannot truncate needs to resync.
                Invariant.Check(response.HintIndex <= _log.LastIndex, "a replica's committed entries are in the primary's log");
                SetCommit(response.HintIndex);
            }

            if (p.State != ShipState.Snapshot)
            {
                p.BecomeSnapshot(response.HintIndex);
                SendSnapshot(p);
            }
            else
            {
                p.MinSnapshotIndex = Math.Max(p.MinSnapshotIndex, response.HintIndex);
            }

            return;
        }

        if (p.State == ShipState.Snapshot || (p.State == ShipState.Probe && response.RejectedPrevIndex != p.Next - 1))
        {
            // Waiting for a snapshot, or an answer to an older probe (reordered or duplicated).
            return;
        }

        // Skip back past every entry of ours whose term is above the replica's term at the hint: none of them can match.
        var next = Math.Min(response.RejectedPrevIndex, response.HintIndex + 1);
        if (response.HintTerm >= 0)
        {
            var i = Math.Min(response.HintIndex, _log.LastIndex);
            while (i > p.Match && i > _log.SnapshotIndex && _log.TermAt(i) > response.HintTerm)
            {
                i--;
            }

            next = Math.Min(next, i + 1);
        }

        // The replica's log may be shorter than it once acknowledged (a snapshot resync dropped entries its
        // frontier still vouches for); at worst this is a stale answer and costs one extra probe.
        p.Match = Math.Min(p.Match, response.HintIndex);
        p.Accepted = p.Match;
        p.BecomeProbe(next);
        ShipTo(p);
    }

    private PeerProgress? FindPeer(int id)
    {
        foreach (var p in _peers)
        {
            if (p.Id == id)
            {
                return p;
            }
        }

        return null;
    }

    private void ShipTo(PeerProgress p)
    {
        switch (p.State)
        {
            case ShipState.Snapshot:
                if (p.SnapshotSent < 0)
                {
                    SendSnapshot(p);
                }

                break;
            case ShipState.Probe:
                if (!p.ProbeSent)
                {
                    SendAppend(p, allowEmpty: true);
                    p.ProbeSent = p.State == ShipState.Probe;
                    p.TicksWithoutProgress = 0;
                }

                break;
            case ShipState.Replicate:
                while (p.State == ShipState.Replicate && !p.InflightFull && p.Next <= _log.LastIndex)
                {
                    SendAppend(p, allowEmpty: false);
                }

                break;
            default:
                break;
        }
    }

    private void SendAppend(PeerProgress p, bool allowEmpty)
    {
        var prevIndex = p.Next - 1;
        if (prevIndex < _log.SnapshotIndex)
        {
            // What this peer needs next was compacted away.
            p.BecomeSnapshot(_log.SnapshotIndex);
            SendSnapshot(p);
            return;
        }

        var entries = p.Next <= _log.LastIndex ? _log.Slice(p.Next, _options.MaxEntriesPerAppend) : [];
        if (entries.Count == 0 && !allowEmpty)
        {
            return;
        }

        Send(new AppendRequest(Id, p.Id, _term, prevIndex, _log.TermAt(prevIndex), entries, _commit));
        if (p.State == ShipState.Replicate && entries.Count > 0)
        {
            p.Next = entries[^1].Index + 1;
            p.AddInflight(p.Next - 1);
        }
    }

    private void SendSnapshot(PeerProgress p)
    {
        // The shell snapshots its state machine at the applied index; the peer can take it only at or above its own commit.
        var index = _applied;
        if (index < p.MinSnapshotIndex || index < _log.SnapshotIndex)
        {
            return;
        }

        Send(new InstallSnapshotRequest(Id, p.Id, _term, new SnapshotRef(index, _log.TermAt(index)), _commit) { LogStart = _log.SnapshotIndex });
        p.SnapshotSent = index;
        p.TicksWithoutProgress = 0;
    }

    private void SendWitnessFrontier(PeerProgress p, bool force)
    {
        // Only the primary's durable prefix is offered: an entry the witness acknowledges is then on
        // a quorum (primary + witness), so the witness's refusal to elect a replica without it is needed, never spurious.
        var index = _persisted;
        if (!force && index <= p.WitnessFrontierSent)
        {
            return;
        }

        Send(new AppendRequest(Id, p.Id, _term, index, _log.TermAt(index), [], _commit));
        p.WitnessFrontierSent = index;
    }

    private void MaybeCommit()
    {
        long candidate;
        if (_options.UnsafeCommitWithoutQuorum)
        {
            candidate = _persisted;
        }
        else
        {
            Span<long> matches = stackalloc long[ClusterConfig.MaxVoters];
            var n = 0;
            matches[n++] = _persisted;
            foreach (var p in _peers)
            {
                matches[n++] = p.Match;
            }

            var used = matches[..n];
            used.Sort();
            // Sorted ascending: the quorum-th highest value is durable on at least a quorum.
            candidate = used[n - _config.Quorum];
        }

        if (candidate > _commit && _log.TermAt(candidate) == _term)
        {
            SetCommit(candidate);
            Invariant.Check(_options.UnsafeCommitWithoutQuorum || DurableOnQuorum(candidate), "commit is at most the index durable on a quorum");
        }
    }

    private bool DurableOnQuorum(long index)
    {
        var count = _persisted >= index ? 1 : 0;
        foreach (var p in _peers)
        {
            if (p.Match >= index)
            {
                count++;
            }
        }

        return count >= _config.Quorum;
    }

    private void TickPrimary()
    {
        _electionElapsed++;
        _heartbeatElapsed++;
        foreach (var p in _peers)
        {
            p.TicksWithoutProgress++;
        }

        if (_transferTarget != 0 && ++_transferElapsed >= _options.TransferTimeoutTicks)
        {
            // The target did not take over within the transfer timeout: give up and accept writes again.
            _transferTarget = 0;
        }

        if (_electionElapsed >= _options.ElectionTicks)
        {
            _electionElapsed = 0;
            var active = 1;
            foreach (var p in _peers)
            {
                if (p.RecentlyActive)
                {
                    active++;
                }

                p.RecentlyActive = false;
            }

            if (active < _config.Quorum)
            {
                // Check-quorum: a primary cut off from its quorum for an election timeout stops acting as one.
                BecomeFollower(_term, 0);
                return;
            }
        }

        if (_heartbeatElapsed >= _options.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            Heartbeat();
        }
    }

    private void Heartbeat()
    {
        foreach (var p in _peers)
        {
            if (p.Id == _transferTarget && p.Match >= _log.LastIndex)
            {
                // A TimeoutNow may be lost or reach a target too busy to act on it before its next heartbeat;
                // sending it again is harmless (a target that already campaigns no longer names this primary).
                Send(new TimeoutNow(Id, p.Id, _term));
            }

            if (p.Kind == MemberKind.Witness)
            {
                SendWitnessFrontier(p, force: true);
                continue;
            }

            var stalled = p.TicksWithoutProgress >= _options.ResendTimeoutTicks;
            switch (p.State)
            {
                case ShipState.Probe:
                    // The probe is this peer's heartbeat; resend it only once it may have been lost.
                    if (stalled)
                    {
                        p.ProbeSent = false;
                        ShipTo(p);
                    }

                    break;
                case ShipState.Snapshot:
                    if (stalled)
                    {
                        p.SnapshotSent = -1;
                        ShipTo(p);
                    }

                    if (p.SnapshotSent < 0)
                    {
                        // Waiting for a snapshot the peer can take: keep its lease (it must not campaign meanwhile).
                        var prev = Math.Max(p.Match, _log.SnapshotIndex);
                        Send(new AppendRequest(Id, p.Id, _term, prev, _log.TermAt(prev), [], _commit));
                    }

                    break;
                case ShipState.Replicate:
                    if (p.Inflight > 0 && stalled)
                    {
                        // Appends out and nothing accepted for a resend timeout: assume they were lost and re-probe.
                        p.BecomeProbe(p.Accepted + 1);
                        ShipTo(p);
                    }
                    else if (_log.TermAt(p.Accepted) >= 0)
                    {
                        Send(new AppendRequest(Id, p.Id, _term, p.Accepted, _log.TermAt(p.Accepted), [], _commit));
                    }
                    else
                    {
                        p.BecomeProbe(p.Next);
                        ShipTo(p);
                    }

                    break;
                default:
                    break;
            }
        }
    }
}
