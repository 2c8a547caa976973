namespace Alerting.Replication.Tests;

public sealed class PrimaryTests
{
    private static LogEntry Entry(long index, long term) => new(index, term, EntryKind.Command, ReadOnlyMemory<byte>.Empty);

    [Fact]
    public void New_primary_appends_a_term_start_entry_before_any_proposal()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);
        var proposed = cluster[1].Propose(new byte[] { 1 });

        Assert.True(cluster[1].TryGetEntry(1, out var first));
        Assert.Equal(EntryKind.TermStart, first.Kind);
        Assert.Equal(cluster[1].Term, first.Term);
        Assert.Equal(2, proposed.FirstIndex);
    }

    [Fact]
    public void Proposal_to_a_standby_is_refused_with_the_primary_it_knows()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);
        cluster.Deliver();

        var refused = cluster[2].Propose(new byte[] { 1 });

        Assert.Equal(ProposeStatus.NotPrimary, refused.Status);
        Assert.Equal(1, refused.PrimaryId);
    }

    [Fact]
    public void Primary_refuses_proposals_beyond_the_uncommitted_limit()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData(), new ReplicaOptions { ElectionTicks = 10, HeartbeatTicks = 2, MaxUncommittedEntries = 4 });
        cluster.Elect(1);
        Assert.Equal(1, cluster[1].CommitIndex);

        var results = Enumerable.Range(0, 5).Select(_ => cluster[1].Propose(new byte[] { 1 }).Status).ToArray();

        Assert.Equal([ProposeStatus.Accepted, ProposeStatus.Accepted, ProposeStatus.Accepted, ProposeStatus.Accepted, ProposeStatus.Backpressure], results);
    }

    [Fact]
    public void Primary_steps_down_when_it_cannot_reach_a_quorum_for_an_election_timeout()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);
        cluster.Deliver();

        cluster.Tick(1, cluster.Options.ElectionTicks - 1);
        cluster.DropAll();
        Assert.Equal(ReplicaRole.Primary, cluster[1].Role);
        cluster.Tick(1, cluster.Options.ElectionTicks + 1);

        Assert.Equal(ReplicaRole.Standby, cluster[1].Role);
        Assert.Equal(0, cluster[1].PrimaryId);
        Assert.Equal(ProposeStatus.NotPrimary, cluster[1].Propose(new byte[] { 1 }).Status);
    }

    [Fact]
    public void Primary_with_a_reachable_quorum_keeps_its_role()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);
        for (var i = 0; i < 5 * cluster.Options.ElectionTicks; i++)
        {
            cluster.Tick(1);
            cluster.Deliver(m => m.To != 3 && m.From != 3);
        }

        Assert.Equal(ReplicaRole.Primary, cluster[1].Role);
    }

    [Fact]
    public void Entries_of_an_earlier_term_are_committed_only_through_an_entry_of_the_current_term()
    {
        var config = LockstepCluster.ThreeData();
        var options = new ReplicaOptions { ElectionTicks = 10, HeartbeatTicks = 2, MaxEntriesPerAppend = 1 };
        var primary = new ReplicaCore(1, config, options, new DurableState(new HardState(1, 0, 0, 0, 0), 0, 0, [Entry(1, 1), Entry(2, 1)]), new Random(1));
        var standby = new ReplicaCore(2, config, options, new DurableState(new HardState(1, 0, 0, 0, 0), 0, 0, [Entry(1, 1)]), new Random(2));
        var cores = new Dictionary<int, ReplicaCore> { [1] = primary, [2] = standby };
        var queue = new Queue<ReplicationMessage>();

        void Pump(Func<ReplicationMessage, bool> pass)
        {
            for (var guard = 0; guard < 1000; guard++)
            {
                foreach (var core in cores.Values)
                {
                    while (core.HasReady)
                    {
                        var ready = core.TakeReady();
                        if (ready.Entries.Count > 0)
                        {
                            core.Persisted(ready.Entries[^1].Index, ready.Entries[^1].Term);
                        }

                        foreach (var m in ready.Messages)
                        {
                            queue.Enqueue(m);
                        }
                    }
                }

                if (queue.Count == 0)
                {
                    return;
                }

                var next = queue.Dequeue();
                if (next.To != 3 && pass(next))
                {
                    cores[next.To].Step(next);
                }
            }
        }

        while (primary.Role != ReplicaRole.PreCandidate)
        {
            primary.Tick();
        }

        // The first probe (prevIndex 2) is refused by the standby, which lacks index 2; later copies of the term-start entry are lost.
        var termStartSends = 0;
        bool LoseTermStartAfterProbe(ReplicationMessage m) => m is not AppendRequest a || !a.Entries.Any(e => e.Index == 3) || termStartSends++ == 0;

        Pump(LoseTermStartAfterProbe);
        Assert.Equal(ReplicaRole.Primary, primary.Role);
        Assert.True(standby.TryGetEntry(2, out var copied) && copied.Term == 1, "the standby holds the term-1 entry");
        Assert.False(standby.TryGetEntry(3, out _));
        Assert.Equal(0, primary.CommitIndex);

        for (var i = 0; i < 2 * options.ResendTimeoutTicks; i++)
        {
            primary.Tick();
            Pump(_ => true);
        }

        Assert.Equal(3, primary.CommitIndex);
    }
}
