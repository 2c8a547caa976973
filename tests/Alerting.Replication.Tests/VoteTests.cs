namespace Alerting.Replication.Tests;

public sealed class VoteTests
{
    private static readonly ReplicaOptions Options = new() { ElectionTicks = 10, HeartbeatTicks = 2 };

    private static ReplicaCore Voter(int id, ClusterConfig config, DurableState? durable = null) =>
        new(id, config, Options, durable ?? DurableState.Empty, new Random(7));

    private static LogEntry Entry(long index, long term) => new(index, term, EntryKind.Command, ReadOnlyMemory<byte>.Empty);

    [Fact]
    public void Vote_is_granted_to_one_candidate_per_term_and_persisted_with_the_answer()
    {
        var voter = Voter(2, LockstepCluster.ThreeData());
        voter.Step(new VoteRequest(1, 2, 1, 0, 0, PreVote: false));
        var first = voter.TakeReady();
        voter.Step(new VoteRequest(3, 2, 1, 0, 0, PreVote: false));
        var second = voter.TakeReady();

        Assert.True(Assert.IsType<VoteResponse>(Assert.Single(first.Messages)).Granted);
        Assert.Equal(new HardState(1, 1, 0, 0, 0), first.HardState);
        Assert.False(Assert.IsType<VoteResponse>(Assert.Single(second.Messages)).Granted);
        Assert.Null(second.HardState);
    }

    [Fact]
    public void Vote_is_refused_to_a_candidate_whose_log_is_behind_the_voters()
    {
        var durable = new DurableState(new HardState(1, 0, 1, 0, 0), 0, 0, [Entry(1, 1), Entry(2, 1)]);
        var voter = Voter(2, LockstepCluster.ThreeData(), durable);

        voter.Step(new VoteRequest(1, 2, 2, 1, 1, PreVote: false));
        var shorter = Assert.IsType<VoteResponse>(Assert.Single(voter.TakeReady().Messages));
        voter.Step(new VoteRequest(3, 2, 3, 1, 2, PreVote: false));
        var newerTerm = Assert.IsType<VoteResponse>(Assert.Single(voter.TakeReady().Messages));

        Assert.False(shorter.Granted);
        Assert.True(newerTerm.Granted);
    }

    [Fact]
    public void Pre_vote_changes_neither_term_nor_vote()
    {
        var voter = Voter(2, LockstepCluster.ThreeData());
        voter.Step(new VoteRequest(1, 2, 5, 0, 0, PreVote: true));
        var ready = voter.TakeReady();

        var response = Assert.IsType<VoteResponse>(Assert.Single(ready.Messages));
        Assert.True(response.Granted);
        Assert.Equal(5, response.Term);
        Assert.Equal(0, voter.Term);
        Assert.Equal(0, ready.HardState?.VotedFor ?? 0);
    }

    [Fact]
    public void A_voter_that_heard_from_the_primary_within_the_election_timeout_ignores_candidates()
    {
        var voter = Voter(2, LockstepCluster.ThreeData());
        voter.Step(new AppendRequest(1, 2, 1, 0, 0, [], 0));
        voter.TakeReady();

        voter.Step(new VoteRequest(3, 2, 2, 10, 1, PreVote: false));

        Assert.Empty(voter.TakeReady().Messages);
        Assert.Equal(1, voter.Term);
    }

    [Fact]
    public void A_candidate_with_a_quorum_of_votes_becomes_primary_and_the_others_follow()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);

        Assert.Equal(ReplicaRole.Primary, cluster[1].Role);
        Assert.Equal(ReplicaRole.Standby, cluster[2].Role);
        Assert.Equal(1, cluster[2].PrimaryId);
        Assert.Equal(cluster[1].Term, cluster[2].Term);
    }

    [Fact]
    public void Election_timeouts_are_drawn_from_the_seeded_random_source()
    {
        static int TicksToCampaign(int seed)
        {
            var core = new ReplicaCore(1, LockstepCluster.ThreeData(), Options, DurableState.Empty, new Random(seed));
            var ticks = 0;
            while (core.Role != ReplicaRole.PreCandidate)
            {
                core.Tick();
                ticks++;
            }

            return ticks;
        }

        var bySeed = Enumerable.Range(1, 20).Select(TicksToCampaign).ToArray();

        Assert.Equal(bySeed, Enumerable.Range(1, 20).Select(TicksToCampaign).ToArray());
        Assert.All(bySeed, t => Assert.InRange(t, Options.ElectionTicks, (2 * Options.ElectionTicks) - 1));
        Assert.True(bySeed.Distinct().Count() > 1, "timeouts are randomized");
    }

    [Fact]
    public void Replica_refuses_to_start_below_the_commit_its_hard_state_recorded()
    {
        var lostTail = new DurableState(new HardState(1, 0, 3, 0, 0), 0, 0, [Entry(1, 1), Entry(2, 1)]);

        var refused = Assert.Throws<ArgumentException>(() => Voter(2, LockstepCluster.ThreeData(), lostTail));
        Assert.Contains("high-water mark", refused.Message);
    }

    [Fact]
    public void Witness_refuses_to_start_with_entries()
    {
        var withEntries = new DurableState(new HardState(1, 0, 1, 0, 0), 0, 0, [Entry(1, 1)]);

        Assert.Throws<ArgumentException>(() => Voter(3, ClusterConfig.PrimaryStandbyWitness(), withEntries));
    }
}
