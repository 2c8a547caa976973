namespace Alerting.Replication.Tests;

/// <summary>Leadership transfer (etcd raft's leader transfer): step-down on purpose, with the target brought up to date first.</summary>
public sealed class LeadershipTransferTests
{
    [Fact]
    public void Transfer_to_an_up_to_date_standby_makes_it_primary_of_the_next_term_at_once_keeping_every_entry()
    {
        var cluster = new LockstepCluster(ClusterConfig.PrimaryStandbyWitness());
        cluster.Elect(1);
        cluster[1].Propose([new byte[] { 1 }, new byte[] { 2 }]);
        cluster.Deliver();
        var term = cluster[1].Term;
        var committed = cluster[1].CommitIndex;

        var started = cluster[1].TransferLeadership(2);
        Assert.Equal(new TransferResult(TransferStatus.Started, 2), started);
        // No tick passes: the target campaigns on TimeoutNow and voters inside the lease still answer.
        cluster.Deliver();

        Assert.Equal(ReplicaRole.Primary, cluster[2].Role);
        Assert.Equal(term + 1, cluster[2].Term);
        Assert.Equal((ReplicaRole.Standby, 2), (cluster[1].Role, cluster[1].PrimaryId));
        Assert.Equal(2, cluster[3].PrimaryId);
        for (var i = 1; i <= committed; i++)
        {
            Assert.True(cluster[2].TryGetEntry(i, out var entry));
            Assert.True(cluster[1].TryGetEntry(i, out var same));
            Assert.Equal((same.Index, same.Term), (entry.Index, entry.Term));
        }

        Assert.Equal(ProposeStatus.Accepted, cluster[2].Propose(new byte[] { 3 }).Status);
    }

    [Fact]
    public void Primary_refuses_writes_naming_the_target_and_ships_a_lagging_target_everything_before_telling_it_to_campaign()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);
        cluster.Deliver();
        // Node 2 misses these entries; node 3 acknowledges them, so they commit without it.
        for (var i = 0; i < 5; i++)
        {
            cluster[1].Propose(new byte[] { (byte)i });
        }

        cluster.Deliver(m => m.To != 2);
        var last = cluster[1].LastIndex;
        Assert.Equal(last, cluster[1].CommitIndex);
        Assert.True(cluster[2].LastIndex < last);

        Assert.Equal(TransferStatus.Started, cluster[1].TransferLeadership(2).Status);
        var refused = cluster[1].Propose(new byte[] { 9 });
        Assert.Equal((ProposeStatus.NotPrimary, 2), (refused.Status, refused.PrimaryId));
        // TimeoutNow goes out only once the target's durable log matches the primary's. Only the primary's
        // clock runs (the lost appends are resent after ResendTimeoutTicks); the others never time out, so
        // only TimeoutNow can make node 2 campaign.
        var timeoutNow = new List<TimeoutNow>();
        bool Watch(ReplicationMessage m)
        {
            if (m is TimeoutNow t)
            {
                Assert.True(cluster[2].PersistedIndex >= last, "TimeoutNow sent before the target held the primary's log");
                timeoutNow.Add(t);
            }

            return true;
        }

        cluster.Deliver(Watch);
        for (var i = 0; i < cluster.Options.ElectionTicks - 1 && cluster[2].Role != ReplicaRole.Primary; i++)
        {
            cluster.Tick(1);
            cluster.Deliver(Watch);
        }

        Assert.Single(timeoutNow);
        Assert.Equal(ReplicaRole.Primary, cluster[2].Role);
        Assert.True(cluster[2].LastIndex > last);
    }

    [Fact]
    public void A_lost_TimeoutNow_is_sent_again_at_the_next_heartbeat_and_the_target_still_takes_over()
    {
        var cluster = new LockstepCluster(ClusterConfig.PrimaryStandbyWitness());
        cluster.Elect(1);
        cluster[1].Propose(new byte[] { 1 });
        cluster.Deliver();
        var term = cluster[1].Term;

        Assert.Equal(TransferStatus.Started, cluster[1].TransferLeadership(2).Status);
        var dropped = 0;
        cluster.Deliver(m =>
        {
            dropped += m is TimeoutNow ? 1 : 0;
            return m is not TimeoutNow;
        });
        Assert.Equal(1, dropped);
        Assert.Equal((ReplicaRole.Standby, term), (cluster[2].Role, cluster[2].Term));

        // Only the primary's clock runs: nothing but a resent TimeoutNow can make node 2 campaign.
        var ticks = 0;
        while (cluster[2].Role != ReplicaRole.Primary && ticks < cluster.Options.HeartbeatTicks)
        {
            cluster.Tick(1);
            cluster.Deliver();
            ticks++;
        }

        Assert.Equal((ReplicaRole.Primary, term + 1), (cluster[2].Role, cluster[2].Term));
        Assert.Equal(2, cluster[1].PrimaryId);
    }

    [Fact]
    public void Transfer_to_an_unreachable_target_is_abandoned_after_the_transfer_timeout_and_writes_resume()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);
        cluster.Deliver();
        cluster[1].Propose(new byte[] { 1 });
        cluster.Deliver(m => m.To != 2 && m.From != 2);

        Assert.Equal(TransferStatus.Started, cluster[1].TransferLeadership(2).Status);
        Assert.Equal(ProposeStatus.NotPrimary, cluster[1].Propose(new byte[] { 2 }).Status);
        for (var i = 0; i < cluster.Options.TransferTimeoutTicks; i++)
        {
            cluster.Tick(1);
            cluster.Deliver(m => m.To != 2 && m.From != 2);
        }

        Assert.Equal(ReplicaRole.Primary, cluster[1].Role);
        Assert.Equal(0, cluster[1].TransferTarget);
        Assert.Equal(ProposeStatus.Accepted, cluster[1].Propose(new byte[] { 3 }).Status);
    }

    [Fact]
    public void Transfer_without_a_target_picks_the_most_caught_up_data_replica_and_never_the_witness()
    {
        var cluster = new LockstepCluster(ClusterConfig.PrimaryStandbyWitness());
        cluster.Elect(1);
        cluster.Deliver();

        Assert.Equal(new TransferResult(TransferStatus.InvalidTarget, 3), cluster[1].TransferLeadership(3));
        Assert.Equal(new TransferResult(TransferStatus.InvalidTarget, 1), cluster[1].TransferLeadership(1));
        Assert.Equal(new TransferResult(TransferStatus.NotPrimary, 1), cluster[2].TransferLeadership(0));
        Assert.Equal(new TransferResult(TransferStatus.Started, 2), cluster[1].TransferLeadership(0));
    }

    [Fact]
    public void Without_transfer_a_candidate_inside_the_lease_is_ignored()
    {
        // The counterpart of the Transfer flag: the same vote request without it is not answered within the lease.
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);
        cluster.Deliver();
        var term = cluster[1].Term;

        cluster[3].Step(new VoteRequest(2, 3, term + 1, cluster[1].LastIndex, term, PreVote: false));
        Assert.Equal(term, cluster[3].Term);
        cluster[3].Step(new VoteRequest(2, 3, term + 1, cluster[1].LastIndex, term, PreVote: false, Transfer: true));
        Assert.Equal(term + 1, cluster[3].Term);
        Assert.Contains(cluster.Pending(), m => m is VoteResponse { From: 3, To: 2, Granted: true });
    }
}
