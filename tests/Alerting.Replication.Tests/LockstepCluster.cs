namespace Alerting.Replication.Tests;

/// <summary>
/// A fault-free harness for rule tests: cores exchange messages only when the test says so, and
/// journals are durable at once unless a node is told to hold its fsyncs.
/// </summary>
internal sealed class LockstepCluster
{
    private readonly Queue<ReplicationMessage> _inFlight = new();

    public LockstepCluster(ClusterConfig config, ReplicaOptions? options = null, int seed = 1)
    {
        Config = config;
        Options = options ?? new ReplicaOptions { ElectionTicks = 10, HeartbeatTicks = 2 };
        foreach (var m in config.Members)
        {
            Cores[m.Id] = new ReplicaCore(m.Id, config, Options, DurableState.Empty, new Random(seed + m.Id));
        }
    }

    public ClusterConfig Config { get; }

    public ReplicaOptions Options { get; }

    public Dictionary<int, ReplicaCore> Cores { get; } = [];

    /// <summary>Nodes whose journal does not report fsyncs until released.</summary>
    public HashSet<int> HoldFsync { get; } = [];

    /// <summary>Every Ready taken, per node, for assertions.</summary>
    public Dictionary<int, List<Ready>> Readies { get; } = [];

    public ReplicaCore this[int id] => Cores[id];

    /// <summary>Takes every node's Ready, queues its messages and reports its entries durable (unless held).</summary>
    public void Collect()
    {
        var again = true;
        while (again)
        {
            again = false;
            foreach (var (id, core) in Cores)
            {
                while (core.HasReady)
                {
                    again = true;
                    var ready = core.TakeReady();
                    if (!Readies.TryGetValue(id, out var list))
                    {
                        Readies[id] = list = [];
                    }

                    list.Add(ready);
                    foreach (var m in ready.Messages)
                    {
                        _inFlight.Enqueue(m);
                    }

                    if (ready.Entries.Count > 0 && !HoldFsync.Contains(id))
                    {
                        core.Persisted(ready.Entries[^1].Index, ready.Entries[^1].Term);
                    }

                    if (ready.ApplyUpTo > core.AppliedIndex)
                    {
                        core.Applied(ready.ApplyUpTo);
                    }
                }
            }
        }
    }

    /// <summary>Messages queued and not yet delivered.</summary>
    public List<ReplicationMessage> Pending()
    {
        Collect();
        return [.. _inFlight];
    }

    /// <summary>Drops every queued message.</summary>
    public void DropAll()
    {
        Collect();
        _inFlight.Clear();
    }

    /// <summary>Delivers queued messages (and what they cause) until the network is quiet; <paramref name="filter"/> drops those it rejects.</summary>
    public void Deliver(Func<ReplicationMessage, bool>? filter = null, int maxMessages = 10_000)
    {
        Collect();
        var delivered = 0;
        while (_inFlight.Count > 0)
        {
            Assert.True(delivered++ < maxMessages, "lockstep cluster did not quiesce");
            var m = _inFlight.Dequeue();
            if (filter is null || filter(m))
            {
                Cores[m.To].Step(m);
            }

            Collect();
        }
    }

    public void Tick(int id, int ticks = 1)
    {
        for (var i = 0; i < ticks; i++)
        {
            Cores[id].Tick();
        }

        Collect();
    }

    /// <summary>Ticks <paramref name="id"/> until it campaigns, then delivers until it is primary.</summary>
    public void Elect(int id)
    {
        var core = Cores[id];
        for (var i = 0; i < 4 * Options.ElectionTicks && core.Role != ReplicaRole.PreCandidate; i++)
        {
            core.Tick();
        }

        Assert.Equal(ReplicaRole.PreCandidate, core.Role);
        Deliver();
        Assert.Equal(ReplicaRole.Primary, core.Role);
    }

    /// <summary>Releases held fsyncs on <paramref name="id"/>: everything appended so far becomes durable.</summary>
    public void ReleaseFsync(int id)
    {
        HoldFsync.Remove(id);
        var core = Cores[id];
        if (core.LastIndex > core.PersistedIndex && core.TryGetEntry(core.LastIndex, out var last))
        {
            core.Persisted(last.Index, last.Term);
        }

        Collect();
    }

    public static ClusterConfig ThreeData() =>
        new([new ClusterMember(1, MemberKind.Data), new ClusterMember(2, MemberKind.Data), new ClusterMember(3, MemberKind.Data)]);
}
