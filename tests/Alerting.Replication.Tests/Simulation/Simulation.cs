namespace Alerting.Replication.Tests.Simulation;

/// <summary>What one seeded run did, for aggregate assertions and for replay comparisons.</summary>
internal sealed record SimulationStats(
    int Seed,
    int Acked,
    int PrimariesElected,
    int Crashes,
    int TornWrites,
    int Partitions,
    int SnapshotsInstalled,
    int Truncations,
    int MessagesSent,
    int MessagesDropped,
    long SettleTicks,
    string FinalState,
    int Transfers = 0,
    int SnapshotFetchesFailed = 0,
    int SnapshotsFetched = 0);

/// <summary>Knobs of a run that are not drawn from the seed.</summary>
/// <param name="FaultTicks">Ticks with faults and client writes.</param>
/// <param name="MaxSettleTicks">Ticks the healed cluster gets to converge before that counts as a failure (no progress).</param>
/// <param name="UnsafeCommitWithoutQuorum">Run the deliberately broken core.</param>
internal sealed record SimulationSettings(int FaultTicks = 500, int MaxSettleTicks = 3000, bool UnsafeCommitWithoutQuorum = false);

/// <summary>
/// A deterministic cluster simulation: three in-process nodes (primary/standby/witness, or three data
/// nodes), a lossy reordering network with partitions, disks with delayed fsyncs that lose their
/// unsynced tail on a crash, a logical clock and a client. One seed decides everything, so a failure
/// replays exactly. After every step the <see cref="SimChecker"/> checks the safety properties; after
/// the fault phase the network heals, every node restarts, and the cluster must settle.
/// </summary>
internal sealed class Simulation
{
    private const int ClientBatchMax = 3;
    private const int CompactAfterEntries = 16;

    // Per tick of the fault phase: about two transfers per run.
    private const double TransferRate = 0.004;

    // Network delay is 1..MaxDelayTicks; the resend timeout sits above the worst round trip and below the election timeout.
    private const int MaxDelayTicks = 4;

    private readonly Random _random;

    // Leadership transfers draw from their own seeded stream, so adding them left every other fault of a seed where it was.
    private readonly Random _transferRandom;

    // Whether snapshots are fetched out of band (offered, fetched, installed by a restart), and the
    // fetches' lengths and failures, draw from their own stream: the other faults of a seed stay put.
    private readonly Random _snapshotRandom;
    private int _fetchesFailed;
    private int _fetchesInstalled;
    private int _transfers;
    private readonly SimulationSettings _settings;
    private readonly ClusterConfig _config;
    private readonly ReplicaOptions _options;
    private readonly List<SimNode> _nodes;
    private readonly SimNetwork _network;
    private readonly SimChecker _checker = new();
    private readonly PriorityQueue<(int Node, int Epoch, int Generation), (long Time, long Seq)> _fsyncs = new();
    private readonly List<(int Node, long Index, long Term, long PayloadId)> _pending = [];
    private readonly int _maxFsyncTicks;
    private readonly double _crashRate;
    private readonly double _partitionRate;
    private readonly double _proposeRate;
    private long _seq;
    private long _now;
    private long _nextPayload = 1;
    private int _crashes;
    private int _partitions;
    private int _snapshotsInstalled;
    private int _truncations;
    private int _flapPeriod;
    private List<(int From, int To)> _flapLinks = [];

