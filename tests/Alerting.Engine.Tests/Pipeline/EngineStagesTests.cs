using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Engine.Tests.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.Pipeline;

/// <summary>The composable stage list: consumers beside the journaler, with the state machine gated on all of them.</summary>
public sealed class EngineStagesTests : IDisposable
{
    private readonly TempDirectory _directory = new("alerting-stages");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_stage_beside_the_journaler_sees_every_entry_with_its_index_and_term_before_it_is_applied()
    {
        var log = RandomLog.Generate(seed: 31, count: 300);
        var recorder = new RecordingStage();
        var second = new RecordingStage("second-recorder");
        EngineNode? opened = null;
        recorder.AppliedIndex = () => opened!.Progress.AppliedIndex;
        second.AppliedIndex = () => opened!.Progress.AppliedIndex;
        using var node = opened = EngineNode.Open(Options() with { Stages = [recorder, second], Term = 7 }, new MemoryJournal());

        var acks = await Task.WhenAll(log.Select(e => node.TryWrite(e)!));

        foreach (var stage in new[] { recorder, second })
        {
            var seen = stage.Seen;
            Assert.Equal(acks.Select(a => a.Index), seen.Select(s => s.Index));
            Assert.All(seen, s => Assert.Equal(7UL, s.Term));
            Assert.All(seen, s => Assert.True(s.AppliedWhenSeen < s.Index, $"entry {s.Index} was applied (applied index {s.AppliedWhenSeen}) before a stage beside the journaler saw it"));
            Assert.Equal(log, seen.Select(s => LogEntry.Parser.ParseFrom(s.Payload)));
            Assert.True(stage.BatchEnds > 0);
        }
    }

    [Fact]
    public async Task A_stage_can_drive_the_commit_index_as_a_replicator_does()
    {
        // A stand-in replicator: it commits each entry once it has seen it (a real one once a quorum holds it).
        var gate = new CommitGate();
        var replicator = new RecordingStage("replicator") { OnSeen = gate.Publish };
        using var node = EngineNode.Open(Options() with { Stages = [replicator], CommitIndex = gate }, new MemoryJournal());

        var acks = await Task.WhenAll(RandomLog.Generate(seed: 3, count: 50).Select(e => node.TryWrite(e)!));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), acks.Select(a => a.Index));
        Assert.Equal(50, gate.CommitIndex);
        Assert.Equal(50, node.CommitIndex);
    }

    [Fact]
    public async Task Reads_pass_the_stages_without_being_handed_to_them()
    {
        var recorder = new RecordingStage();
        using var node = EngineNode.Open(Options() with { Stages = [recorder] }, new MemoryJournal());
        await node.TryWrite(RandomLog.Tick(5))!;
        Assert.Equal(1, await node.TryQuery(s => s.AppliedIndex)!);
        await node.TryWrite(RandomLog.Tick(6))!;

        Assert.Equal([1L, 2L], recorder.Seen.Select(s => s.Index));
    }

    private EngineOptions Options() => new()
    {
        DataDirectory = _directory.Path,
        RunClock = false,
        InputRingSize = 1024,
        SnapshotOnShutdown = false,
    };
}
