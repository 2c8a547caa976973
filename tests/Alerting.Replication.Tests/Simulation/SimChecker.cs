namespace Alerting.Replication.Tests.Simulation;

/// <summary>An entry a client was told is written: (index, term) and the payload id it proposed.</summary>
internal readonly record struct AckedEntry(long Index, long Term, long PayloadId);

/// <summary>
/// The safety checker, run after every simulated step. Each check is incremental, so running it after
/// every message, tick and fsync stays cheap. A broken property throws <see cref="SimulationViolationException"/>.
/// </summary>
internal sealed class SimChecker
{
    private readonly Dictionary<long, (long Term, EntryKind Kind, long PayloadId)> _committed = [];
    private readonly Dictionary<long, ulong> _stateHashAt = [];
    private readonly Dictionary<long, int> _primaryOfTerm = [];
    private readonly List<AckedEntry> _acked = [];

    public IReadOnlyList<AckedEntry> Acked => _acked;

    public int PrimariesElected => _primaryOfTerm.Count;

    /// <summary>Identical entries at every committed index on every node that has it.</summary>
    public void CheckCommitted(SimNode node)
    {
        var core = node.Core!;
        if (node.Kind == MemberKind.Witness)
        {
            return;
        }

        for (var i = Math.Max(node.CheckedCommit, core.SnapshotIndex) + 1; i <= core.CommitIndex; i++)
        {
            if (!core.TryGetEntry(i, out var e))
            {
                throw new SimulationViolationException($"node {node.Id} says {core.CommitIndex} is committed but does not hold entry {i}");
            }

            var seen = (e.Term, e.Kind, SimNode.PayloadId(e));
            if (_committed.TryGetValue(i, out var first))
            {
                if (first != seen)
                {
                    throw new SimulationViolationException($"committed entries differ at index {i}: node {node.Id} has {seen}, another node committed {first}");
                }
            }
            else
            {
                _committed[i] = seen;
            }
        }

        node.CheckedCommit = Math.Max(node.CheckedCommit, core.CommitIndex);
    }

    /// <summary>The applied sequence (a running hash) is identical on every node at every index.</summary>
    public void CheckApplied(SimNode node, long index, ulong hash)
    {
        if (_stateHashAt.TryGetValue(index, out var first))
        {
            if (first != hash)
            {
                throw new SimulationViolationException($"state machines diverged: node {node.Id} at index {index} has hash {hash:x16}, another node had {first:x16}");
            }
        }
        else
        {
            _stateHashAt[index] = hash;
        }
    }

    /// <summary>At most one primary per term, and a new primary holds every acknowledged entry.</summary>
    public void CheckNewPrimary(SimNode node, long term)
    {
        if (_primaryOfTerm.TryGetValue(term, out var other) && other != node.Id)
        {
            throw new SimulationViolationException($"two primaries in term {term}: nodes {other} and {node.Id}");
        }

        _primaryOfTerm[term] = node.Id;
        var core = node.Core!;
        foreach (var acked in _acked)
        {
            CheckHolds(core, acked, $"new primary {node.Id} of term {term}");
        }
    }

    /// <summary>An acknowledgement comes from the primary of the term the entry was proposed in, which has seen no higher term.</summary>
    public void CheckAndRecordAck(SimNode node, SoftState reported, AckedEntry entry)
    {
        var core = node.Core!;
        if (reported.Role != ReplicaRole.Primary || reported.Term != entry.Term || core.Term != entry.Term || core.Role != ReplicaRole.Primary)
        {
            throw new SimulationViolationException($"node {node.Id} acknowledged index {entry.Index} of term {entry.Term} while in term {core.Term} as {core.Role}");
        }

        CheckHolds(core, entry, $"acking primary {node.Id}");
        _acked.Add(entry);
    }

    /// <summary>After the faults stop and the cluster settles: one primary, every data node caught up and holding every acknowledged entry.</summary>
    public void CheckSettled(IReadOnlyList<SimNode> nodes)
    {
        var primaries = nodes.Where(n => n.Core?.Role == ReplicaRole.Primary).ToList();
        if (primaries.Count != 1)
        {
            throw new SimulationViolationException($"after healing, {primaries.Count} primaries instead of 1 (no progress)");
        }

        var primary = primaries[0];
        foreach (var acked in _acked)
        {
            CheckHolds(primary.Core!, acked, $"final primary {primary.Id}");
        }

        var maxAcked = _acked.Count == 0 ? 0 : _acked.Max(a => a.Index);
        foreach (var n in nodes.Where(n => n.Kind == MemberKind.Data))
        {
            if (n.AppliedIndex != primary.Core!.CommitIndex || n.AppliedIndex < maxAcked)
            {
                throw new SimulationViolationException(
                    $"after healing, node {n.Id} applied {n.AppliedIndex} but the primary committed {primary.Core.CommitIndex} and the highest acknowledged index is {maxAcked}; "
                    + string.Join(", ", nodes.Select(Describe)));
            }

            CheckApplied(n, n.AppliedIndex, n.AppliedHash);
        }
    }

    private static string Describe(SimNode n) =>
        n.Core is not { } c
            ? $"node {n.Id} down"
            : $"node {n.Id} {c.Role} term {c.Term} last {c.LastIndex} persisted {c.PersistedIndex} commit {c.CommitIndex} applied {c.AppliedIndex} snapshot {c.SnapshotIndex} {c.DescribePeers()} disk: snapshot {n.Disk.Snapshot.LastIndex} durable to {(n.Disk.Durable.Count == 0 ? -1 : n.Disk.Durable[^1].Index)} unsynced {n.Disk.Unsynced.Count} covered {n.Disk.FsyncCovers}";

    private static void CheckHolds(ReplicaCore core, AckedEntry acked, string who)
    {
        if (acked.Index <= core.SnapshotIndex)
        {
            // Covered by the snapshot: the state hash check at that index speaks for it.
            return;
        }

        if (!core.TryGetEntry(acked.Index, out var e) || e.Term != acked.Term || SimNode.PayloadId(e) != acked.PayloadId)
        {
            throw new SimulationViolationException(
                $"acknowledged entry lost: {who} lacks payload {acked.PayloadId} at index {acked.Index} (term {acked.Term}); it has {(core.TryGetEntry(acked.Index, out var had) ? $"term {had.Term} payload {SimNode.PayloadId(had)}" : "nothing")}");
        }
    }
}
