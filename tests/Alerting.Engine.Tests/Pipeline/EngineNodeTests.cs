using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Engine.Tests.StateMachine;
using Alerting.Protocol.Log;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Engine.Tests.Pipeline;

public sealed class EngineNodeTests : IDisposable
{
    private readonly TempDirectory _a = new("alerting-node-a");
    private readonly TempDirectory _b = new("alerting-node-b");

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public async Task A_write_completes_once_durable_and_applied_with_contiguous_indexes()
    {
        using var node = EngineNode.Open(Options(_a.Path));
        var log = RandomLog.Generate(seed: 7, count: 200);

        var acks = new List<AppliedEntry>();
        foreach (var entry in log)
        {
            var ack = await WriteAsync(node, entry);
            Assert.True(node.DurableIndex >= ack.Index, $"entry {ack.Index} acknowledged before it was durable ({node.DurableIndex})");
            acks.Add(ack);
        }

        Assert.Equal(Enumerable.Range(1, log.Count).Select(i => (long)i), acks.Select(a => a.Index));
        Assert.All(acks, a => Assert.Equal(1UL, a.Term));
        Assert.Equal(log.Count, node.Progress.AppliedIndex);
    }

    [Fact]
    public async Task Concurrent_writers_all_land_exactly_once()
    {
        using var node = EngineNode.Open(Options(_a.Path));
        const int writers = 4;
        const int perWriter = 250;

        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var indexes = new List<long>(perWriter);
            for (var i = 0; i < perWriter; i++)
            {
                var entry = new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = $"w{w}-{i}" } };
                indexes.Add((await WriteAsync(node, entry)).Index);
            }

            return indexes;
        })).ToArray();
        var all = (await Task.WhenAll(tasks)).SelectMany(i => i).Order().ToList();

        Assert.Equal(Enumerable.Range(1, writers * perWriter).Select(i => (long)i), all);
    }

    [Fact]
    public async Task A_full_input_ring_refuses_a_write_at_once_instead_of_queueing()
    {
        using var node = EngineNode.Open(Options(_a.Path) with { InputRingSize = 4 });
        var refused = 0;
        var accepted = new List<Task<AppliedEntry>>();
        for (var i = 0; i < 10_000; i++)
        {
            var task = node.TryWrite(RandomLog.Tick(i));
            if (task is null)
            {
                refused++;
            }
            else
            {
                accepted.Add(task);
            }
        }

        await Task.WhenAll(accepted);
        Assert.True(refused > 0, "a ring of 4 slots took 10 000 writes without refusing one");
        Assert.Equal(accepted.Count, node.Progress.AppliedIndex);
    }

    [Fact]
    public async Task Two_independent_nodes_fed_the_same_entries_reach_byte_identical_snapshots()
    {
        var log = RandomLog.Generate(seed: 11, count: 1_500);
        var first = await RunToEnd(_a.Path, log);
        var second = await RunToEnd(_b.Path, log);

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Restart_from_snapshot_plus_journal_suffix_equals_the_node_that_never_stopped()
    {
        var log = RandomLog.Generate(seed: 23, count: 1_200);
        var uninterrupted = await RunToEnd(_b.Path, log);

        // Phase 1: periodic snapshots (which truncate the journal) and one on shutdown at 700.
        var options = Options(_a.Path) with { SnapshotEveryEntries = 100, SnapshotOnShutdown = true };
        using (var node = EngineNode.Open(options))
        {
            await WriteAllAsync(node, log.Take(700));
        }

        // Phase 2: 50 more entries that only the journal holds.
        var noSnapshots = options with { SnapshotEveryEntries = 0, SnapshotOnShutdown = false };
        using (var node = EngineNode.Open(noSnapshots))
        {
            Assert.Equal(700, node.Recovery.SnapshotIndex);
            Assert.Equal(0, node.Recovery.EntriesReplayed);
            await WriteAllAsync(node, log.Skip(700).Take(50));
        }

        byte[] restarted;
        using (var node = EngineNode.Open(noSnapshots))
        {
            Assert.Equal(700, node.Recovery.SnapshotIndex);
            Assert.Equal(50, node.Recovery.EntriesReplayed);
            await WriteAllAsync(node, log.Skip(750));

            node.Dispose();
            restarted = Snapshot.Bytes(node.State);
        }

        Assert.Equal(uninterrupted, restarted);
    }

    [Fact]
    public async Task Recovery_refuses_to_start_when_no_valid_snapshot_covers_the_truncated_journal()
    {
        // Two snapshots (at 200 and 400, one per run): only then is the journal truncated, to 200.
        var options = Options(_a.Path) with { SnapshotEveryEntries = 0, SnapshotOnShutdown = true };
        var log = RandomLog.Generate(seed: 5, count: 400);
        using (var node = EngineNode.Open(options))
        {
            await WriteAllAsync(node, log.Take(200));
        }

        using (var node = EngineNode.Open(options))
        {
            await WriteAllAsync(node, log.Skip(200));
        }

        foreach (var file in Directory.GetFiles(Path.Combine(_a.Path, "snapshots"), "*.snap"))
        {
            var bytes = File.ReadAllBytes(file);
            bytes[^1] ^= 0xFF;
            File.WriteAllBytes(file, bytes);
        }

        var error = Assert.Throws<JournalRecoveryException>(() => EngineNode.Open(options));
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_clock_publishes_ticks_that_move_logical_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        var node = EngineNode.Open(Options(_a.Path) with { RunClock = true, TimeProvider = time });
        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        await node.Progress.WaitForAsync(10);
        node.Dispose();

        Assert.Equal(10, node.State.TicksApplied);
        Assert.Equal(1_800_000_001_000, node.State.LogicalTimeMs);
    }

    [Fact]
    public async Task A_query_sees_every_write_published_before_it()
    {
        using var node = EngineNode.Open(Options(_a.Path));
        var writes = Enumerable.Range(0, 50)
            .Select(i => node.TryWrite(RandomLog.Tick(1_800_000_000_000 + i))!)
            .ToList();

        var (applied, time) = await node.TryQuery(state => (state.AppliedIndex, state.LogicalTimeMs))!;

        Assert.Equal(50, applied);
        Assert.Equal(1_800_000_000_049, time);
        await Task.WhenAll(writes);
    }

    [Fact]
    public async Task Transition_history_survives_a_restart_so_subscribers_can_resume()
    {
        var options = Options(_a.Path) with { SnapshotOnShutdown = false };
        long alertIndex;
        using (var node = EngineNode.Open(options))
        {
            await WriteAsync(node, RandomLog.Tick(1_800_000_000_000));
            await WriteAsync(node, new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = EngineHarness.Metric("m", "max(last_1m):max:q{*} > 1", o => o.OnArrival = true) } });
            var points = new SeriesPoints { Metric = "q", UnixMs = { 1_800_000_000_000 }, Values = { 5 } };
            alertIndex = (await WriteAsync(node, new LogEntry { Points = new PointsBatch { Series = { points } } })).Index;
        }

        using (var node = EngineNode.Open(options))
        {
            var copied = new List<Alerting.Engine.StateMachine.TransitionHistory.HistoryItem>();
            _ = node.History.CopyAfter(0, null, copied, max: 10);
            var alert = Assert.Single(copied);
            Assert.Equal(("m", alertIndex, 1UL), (alert.Event.MonitorId, alert.Event.LogIndex, alert.Term));
        }
    }

    [Fact]
    public async Task An_entry_larger_than_the_journal_takes_is_refused_at_once_and_the_node_keeps_working()
    {
        using var node = EngineNode.Open(Options(_a.Path));
        var huge = new LogEntry { CheckRuns = new CheckRunsBatch() };
        for (var i = 0; i < 300; i++)
        {
            huge.CheckRuns.Runs.Add(new CheckRun { Check = "c", Message = new string('x', 4_000) });
        }

        var error = Assert.Throws<EntryTooLargeException>(() => { _ = node.TryWrite(huge); });
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);

        var ack = await WriteAsync(node, RandomLog.Tick(1));
        Assert.Equal(1, ack.Index);
        Assert.Null(node.Fault);
    }

    private static EngineOptions Options(string directory) => new()
    {
        DataDirectory = directory,
        RunClock = false,
        InputRingSize = 1024,
        JournalPageSizeBits = 21,
        JournalMemorySizeBits = 23,
        JournalSegmentSizeBits = 25,
    };

    private static async Task<AppliedEntry> WriteAsync(EngineNode node, LogEntry entry)
    {
        while (true)
        {
            var task = node.TryWrite(entry);
            if (task is not null)
            {
                return await task;
            }

            // Ring full: wait for the state machine to make room, by log position.
            await node.Progress.WaitForAsync(node.Progress.AppliedIndex + 1);
        }
    }

    /// <summary>Publishes every entry without waiting for each; waits for room when the ring is full.</summary>
    private static async Task WriteAllAsync(EngineNode node, IEnumerable<LogEntry> entries)
    {
        var pending = new List<Task<AppliedEntry>>();
        foreach (var entry in entries)
        {
            Task<AppliedEntry>? task;
            while ((task = node.TryWrite(entry)) is null)
            {
                await node.Progress.WaitForAsync(node.Progress.AppliedIndex + 1);
            }

            pending.Add(task);
        }

        var acks = await Task.WhenAll(pending);
        for (var i = 1; i < acks.Length; i++)
        {
            Assert.Equal(acks[i - 1].Index + 1, acks[i].Index);
        }
    }

    private static async Task<byte[]> RunToEnd(string directory, List<LogEntry> log)
    {
        var node = EngineNode.Open(Options(directory));
        await WriteAllAsync(node, log);
        node.Dispose();
        return Snapshot.Bytes(node.State);
    }
}
