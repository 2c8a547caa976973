namespace Alerting.Replication.Tests;

public sealed class LogShippingTests
{
    private static LogEntry Entry(long index, long term) => new(index, term, EntryKind.Command, ReadOnlyMemory<byte>.Empty);

    [Fact]
    public void Standby_acknowledges_only_what_its_journal_made_durable()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.HoldFsync.Add(2);
        cluster.HoldFsync.Add(3);
        cluster.Elect(1);
        cluster.Deliver();

        Assert.Equal(1, cluster[2].LastIndex);
        Assert.Equal(0, cluster[1].CommitIndex);

        cluster.ReleaseFsync(2);
        cluster.Deliver();

        Assert.Equal(1, cluster[1].CommitIndex);
    }

    [Fact]
    public void Appends_are_batched_and_pipelined_within_their_limits()
    {
        var options = new ReplicaOptions { ElectionTicks = 10, HeartbeatTicks = 2, MaxEntriesPerAppend = 4, MaxInflightAppends = 2 };
        var cluster = new LockstepCluster(LockstepCluster.ThreeData(), options);
        cluster.Elect(1);
        cluster.Deliver();

        cluster[1].Propose(Enumerable.Range(0, 20).Select(i => (ReadOnlyMemory<byte>)new[] { (byte)i }).ToArray());
        var toStandby = cluster.Pending().OfType<AppendRequest>().Where(a => a.To == 2).ToList();

        Assert.Equal(options.MaxInflightAppends, toStandby.Count);
        Assert.All(toStandby, a => Assert.Equal(options.MaxEntriesPerAppend, a.Entries.Count));
        Assert.Equal(toStandby[0].PrevIndex + options.MaxEntriesPerAppend, toStandby[1].PrevIndex);

        cluster.Deliver();
        Assert.Equal(21, cluster[2].LastIndex);
        Assert.Equal(21, cluster[1].CommitIndex);
    }

    [Fact]
    public void Lost_pipelined_appends_are_resent_after_the_resend_timeout()
    {
        var options = new ReplicaOptions { ElectionTicks = 10, HeartbeatTicks = 2, MaxEntriesPerAppend = 2, MaxInflightAppends = 2 };
        var cluster = new LockstepCluster(LockstepCluster.ThreeData(), options);
        cluster.Elect(1);
        cluster.Deliver();

        cluster[1].Propose(Enumerable.Range(0, 8).Select(i => (ReadOnlyMemory<byte>)new[] { (byte)i }).ToArray());
        cluster.DropAll();
        for (var i = 0; i < 2 * options.ResendTimeoutTicks; i++)
        {
            cluster.Tick(1);
            cluster.Deliver();
        }

        Assert.Equal(9, cluster[2].LastIndex);
        Assert.Equal(9, cluster[1].CommitIndex);
    }

    [Fact]
    public void Diverged_standby_is_told_to_truncate_its_uncommitted_suffix()
    {
        var standby = new ReplicaCore(2, LockstepCluster.ThreeData(), new ReplicaOptions(), new DurableState(new HardState(1, 0, 1, 0, 0), 0, 0, [Entry(1, 1), Entry(2, 1), Entry(3, 1)]), new Random(2));

        standby.Step(new AppendRequest(1, 2, 2, 1, 1, [new LogEntry(2, 2, EntryKind.TermStart, ReadOnlyMemory<byte>.Empty)], 1));
        var ready = standby.TakeReady();
        standby.Persisted(3, 1); // a late fsync report for the replaced entry must not count
        standby.Persisted(2, 2);
        var ack = Assert.IsType<AppendResponse>(Assert.Single(standby.TakeReady().Messages));

        Assert.Equal(1, ready.TruncateAfter);
        Assert.Equal([(2L, 2L)], ready.Entries.Select(e => (e.Index, e.Term)));
        Assert.Equal(2, standby.LastIndex);
        Assert.Equal(2, ack.MatchIndex);
    }

    [Fact]
    public void Diverged_standby_on_a_journal_that_cannot_truncate_asks_for_a_snapshot_and_installs_it()
    {
        var options = new ReplicaOptions { JournalCanTruncateSuffix = false };
        var standby = new ReplicaCore(2, LockstepCluster.ThreeData(), options, new DurableState(new HardState(1, 0, 1, 0, 0), 0, 0, [Entry(1, 1), Entry(2, 1), Entry(3, 1)]), new Random(2));

        standby.Step(new AppendRequest(1, 2, 2, 1, 1, [new LogEntry(2, 2, EntryKind.TermStart, ReadOnlyMemory<byte>.Empty)], 2));
        var refused = standby.TakeReady();
        standby.Step(new InstallSnapshotRequest(1, 2, 2, new SnapshotRef(2, 2), 2));
        var installed = standby.TakeReady();

        var answer = Assert.IsType<AppendResponse>(Assert.Single(refused.Messages));
        Assert.True(answer.NeedsSnapshot);
        Assert.Equal(1, answer.HintIndex); // its commit: the lowest snapshot it can take
        Assert.Null(refused.TruncateAfter);
        Assert.Empty(refused.Entries);
        Assert.Equal(new SnapshotRef(2, 2), installed.Snapshot);
        Assert.Equal(2, installed.CommitIndex);
        Assert.Equal(2, standby.LastIndex);
        Assert.Equal(2, Assert.IsType<AppendResponse>(Assert.Single(installed.Messages)).MatchIndex);
    }

    [Fact]
    public void Primary_answers_a_snapshot_request_with_its_snapshot_and_the_standby_follows_its_log_after()
    {
        var options = new ReplicaOptions { ElectionTicks = 10, HeartbeatTicks = 2, JournalCanTruncateSuffix = false };
        var config = LockstepCluster.ThreeData();
        var cluster = new LockstepCluster(config, options);
        cluster.Cores[1] = new ReplicaCore(1, config, options, new DurableState(new HardState(1, 0, 1, 0, 0), 0, 0, [Entry(1, 1)]), new Random(1));
        cluster.Cores[2] = new ReplicaCore(2, config, options, new DurableState(new HardState(1, 0, 1, 0, 0), 0, 0, [Entry(1, 1), Entry(2, 1), Entry(3, 1)]), new Random(2));
        cluster.Cores[3] = new ReplicaCore(3, config, options, new DurableState(new HardState(1, 0, 1, 0, 0), 0, 0, [Entry(1, 1)]), new Random(3));

        cluster.Elect(1);
        cluster.Deliver();
        cluster[1].Propose(new byte[] { 9 });
        cluster.Deliver();
        for (var i = 0; i < 2 * options.ResendTimeoutTicks; i++)
        {
            cluster.Tick(1);
            cluster.Deliver();
        }

        // A snapshot at or above the standby's commit wipes the stale term-1 suffix; the primary's log follows it.
        Assert.Contains(cluster.Readies[2], r => r.Snapshot is { LastIndex: >= 1 });
        Assert.DoesNotContain(cluster.Readies[2], r => r.TruncateAfter.HasValue);
        Assert.Equal(cluster[1].LastIndex, cluster[2].LastIndex);
        for (var i = cluster[2].SnapshotIndex + 1; i <= cluster[1].LastIndex; i++)
        {
            Assert.True(cluster[1].TryGetEntry(i, out var expected));
            Assert.True(cluster[2].TryGetEntry(i, out var actual));
            Assert.Equal((expected.Index, expected.Term, expected.Kind), (actual.Index, actual.Term, actual.Kind));
        }
    }

    [Fact]
    public void Resync_below_the_matching_prefix_keeps_vouching_for_it_through_the_frontier()
    {
        var options = new ReplicaOptions { ElectionTicks = 10, HeartbeatTicks = 2, JournalCanTruncateSuffix = false };
        var standby = new ReplicaCore(2, LockstepCluster.ThreeData(), options, new DurableState(new HardState(1, 0, 1, 0, 0), 0, 0, [Entry(1, 1), Entry(2, 1), Entry(3, 1), Entry(4, 1)]), new Random(2));

        // Entries 2 and 3 match the primary's log; 4 conflicts. The primary can only offer a snapshot at 1.
        standby.Step(new AppendRequest(1, 2, 2, 1, 1, [Entry(2, 1), Entry(3, 1), Entry(4, 2)], 1));
        standby.Step(new InstallSnapshotRequest(1, 2, 2, new SnapshotRef(1, 1), 1));
        var ready = standby.TakeReady();
        for (var i = 0; i < 5 * options.ElectionTicks; i++)
        {
            standby.Tick();
        }

        standby.TakeReady();
        standby.Step(new VoteRequest(3, 2, 3, 2, 1, PreVote: false));
        var vote = Assert.IsType<VoteResponse>(Assert.Single(standby.TakeReady().Messages));

        Assert.Equal(new SnapshotRef(1, 1), ready.Snapshot);
        Assert.Equal(new HardState(2, 0, 1, 3, 1), ready.HardState);
        Assert.NotEqual(ReplicaRole.PreCandidate, standby.Role); // its log (index 1) lacks what it vouches for (index 3)
        Assert.False(vote.Granted);
    }

    [Fact]
    public void Primary_adopts_the_commit_index_a_diverged_replica_reports_and_snapshots_at_it()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);
        cluster[1].Propose([new byte[] { 1 }, new byte[] { 2 }, new byte[] { 3 }]);
        cluster.DropAll();
        Assert.Equal(1, cluster[1].CommitIndex);

        // Entries up to 3 were committed under an earlier primary, as far as replica 2 knows.
        cluster[1].Step(new AppendResponse(2, 1, cluster[1].Term, false, 0, 0, 0, 3, 0, NeedsSnapshot: true));
        var snapshots = cluster.Pending().OfType<InstallSnapshotRequest>().ToList();

        Assert.Equal(3, cluster[1].CommitIndex);
        Assert.Equal(new SnapshotRef(3, cluster[1].Term), Assert.Single(snapshots).Snapshot);
    }

    [Fact]
    public void Snapshot_whose_last_entry_the_standby_holds_keeps_the_standby_log()
    {
        var standby = new ReplicaCore(2, LockstepCluster.ThreeData(), new ReplicaOptions(), new DurableState(new HardState(2, 0, 1, 0, 0), 0, 0, [Entry(1, 1), Entry(2, 2), Entry(3, 2), Entry(4, 2)]), new Random(2));

        standby.Step(new InstallSnapshotRequest(1, 2, 2, new SnapshotRef(2, 2), 2));
        var ready = standby.TakeReady();

        Assert.Null(ready.Snapshot);
        Assert.Equal(4, standby.LastIndex);
        Assert.Equal(2, ready.CommitIndex);
        // Only the prefix the snapshot vouches for is known to match the primary; the rest waits for appends.
        Assert.Equal(2, Assert.IsType<AppendResponse>(Assert.Single(ready.Messages)).MatchIndex);
    }

    [Fact]
    public void Primary_sends_a_snapshot_to_a_standby_that_needs_compacted_entries()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);
        cluster.Deliver();
        for (var i = 0; i < 10; i++)
        {
            cluster[1].Propose(new byte[] { (byte)i });
            cluster.Deliver(m => m.To != 3);
        }

        cluster[1].Compact(cluster[1].AppliedIndex);
        for (var i = 0; i < 2 * cluster.Options.ResendTimeoutTicks; i++)
        {
            cluster.Tick(1);
            cluster.Deliver();
        }

        Assert.Contains(cluster.Readies[3], r => r.Snapshot?.LastIndex == 11);
        Assert.Equal(11, cluster[3].CommitIndex);
    }

    [Fact]
    public void An_offered_snapshot_leaves_the_standby_as_it_was_and_after_a_restart_from_it_the_primary_ships_the_log()
    {
        var options = new ReplicaOptions { ElectionTicks = 10, HeartbeatTicks = 2, OfferSnapshots = true };
        var cluster = new LockstepCluster(LockstepCluster.ThreeData(), options);
        cluster.Elect(1);
        cluster.Deliver();
        for (var i = 0; i < 10; i++)
        {
            cluster[1].Propose(new byte[] { (byte)i });
            cluster.Deliver(m => m.To != 3);
        }

        cluster[1].Compact(cluster[1].AppliedIndex);
        var lastBefore = cluster[3].LastIndex;
        for (var i = 0; i < 2 * options.ResendTimeoutTicks; i++)
        {
            cluster.Tick(1);
            cluster.Deliver();
        }

        // Offered, not installed: the core changed nothing and keeps following the primary.
        var offers = cluster.Readies[3].Where(r => r.SnapshotOffer is not null).Select(r => r.SnapshotOffer!).ToList();
        Assert.NotEmpty(offers);
        Assert.All(offers, o => Assert.Equal(11, o.LogStart));
        Assert.DoesNotContain(cluster.Readies[3], r => r.Snapshot is not null);
        Assert.Equal(lastBefore, cluster[3].LastIndex);
        Assert.Equal(ReplicaRole.Standby, cluster[3].Role);
        Assert.True(cluster[3].WantsSnapshot(offers[^1].Snapshot));

        // While the fetch runs the primary moves on and offers its newer applied index.
        for (var i = 0; i < 3; i++)
        {
            cluster[1].Propose(new byte[] { (byte)(20 + i) });
            cluster.Deliver(m => m.To != 3);
        }

        for (var i = 0; i < 2 * options.ResendTimeoutTicks; i++)
        {
            cluster.Tick(1);
            cluster.Deliver();
        }

        Assert.Contains(cluster.Readies[3], r => r.SnapshotOffer?.Snapshot.LastIndex > 11);

        // The shell fetched the first offered snapshot and restarts the replica from a disk holding it:
        // older than what the primary offers now, but its log reaches the primary's retained log.
        var snapshot = offers[0].Snapshot;
        Assert.Equal(11, snapshot.LastIndex);
        cluster.Cores[3] = new ReplicaCore(3, cluster.Config, options, new DurableState(new HardState(cluster[3].Term, 0, snapshot.LastIndex, 0, 0), snapshot.LastIndex, snapshot.LastTerm, []), new Random(7));
        cluster.Readies[3].Clear();
        Assert.False(cluster[3].WantsSnapshot(snapshot));
        for (var i = 0; i < 2 * options.ResendTimeoutTicks; i++)
        {
            cluster.Tick(1);
            cluster.Deliver();
        }

        cluster[1].Propose(new byte[] { 42 });
        for (var i = 0; i <= options.HeartbeatTicks; i++)
        {
            // The next heartbeat carries the commit index.
            cluster.Deliver();
            cluster.Tick(1);
        }

        cluster.Deliver();
        Assert.DoesNotContain(cluster.Readies[3], r => r.SnapshotOffer is not null);
        Assert.Equal(cluster[1].LastIndex, cluster[3].LastIndex);
        Assert.Equal(cluster[1].CommitIndex, cluster[3].CommitIndex);
        Assert.True(cluster[3].TryGetEntry(cluster[1].LastIndex, out var entry));
        Assert.Equal(42, entry.Payload.Span[0]);
    }

    [Fact]
    public void Applying_beyond_what_Ready_allowed_breaks_an_invariant()
    {
        var cluster = new LockstepCluster(LockstepCluster.ThreeData());
        cluster.Elect(1);

        Assert.Throws<ReplicationInvariantException>(() => cluster[2].Applied(5));
    }
}