    public Simulation(int seed, SimulationSettings settings)
    {
        Seed = seed;
        _settings = settings;
        _random = new Random(seed);
        _transferRandom = new Random(unchecked((seed * 31) + 7));
        _snapshotRandom = new Random(unchecked((seed * 37) + 11));
        _network = new SimNetwork(_random)
        {
            LossRate = _random.NextDouble() * 0.15,
            DuplicateRate = _random.NextDouble() * 0.05,
            MaxDelayTicks = 1 + _random.Next(MaxDelayTicks),
        };
        _config = _random.Next(5) == 0 ? LockstepCluster.ThreeData() : ClusterConfig.PrimaryStandbyWitness();
        _options = new ReplicaOptions
        {
            ElectionTicks = 10,
            HeartbeatTicks = 1 + _random.Next(3),
            MaxEntriesPerAppend = 1 + _random.Next(8),
            ResendTimeoutTicks = (2 * _network.MaxDelayTicks) + 1,
            MaxInflightAppends = 1 + _random.Next(4),
            MaxUncommittedEntries = 64,
            JournalCanTruncateSuffix = _random.Next(2) == 0,
            OfferSnapshots = _snapshotRandom.Next(2) == 0,
            UnsafeCommitWithoutQuorum = settings.UnsafeCommitWithoutQuorum,
        };

        _maxFsyncTicks = 1 + _random.Next(4);
        _crashRate = 0.002 + (_random.NextDouble() * 0.008);
        _partitionRate = 0.004 + (_random.NextDouble() * 0.01);
        _proposeRate = 0.2 + (_random.NextDouble() * 0.5);
        _nodes = _config.Members.Select(m => new SimNode(m.Id, m.Kind)).ToList();
        foreach (var n in _nodes)
        {
            Start(n);
        }
    }

    public int Seed { get; }

    /// <summary>The tick the run was at, for the failure report.</summary>
    public long Now => _now;

    public SimulationStats Run()
    {
        var end = _settings.FaultTicks + _settings.MaxSettleTicks;
        for (_now = 0; _now < end; _now++)
        {
            if (_now > _settings.FaultTicks && Settled())
            {
                break;
            }

            if (_now < _settings.FaultTicks)
            {
                InjectFaults();
                MaybeTransferLeadership();
                Propose();
            }
            else if (_now == _settings.FaultTicks)
            {
                Heal();
            }

            foreach (var n in _nodes)
            {
                if (n.Up)
                {
                    n.Core!.Tick();
                    Process(n);
                }
            }

            while (_network.TryReceive(_now, out var envelope))
            {
                Deliver(envelope);
            }

            while (_fsyncs.TryPeek(out var fsync, out var at) && at.Time <= _now)
            {
                _fsyncs.Dequeue();
                CompleteFsync(fsync.Node, fsync.Epoch, fsync.Generation);
            }

            foreach (var n in _nodes)
            {
                if (n.Fetch is { } fetch && fetch.DoneAt <= _now)
                {
                    CompleteFetch(n, fetch);
                }
            }

            MaybeCompact();
        }

        _checker.CheckSettled(_nodes);
        if (!Settled())
        {
            // Every node up, the network healed: staying unsettled means something stopped making progress.
            throw new SimulationViolationException($"the healed cluster did not settle within {_settings.MaxSettleTicks} ticks (no progress): "
                + string.Join(", ", _nodes.Select(n => $"{n.Id}: {n.Core?.Role} term {n.Core?.Term} last {n.Core?.LastIndex} commit {n.Core?.CommitIndex} applied {n.AppliedIndex} fetch {(n.Fetch is null ? "-" : n.Fetch.Offer.Snapshot.LastIndex.ToString(System.Globalization.CultureInfo.InvariantCulture))}")) + " " + string.Join(" | ", _nodes.Where(n => n.Core?.Role == ReplicaRole.Primary).Select(n => n.Core!.DescribePeers())));
        }
        return new SimulationStats(
            Seed,
            _checker.Acked.Count,
            _checker.PrimariesElected,
            _crashes,
            _nodes.Sum(n => n.Disk.TornWrites),
            _partitions,
            _snapshotsInstalled,
            _truncations,
            _network.Sent,
            _network.Dropped,
            _now - _settings.FaultTicks,
            string.Join(";", _nodes.Select(n => $"{n.Id}:{n.Core!.Term}/{n.AppliedIndex}/{n.AppliedHash:x16}")),
            _transfers,
            _fetchesFailed,
            _fetchesInstalled);
    }

