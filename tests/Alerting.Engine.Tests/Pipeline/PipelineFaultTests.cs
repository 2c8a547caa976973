using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Alerting.Engine.Tests.StateMachine;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Engine.Tests.Pipeline;

/// <summary>
/// Issue 9, item 2: a pipeline failure (a full disk) leaves the node up in a clear failed state.
/// In-flight writes complete with the reason, new writes are refused, reads of the last applied
/// state still work, and no timer throws.
/// </summary>
public sealed class PipelineFaultTests : IDisposable
{
    /// <summary>Guard against a hang: a request the node never completes fails the test instead of blocking the run.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _directory = new("alerting-fault");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_failed_fsync_fails_the_writes_in_flight_refuses_new_ones_and_keeps_reads_working()
    {
        var journal = new MemoryJournal();
        var recorder = new RecordingStage();
        var node = EngineNode.Open(Options() with { Stages = [recorder] }, journal);
        for (var i = 0; i < 3; i++)
        {
            await node.TryWrite(RandomLog.Tick(1_800_000_000_000 + i))!;
        }

        journal.HoldDurability();
        var inFlight = new[] { node.TryWrite(RandomLog.Tick(1_800_000_000_010))!, node.TryWrite(RandomLog.Tick(1_800_000_000_011))! };
        await recorder.SeenAsync(5);
        journal.FailNextSync();
        journal.ReleaseDurability();

        foreach (var write in inFlight)
        {
            var error = await Assert.ThrowsAsync<EngineFaultedException>(() => write.WaitAsync(Patience));
            Assert.Contains("No space left", error.Message, StringComparison.Ordinal);
        }

        Assert.NotNull(node.Fault);
        var refused = Assert.Throws<EngineFaultedException>(() => { _ = node.TryWrite(RandomLog.Tick(1_800_000_000_020)); });
        Assert.Contains("No space left", refused.Message, StringComparison.Ordinal);
        var (applied, time) = await node.TryQuery(s => (s.AppliedIndex, s.LogicalTimeMs))!.WaitAsync(Patience);
        Assert.Equal((3L, 1_800_000_000_002L), (applied, time));
        node.Dispose();

        // Space returns; the operator restarts: everything acknowledged is back, the unsynced tail is not.
        using var restarted = EngineNode.Open(Options(), journal.Crash());
        Assert.Null(restarted.Fault);
        Assert.Equal(3, restarted.Progress.AppliedIndex);
        Assert.Equal(4, (await restarted.TryWrite(RandomLog.Tick(1_800_000_000_030))!.WaitAsync(Patience)).Index);
    }

    [Fact]
    public async Task A_failed_append_fails_that_write_and_every_later_one_and_the_node_still_answers_reads()
    {
        var journal = new MemoryJournal();
        using var node = EngineNode.Open(Options(), journal);
        await node.TryWrite(RandomLog.Tick(1_800_000_000_000))!;

        journal.FailNextAppend();
        var failed = node.TryWrite(RandomLog.Tick(1_800_000_000_001))!;

        // The write behind it races the journaler: published before the fault was recorded, it
        // completes with the fault; published after, it is refused at once with the same fault.
        Task<AppliedEntry>? behind;
        try
        {
            behind = node.TryWrite(RandomLog.Tick(1_800_000_000_002));
        }
        catch (EngineFaultedException)
        {
            behind = null;
        }

        await Assert.ThrowsAsync<EngineFaultedException>(() => failed.WaitAsync(Patience));
        if (behind is not null)
        {
            await Assert.ThrowsAsync<EngineFaultedException>(() => behind.WaitAsync(Patience));
        }

        Assert.Contains("journaler", node.Fault!.Message, StringComparison.Ordinal);
        Assert.Equal(1, await node.TryQuery(s => s.AppliedIndex)!.WaitAsync(Patience));
        Assert.Equal(1, journal.LastIndex);
    }

    [Fact]
    public async Task The_tick_clock_of_a_faulted_node_does_not_throw_into_the_timer()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        var journal = new MemoryJournal();
        using var node = EngineNode.Open(Options() with { RunClock = true, TimeProvider = time }, journal);
        time.Advance(TimeSpan.FromMilliseconds(100));
        await node.Progress.WaitForAsync(1).WaitAsync(Patience);

        journal.FailNextAppend();
        time.Advance(TimeSpan.FromMilliseconds(100));

        // The fault is recorded on the journaler thread; the next timer callbacks must neither throw nor publish.
        await node.TryQuery(s => s.AppliedIndex)!.WaitAsync(Patience);
        Assert.NotNull(node.Fault);
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(1, await node.TryQuery(s => s.TicksApplied)!.WaitAsync(Patience));
    }

    [Fact]
    public void A_tick_clock_whose_publish_throws_records_the_fault_and_keeps_ticking()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        var calls = 0;
        using var clock = new TickClock(time, TimeSpan.FromMilliseconds(100), _ => ++calls == 1 ? throw new IOException("disk full") : true);
        clock.Start();

        time.Advance(TimeSpan.FromMilliseconds(100));
        time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(1, clock.Faults);
        Assert.Contains("disk full", clock.LastFault!.Message, StringComparison.Ordinal);
        Assert.Equal(1, clock.TicksPublished);
    }

    private EngineOptions Options() => new()
    {
        DataDirectory = _directory.Path,
        RunClock = false,
        InputRingSize = 64,
        SnapshotOnShutdown = false,
    };
}
