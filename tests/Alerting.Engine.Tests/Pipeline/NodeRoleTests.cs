using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Engine.Tests.StateMachine;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Engine.Tests.Pipeline;

public sealed class NodeRoleTests : IDisposable
{
    private readonly TempDirectory _primary = new("alerting-role-primary");
    private readonly TempDirectory _standby = new("alerting-role-standby");

    public void Dispose()
    {
        _primary.Dispose();
        _standby.Dispose();
    }

    [Fact]
    public async Task Only_the_primary_publishes_ticks()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        using var primary = EngineNode.Open(Options(_primary.Path) with { RunClock = true, TimeProvider = time }, new MemoryJournal());
        using var standby = EngineNode.Open(Options(_standby.Path) with { RunClock = true, TimeProvider = time, Role = NodeRole.Standby }, new MemoryJournal());

        // The fake clock fires timers inside Advance, so every tick is published when it returns;
        // a read runs after everything published before it.
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(5, await primary.TryQuery(s => s.TicksApplied)!);
        Assert.Equal((0L, 0L), await standby.TryQuery(s => (s.TicksApplied, s.AppliedIndex))!);
        Assert.Equal(0, standby.LastIndex);
    }

    [Fact]
    public async Task A_standby_refuses_client_writes_saying_no_primary_is_known_and_still_answers_reads()
    {
        using var standby = EngineNode.Open(Options(_standby.Path) with { Role = NodeRole.Standby }, new MemoryJournal());

        var refused = Assert.Throws<NotPrimaryException>(() => { _ = standby.TryWrite(RandomLog.Tick(1)); });
        Assert.Contains("standby", refused.Message, StringComparison.Ordinal);
        Assert.Contains("no primary is known", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, await standby.TryQuery(s => s.AppliedIndex)!);
        Assert.Equal(NodeRole.Standby, standby.Role);
    }

    [Fact]
    public async Task A_standby_fed_the_primarys_journaled_entries_lands_them_at_the_same_indexes_and_reaches_the_same_state()
    {
        var log = RandomLog.Generate(seed: 19, count: 400);
        var shipper = new RecordingStage("shipper");
        var primary = EngineNode.Open(Options(_primary.Path) with { Stages = [shipper], Term = 3 }, new MemoryJournal());
        await Task.WhenAll(log.Select(e => primary.TryWrite(e)!));
        primary.Dispose();

        var standbyJournal = new MemoryJournal();
        var standby = EngineNode.Open(Options(_standby.Path) with { Role = NodeRole.Standby }, standbyJournal);
        var acks = new List<Task<AppliedEntry>>();
        foreach (var (index, term, payload, _) in shipper.Seen)
        {
            acks.Add(standby.TryAppendReplicated(index, term, payload)!);
        }

        var applied = await Task.WhenAll(acks);
        Assert.Equal(shipper.Seen.Select(s => (s.Index, s.Term)), applied.Select(a => (a.Index, a.Term)));
        Assert.True(standbyJournal.TryGetTerm(400, out var lastTerm));
        Assert.Equal(3UL, lastTerm);
        standby.Dispose();

        Assert.Equal(Snapshot.Bytes(primary.State), Snapshot.Bytes(standby.State));
    }

    [Fact]
    public void A_witness_runs_no_engine()
    {
        var journal = new MemoryJournal();
        var error = Assert.Throws<ArgumentException>(() => EngineNode.Open(Options(_standby.Path) with { Role = NodeRole.Witness }, journal));
        Assert.Contains("witness", error.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => journal.Append([1], 1));
    }

    private static EngineOptions Options(string directory) => new()
    {
        DataDirectory = directory,
        RunClock = false,
        InputRingSize = 1024,
        SnapshotOnShutdown = false,
    };
}