    /// <summary>One primary, everything it holds committed, and every data node applied up to it.</summary>
    private bool Settled()
    {
        SimNode? primary = null;
        foreach (var n in _nodes)
        {
            if (n.Core?.Role == ReplicaRole.Primary)
            {
                if (primary is not null)
                {
                    return false;
                }

                primary = n;
            }
        }

        if (primary is null || primary.Core!.CommitIndex != primary.Core.LastIndex)
        {
            return false;
        }

        return _nodes.All(n => n.Kind == MemberKind.Witness || n.AppliedIndex == primary.Core.CommitIndex);
    }

    private void Start(SimNode node)
    {
        node.Core = new ReplicaCore(node.Id, _config, _options, node.Disk.Recover(), new Random(_random.Next()));
        node.AppliedIndex = node.Disk.Snapshot.LastIndex;
        node.AppliedHash = node.Disk.SnapshotHash;
        node.CheckedCommit = 0;
        Process(node);
    }

    private void Crash(SimNode node)
    {
        node.Core = null;
        node.Epoch++;
        node.Disk.Crash(_random);
        _pending.RemoveAll(p => p.Node == node.Id);
        _crashes++;
    }

    private void InjectFaults()
    {
        if (_random.NextDouble() < _crashRate)
        {
            var up = _nodes.Where(n => n.Up).ToList();
            if (up.Count > 0)
            {
                Crash(up[_random.Next(up.Count)]);
            }
        }

        foreach (var n in _nodes)
        {
            if (!n.Up && _random.NextDouble() < 0.04)
            {
                Start(n);
            }
        }

        if (_flapPeriod > 0 && _now % _flapPeriod == 0)
        {
            foreach (var (from, to) in _flapLinks)
            {
                if (_network.IsCut(from, to))
                {
                    _network.HealAll();
                    break;
                }

                _network.Cut(from, to);
            }
        }

        if (_random.NextDouble() < _partitionRate)
        {
            Partition();
        }
        else if (_random.NextDouble() < 0.02)
        {
            _network.HealAll();
            _flapPeriod = 0;
        }
    }

    private void Partition()
    {
        _partitions++;
        _network.HealAll();
        _flapPeriod = 0;
        var isolated = _nodes[_random.Next(_nodes.Count)].Id;
        var others = _nodes.Where(n => n.Id != isolated).Select(n => n.Id).ToList();
        var links = new List<(int From, int To)>();
        switch (_random.Next(4))
        {
            case 0: // symmetric
                links.AddRange(others.Select(o => (isolated, o)));
                links.AddRange(others.Select(o => (o, isolated)));
                break;
            case 1: // one-way: the node can hear but not speak
                links.AddRange(others.Select(o => (isolated, o)));
                break;
            case 2: // one-way: the node can speak but not hear
                links.AddRange(others.Select(o => (o, isolated)));
                break;
            default: // flapping symmetric partition
                links.AddRange(others.Select(o => (isolated, o)));
                links.AddRange(others.Select(o => (o, isolated)));
                _flapPeriod = 2 + _random.Next(8);
                _flapLinks = links;
                break;
        }

        foreach (var (from, to) in links)
        {
            _network.Cut(from, to);
        }
    }

    private void Heal()
    {
        _network.HealAll();
        _flapPeriod = 0;
        _network.LossRate = 0;
        _network.DuplicateRate = 0;
        foreach (var n in _nodes)
        {
            if (!n.Up)
            {
                Start(n);
            }
        }
    }

    /// <summary>Now and then the primary is asked to hand over (to a named data node, or to the most caught-up one).</summary>
    private void MaybeTransferLeadership()
    {
        if (_transferRandom.NextDouble() >= TransferRate)
        {
            return;
        }

        var primary = _nodes.Where(n => n.Up && n.Core?.Role == ReplicaRole.Primary).MaxBy(n => n.Core!.Term);
        if (primary is null)
        {
            return;
        }

        var data = _config.Members.Where(m => m.Kind == MemberKind.Data && m.Id != primary.Id).Select(m => m.Id).ToList();
        var target = _transferRandom.Next(data.Count + 1) is var pick && pick < data.Count ? data[pick] : 0;
        if (primary.Core!.TransferLeadership(target).Status == TransferStatus.Started)
        {
            _transfers++;
        }

        Process(primary);
    }

