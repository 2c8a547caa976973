using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Engine.Snapshots;
using Alerting.Engine.StateMachine;
using Alerting.Engine.Tests.StateMachine;
using Alerting.Protocol.Log;
using CsCheck;
using Google.Protobuf;

namespace Alerting.Engine.Tests.Pipeline;

/// <summary>
/// Snapshots taken without stopping the apply loop (issue 7 item 3): the state-machine thread names
/// the index, a background task rebuilds the state there from the previous snapshot and the journal.
/// The oracle is the stop-the-world path (<see cref="SnapshotScheduler.Serialize"/> of an engine
/// that applied the same prefix).
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class SnapshotRebuildTests
{
    [Fact]
    public void A_snapshot_started_at_i_while_later_entries_apply_equals_the_stop_the_world_snapshot_at_i_and_replays_to_the_same_state_and_so_does_the_next()
    {
        var cases =
            from seed in Gen.Int[0, int.MaxValue]
            from count in Gen.Int[20, 260]
            from baseAt in Gen.Int[0, count - 2]
            from at in Gen.Int[baseAt + 1, count - 1]
            from until in Gen.Int[at, count]
            from truncate in Gen.Bool
            select new Case(seed, count, baseAt, at, until, truncate);

        cases.Sample(Run, iter: 40, threads: 1, print: c => c.ToString());
    }

    [Fact]
    public async Task A_crash_while_a_snapshot_is_rebuilt_leaves_the_previous_snapshot_in_use()
    {
        using var folder = new TempDirectory("snapshot-crash");
        var snapshots = Path.Combine(folder.Path, EngineNode.SnapshotsDirectoryName);
        var log = RandomLog.Generate(seed: 77, count: 300);
        var journal = new MemoryJournal();
        var live = new LogApplier(new EngineState());

        // The previous snapshot, at 100, stop-the-world.
        AppendAndApply(journal, live, log, 1, 100);
        var store = new SnapshotStore(snapshots);
        store.Write(100, live.State.Term, SnapshotScheduler.Serialize(live.State));

        // Entries 101..200 are committed elsewhere (a quorum) and applied, but this node has not
        // synced them yet: the rebuild of the snapshot at 200 waits for them, so it is mid-way at the crash.
        journal.HoldDurability();
        AppendAndApply(journal, live, log, 101, 200);
        using var scheduler = new SnapshotScheduler(store, journal, everyEntries: 50, lastSnapshotIndex: 100);
        scheduler.MaybeSnapshot(live.State);
        Assert.False(scheduler.InFlight.IsCompleted);

        // The crash: this journal dies; a torn temporary file is what an interrupted write leaves behind.
        var restarted = journal.Crash();
        await scheduler.InFlight;
        Assert.Equal(0, scheduler.SnapshotsWritten);
        Assert.Equal(1, scheduler.Failures);
        File.WriteAllBytes(store.PathFor(200) + ".tmp", [1, 2, 3]);

        using var node = EngineNode.Open(new EngineOptions { DataDirectory = folder.Path, RunClock = false, SnapshotEveryEntries = 0, SnapshotOnShutdown = false }, restarted);
        Assert.Equal(100, node.Recovery.SnapshotIndex);
        Assert.Equal(new[] { SnapshotStore.FileNameFor(200) + ".tmp" }, node.Recovery.RemovedTempFiles);
        Assert.Equal(new long[] { 100 }, new SnapshotStore(snapshots).ListIndexes());
        node.Dispose();
        Assert.Equal(Oracle(log, 100), SnapshotScheduler.Serialize(node.State));
    }

    [Fact]
    public async Task When_no_snapshot_joins_the_journal_the_rebuild_fails_cleanly_and_the_next_snapshot_stops_the_loop_once()
    {
        using var folder = new TempDirectory("snapshot-gap");
        var log = RandomLog.Generate(seed: 5, count: 200);
        using var journal = new MemoryJournal();
        var live = new LogApplier(new EngineState());
        AppendAndApply(journal, live, log, 1, 100);

        // The journal lost its prefix and no snapshot covers it: nothing to rebuild from.
        journal.TruncateBefore(50);
        var store = new SnapshotStore(folder.Path);
        using var scheduler = new SnapshotScheduler(store, journal, everyEntries: 100, lastSnapshotIndex: 0);
        scheduler.MaybeSnapshot(live.State);
        await scheduler.InFlight;
        Assert.Equal(1, scheduler.Failures);
        Assert.IsType<JournalRecoveryException>(scheduler.LastFailure!.InnerException);
        Assert.Empty(store.ListIndexes());
        Assert.Equal(50, journal.FirstIndex);

        AppendAndApply(journal, live, log, 101, 200);
        scheduler.MaybeSnapshot(live.State);
        await scheduler.InFlight;
        Assert.Equal(0, scheduler.SnapshotsRebuilt);
        Assert.Equal(1, scheduler.SnapshotsWritten);
        Assert.Null(scheduler.LastFailure);
        Assert.True(store.TryLoad(200, out var written, out var reason), reason);
        Assert.Equal(Oracle(log, 200), written.Body.ToArray());
    }

    [Fact]
    public async Task A_node_takes_its_periodic_snapshots_by_rebuilding_and_they_equal_the_stop_the_world_bytes()
    {
        using var folder = new TempDirectory("snapshot-node");
        var log = RandomLog.Generate(seed: 31, count: 700);
        var options = new EngineOptions
        {
            DataDirectory = folder.Path,
            RunClock = false,
            InputRingSize = 1024,
            SnapshotEveryEntries = 100,
            SnapshotOnShutdown = false,
            JournalPageSizeBits = 21,
            JournalMemorySizeBits = 23,
            JournalSegmentSizeBits = 25,
        };

        using (var node = EngineNode.Open(options))
        {
            await WriteAllAsync(node, log.Take(450));
            node.Dispose();
            Assert.True(node.SnapshotsRebuilt > 0, "no snapshot was rebuilt off the state-machine thread");
            Assert.Equal(1, node.SnapshotRebuildRestores);
            Assert.Equal(0, node.SnapshotFailures);
        }

        // Reopened from its newest snapshot, the node seeds the rebuilder with a second decode of it: no restore later.
        using (var node = EngineNode.Open(options))
        {
            Assert.True(node.Recovery.SnapshotIndex > 0);
            await WriteAllAsync(node, log.Skip(450));
            node.Dispose();
            Assert.True(node.SnapshotsRebuilt > 0, "no snapshot was rebuilt after the restart");
            Assert.Equal(0, node.SnapshotRebuildRestores);
            Assert.Equal(0, node.SnapshotFailures);
        }

        var store = new SnapshotStore(Path.Combine(folder.Path, EngineNode.SnapshotsDirectoryName));
        var indexes = store.ListIndexes();
        Assert.Equal(SnapshotStore.SnapshotsRetained, indexes.Count);
        Assert.True(indexes[0] > 450);
        foreach (var index in indexes)
        {
            Assert.True(store.TryLoad(index, out var snapshot, out var reason), reason);
            Assert.Equal(Oracle(log, (int)index, _ => options.Term), snapshot.Body.ToArray());
        }
    }

    private static async Task WriteAllAsync(EngineNode node, IEnumerable<LogEntry> entries)
    {
        foreach (var entry in entries)
        {
            Task<AppliedEntry>? write;
            while ((write = node.TryWrite(entry)) is null)
            {
                await Task.Yield();
            }

            await write;
        }
    }

    private static void Run(Case c)
    {
        var directory = Path.Combine(Path.GetTempPath(), "snapshot-rebuild-" + Guid.NewGuid().ToString("N"));
        try
        {
            var log = RandomLog.Generate(c.Seed, c.Count);
            using var journal = new MemoryJournal();
            var store = new SnapshotStore(directory);
            var live = new LogApplier(new EngineState());
            AppendAndApply(journal, live, log, 1, c.BaseAt);
            if (c.BaseAt > 0)
            {
                store.Write(c.BaseAt, live.State.Term, SnapshotScheduler.Serialize(live.State));
                if (c.Truncate)
                {
                    // Only the base and the journal after it can give the state at `at`.
                    journal.TruncateBefore(c.BaseAt);
                }
            }

            AppendAndApply(journal, live, log, c.BaseAt + 1, c.Count);
            var replay = new LogApplier(new EngineState());
            Apply(replay, log, 1, c.At);

            // The snapshot at `at` starts, then `at+1..until` apply on this thread while it is rebuilt.
            using var scheduler = new SnapshotScheduler(store, journal, everyEntries: 1, lastSnapshotIndex: c.BaseAt);
            var applying = new LogApplier(new EngineState());
            Apply(applying, log, 1, c.At);
            scheduler.MaybeSnapshot(applying.State);
            Apply(applying, log, c.At + 1, c.Until);
            scheduler.InFlight.GetAwaiter().GetResult();
            Assert.Null(scheduler.LastFailure);
            Assert.Equal(1, scheduler.SnapshotsRebuilt);

            // (a) byte for byte the stop-the-world snapshot at `at`.
            Assert.True(store.TryLoad(c.At, out var written, out var reason), reason);
            var body = written.Body.ToArray();
            Assert.Equal(SnapshotScheduler.Serialize(replay.State), body);
            Assert.Equal(replay.State.Term, written.Term);

            // (b) restored and replayed to `until`, the same as the engine that never snapshotted.
            var restored = new LogApplier(Snapshot.Restore(body));
            Apply(restored, log, c.At + 1, c.Until);
            Assert.Equal(SnapshotScheduler.Serialize(applying.State), SnapshotScheduler.Serialize(restored.State));

            // The next snapshot, at `until`, advances the kept copy instead of restoring one.
            if (c.Until > c.At)
            {
                scheduler.MaybeSnapshot(applying.State);
                scheduler.InFlight.GetAwaiter().GetResult();
                Assert.Null(scheduler.LastFailure);
                Assert.Equal(2, scheduler.SnapshotsRebuilt);
                Assert.Equal(1, scheduler.RebuildRestores);
                Assert.True(store.TryLoad(c.Until, out var next, out reason), reason);
                Assert.Equal(SnapshotScheduler.Serialize(applying.State), next.Body.ToArray());
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>The term of entry <paramref name="index"/>: it rises along the log, so the snapshot's term is checked too.</summary>
    private static ulong TermOf(long index) => 1 + ((ulong)index / 64);

    private static void AppendAndApply(MemoryJournal journal, LogApplier applier, List<LogEntry> log, int from, int to)
    {
        for (var index = from; index <= to; index++)
        {
            Assert.Equal(index, journal.Append(log[index - 1].ToByteArray(), TermOf(index)));
            applier.Apply(index, TermOf(index), log[index - 1]);
        }
    }

    private static void Apply(LogApplier applier, List<LogEntry> log, int from, int to)
    {
        for (var index = from; index <= to; index++)
        {
            applier.Apply(index, TermOf(index), log[index - 1]);
        }
    }

    /// <summary>The stop-the-world snapshot of the state after entries 1..<paramref name="index"/>.</summary>
    private static byte[] Oracle(List<LogEntry> log, int index, Func<long, ulong>? termOf = null)
    {
        termOf ??= TermOf;
        var applier = new LogApplier(new EngineState());
        for (var i = 1; i <= index; i++)
        {
            applier.Apply(i, termOf(i), log[i - 1]);
        }

        return SnapshotScheduler.Serialize(applier.State);
    }

    private sealed record Case(int Seed, int Count, int BaseAt, int At, int Until, bool Truncate);
}
