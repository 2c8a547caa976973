namespace Alerting.Replication.Tests;

public sealed class WitnessTests
{
    private static readonly ReplicaOptions Options = new() { ElectionTicks = 10, HeartbeatTicks = 2 };

    private static ReplicaCore Witness() =>
        new(3, ClusterConfig.PrimaryStandbyWitness(), Options, DurableState.Empty, new Random(3));

    [Fact]
    public void Witness_acknowledges_a_frontier_and_persists_it_without_entries()
    {
        var witness = Witness();
        witness.Step(new AppendRequest(1, 3, 1, 5, 1, [], 3));
        var ready = witness.TakeReady();

        Assert.Equal(ReplicaRole.Witness, witness.Role);
        Assert.Equal(new HardState(1, 0, 3, 5, 1), ready.HardState);
        Assert.Empty(ready.Entries);
        Assert.Equal(0, ready.ApplyUpTo);
        var ack = Assert.IsType<AppendResponse>(Assert.Single(ready.Messages));
        Assert.True(ack.Success);
        Assert.Equal(5, ack.MatchIndex);
    }

    [Fact]
    public void Witness_frontier_never_moves_back_when_an_older_frontier_arrives_late()
    {
        var witness = Witness();
        witness.Step(new AppendRequest(1, 3, 2, 5, 2, [], 0));
        witness.Step(new AppendRequest(1, 3, 2, 3, 2, [], 0));
        witness.Step(new AppendRequest(1, 3, 2, 9, 1, [], 0));

        Assert.Equal((5L, 2L), witness.Frontier);
    }

    [Fact]
    public void Witness_refuses_to_elect_a_standby_that_lacks_the_frontier_it_acknowledged()
    {
        var witness = Witness();
        witness.Step(new AppendRequest(1, 3, 1, 5, 1, [], 5));
        for (var i = 0; i < Options.ElectionTicks; i++)
        {
            witness.Tick();
        }

        witness.TakeReady();
        witness.Step(new VoteRequest(2, 3, 2, 3, 1, PreVote: false));
        var lagging = Assert.IsType<VoteResponse>(Assert.Single(witness.TakeReady().Messages));
        witness.Step(new VoteRequest(2, 3, 3, 5, 1, PreVote: false));
        var caughtUp = Assert.IsType<VoteResponse>(Assert.Single(witness.TakeReady().Messages));

        Assert.False(lagging.Granted);
        Assert.True(caughtUp.Granted);
    }

    [Fact]
    public void Witness_never_campaigns()
    {
        var witness = Witness();
        for (var i = 0; i < 10 * Options.ElectionTicks; i++)
        {
            witness.Tick();
        }

        Assert.Equal(ReplicaRole.Witness, witness.Role);
        Assert.Empty(witness.TakeReady().Messages);
    }

    [Fact]
    public void Primary_commits_with_the_witness_while_the_standby_is_down_and_the_lagging_standby_cannot_win()
    {
        var cluster = new LockstepCluster(ClusterConfig.PrimaryStandbyWitness());
        cluster.Elect(1);
        cluster.Deliver();

        var proposed = cluster[1].Propose(new byte[] { 42 });
        cluster.Deliver(m => m.To != 2 && m.From != 2);
        Assert.Equal(ProposeStatus.Accepted, proposed.Status);
        Assert.True(cluster[1].CommitIndex >= proposed.FirstIndex, "committed on primary + witness");
        Assert.True(cluster[2].LastIndex < proposed.FirstIndex, "the standby missed the entry");

        // The primary dies; the lagging standby times out and asks the witness.
        for (var i = 0; i < 6 * cluster.Options.ElectionTicks; i++)
        {
            cluster[2].Tick();
            cluster[3].Tick();
            cluster.Deliver(m => m.To != 1);
        }

        Assert.NotEqual(ReplicaRole.Primary, cluster[2].Role);
        Assert.Equal((proposed.FirstIndex, proposed.Term), cluster[3].Frontier);
    }
}