    private void Propose()
    {
        if (_random.NextDouble() >= _proposeRate)
        {
            return;
        }

        // The client follows redirects to the primary of the highest term it can find.
        var primary = _nodes.Where(n => n.Core?.Role == ReplicaRole.Primary).MaxBy(n => n.Core!.Term);
        if (primary is null)
        {
            return;
        }

        var count = 1 + _random.Next(ClientBatchMax);
        var payloads = new ReadOnlyMemory<byte>[count];
        var firstPayload = _nextPayload;
        for (var i = 0; i < count; i++)
        {
            payloads[i] = BitConverter.GetBytes(_nextPayload++);
        }

        var result = primary.Core!.Propose(payloads);
        if (result.Status == ProposeStatus.Accepted)
        {
            for (var i = 0; i < count; i++)
            {
                _pending.Add((primary.Id, result.FirstIndex + i, result.Term, firstPayload + i));
            }
        }

        Process(primary);
    }

    private void Deliver(Envelope envelope)
    {
        var node = _nodes.First(n => n.Id == envelope.Message.To);
        if (!node.Up)
        {
            return;
        }

        node.IncomingSnapshotHash = envelope.SnapshotHash;
        node.Core!.Step(envelope.Message);
        Process(node);
    }

    private void CompleteFsync(int nodeId, int epoch, int generation)
    {
        var node = _nodes.First(n => n.Id == nodeId);
        if (!node.Up || node.Epoch != epoch || node.Disk.Generation != generation)
        {
            return;
        }

        var (index, term) = node.Disk.CompleteFsync();
        node.Core!.Persisted(index, term);
        Process(node);
    }

    private void MaybeCompact()
    {
        foreach (var n in _nodes)
        {
            if (n.Up && n.Kind == MemberKind.Data && n.AppliedIndex - n.Disk.Snapshot.LastIndex >= CompactAfterEntries && _random.Next(10) == 0)
            {
                var core = n.Core!;
                if (!core.TryGetEntry(n.AppliedIndex, out var last))
                {
                    throw new SimulationViolationException($"node {n.Id} applied {n.AppliedIndex} but does not hold it");
                }

                n.Disk.Compact(new SnapshotRef(n.AppliedIndex, last.Term), n.AppliedHash);
                core.Compact(n.AppliedIndex);
            }
        }
    }

    /// <summary>Carries out every Ready the node has, in the order the contract asks, checking after each.</summary>
    private void Process(SimNode node)
    {
        var core = node.Core!;
        while (core.HasReady)
        {
            var ready = core.TakeReady();
            if (ready.Snapshot is { } snapshot)
            {
                node.Disk.InstallSnapshot(snapshot, node.IncomingSnapshotHash);
                node.AppliedIndex = snapshot.LastIndex;
                node.AppliedHash = node.IncomingSnapshotHash;
                node.CheckedCommit = snapshot.LastIndex;
                _checker.CheckApplied(node, snapshot.LastIndex, node.AppliedHash);
                _snapshotsInstalled++;
            }

            if (ready.SnapshotOffer is { } offer && node.Fetch is null)
            {
                // The fetch carries the primary's state at the offered index (the envelope's hash); it may be cut midway.
                node.Fetch = new SnapshotFetch(_now + 1 + _snapshotRandom.Next(20), node.Epoch, offer, node.IncomingSnapshotHash, _snapshotRandom.Next(4) == 0);
            }

            if (ready.TruncateAfter is { } after)
            {
                node.Disk.Write(new DiskWrite(after, default));
                _truncations++;
            }

            if (node.Kind == MemberKind.Witness && ready.Entries.Count > 0)
            {
                throw new SimulationViolationException($"witness {node.Id} was asked to journal entries");
            }

            foreach (var e in ready.Entries)
            {
                node.Disk.Write(new DiskWrite(null, e));
            }

            if (ready.HardState is { } hs)
            {
                node.Disk.Hard = hs;
            }

            foreach (var m in ready.Messages)
            {
                var hash = 0UL;
                if (m is InstallSnapshotRequest install)
                {
                    if (install.Snapshot.LastIndex != node.AppliedIndex)
                    {
                        throw new SimulationViolationException($"node {node.Id} asked to send a snapshot at {install.Snapshot.LastIndex} but its state is at {node.AppliedIndex}");
                    }

                    hash = node.AppliedHash;
                }

                _network.Send(new Envelope(m, hash), _now);
            }

            for (var i = node.AppliedIndex + 1; i <= ready.ApplyUpTo; i++)
            {
                if (!core.TryGetEntry(i, out var e))
                {
                    throw new SimulationViolationException($"node {node.Id} told to apply {i} which it does not hold");
                }

                node.AppliedHash = SimNode.Fold(node.AppliedHash, e);
                node.AppliedIndex = i;
                _checker.CheckApplied(node, i, node.AppliedHash);
            }

            if (ready.ApplyUpTo > core.AppliedIndex)
            {
                core.Applied(ready.ApplyUpTo);
            }

            if (ready.SoftStateChanged && ready.SoftState.Role == ReplicaRole.Primary)
            {
                _checker.CheckNewPrimary(node, ready.SoftState.Term);
            }

            Acknowledge(node, ready);
            _checker.CheckCommitted(node);
            if (node.Kind == MemberKind.Data && node.Disk.StartFsync())
            {
                _fsyncs.Enqueue((node.Id, node.Epoch, node.Disk.Generation), (_now + 1 + _random.Next(_maxFsyncTicks), _seq++));
            }
        }
    }

    /// <summary>
    /// A fetch ended. Like the server's shell: a cut fetch, a node restarted meanwhile, an offer from a
    /// term the node left, or a snapshot no longer above its commit change nothing. Otherwise the disk
    /// gets the snapshot in place of the journal, the frontier is raised to the dropped log's end (it
    /// may hold entries this node acknowledged), and the node restarts from that disk.
    /// </summary>
    private void CompleteFetch(SimNode node, SnapshotFetch fetch)
    {
        node.Fetch = null;
        var snapshot = fetch.Offer.Snapshot;
        if (fetch.Fails || !node.Up || node.Epoch != fetch.Epoch)
        {
            _fetchesFailed++;
            return;
        }

        var core = node.Core!;
        if (core.Term > fetch.Offer.Term || !core.WantsSnapshot(snapshot))
        {
            return;
        }

        var hard = node.Disk.Hard;
        var lastIndex = core.LastIndex;
        var lastTerm = core.TryGetEntry(lastIndex, out var last) ? last.Term : hard.FrontierTerm;
        var raise = lastIndex > snapshot.LastIndex && (lastTerm > hard.FrontierTerm || (lastTerm == hard.FrontierTerm && lastIndex > hard.FrontierIndex));
        node.Disk.Hard = hard with
        {
            Commit = snapshot.LastIndex,
            FrontierIndex = raise ? lastIndex : hard.FrontierIndex,
            FrontierTerm = raise ? lastTerm : hard.FrontierTerm,
        };
        node.Disk.InstallSnapshot(snapshot, fetch.Hash);
        node.Core = null;
        node.Epoch++;
        _pending.RemoveAll(p => p.Node == node.Id);
        _snapshotsInstalled++;
        _fetchesInstalled++;
        Start(node);
        _checker.CheckApplied(node, snapshot.LastIndex, fetch.Hash);
    }

    private void Acknowledge(SimNode node, Ready ready)
    {
        for (var i = _pending.Count - 1; i >= 0; i--)
        {
            var p = _pending[i];
            if (p.Node != node.Id)
            {
                continue;
            }

            if (ready.SoftState.Term != p.Term || ready.SoftState.Role != ReplicaRole.Primary)
            {
                // The term moved on: the outcome is unknown to the client, which must not be told "written".
                _pending.RemoveAt(i);
            }
            else if (p.Index <= ready.CommitIndex)
            {
                _checker.CheckAndRecordAck(node, ready.SoftState, new AckedEntry(p.Index, p.Term, p.PayloadId));
                _pending.RemoveAt(i);
            }
        }
    }
}
