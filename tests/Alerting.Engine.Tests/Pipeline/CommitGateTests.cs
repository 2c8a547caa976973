using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Engine.Tests.StateMachine;

namespace Alerting.Engine.Tests.Pipeline;

public sealed class CommitGateTests : IDisposable
{
    private readonly TempDirectory _directory = new("alerting-commit-gate");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_commit_index_only_moves_forward_and_wakes_waiters_at_their_index()
    {
        var gate = new CommitGate();
        var atThree = gate.WaitForCommitAsync(3).AsTask();
        gate.Publish(2);
        Assert.False(atThree.IsCompleted);
        gate.Publish(5);
        await atThree;
        gate.Publish(4);
        Assert.Equal(5, gate.CommitIndex);
        gate.WaitForCommit(5);
    }

    [Fact]
    public async Task A_failed_gate_fails_its_waiters_instead_of_leaving_them_hanging()
    {
        var gate = new CommitGate(commitIndex: 1);
        var waiting = gate.WaitForCommitAsync(2).AsTask();
        gate.Fail(new IOException("the replicator stopped"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => waiting);
        Assert.Contains("the replicator stopped", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => gate.WaitForCommit(2));
        gate.WaitForCommit(1);
    }

    [Fact]
    public async Task Entries_held_back_by_the_commit_gate_are_journaled_but_neither_applied_nor_acknowledged_until_it_moves()
    {
        var gate = new CommitGate();
        var journal = new MemoryJournal();
        using var node = EngineNode.Open(Options() with { CommitIndex = gate }, journal);
        var writes = Enumerable.Range(0, 3).Select(i => node.TryWrite(RandomLog.Tick(1_800_000_000_000 + i))!).ToList();

        // Deterministic point: all three are durable in the journal; the gate still says 0.
        await journal.WaitForDurableAsync(3);
        Assert.Equal(3, node.LastIndex);
        Assert.Equal(0, node.CommitIndex);
        Assert.Equal(0, node.Progress.AppliedIndex);
        Assert.All(writes, w => Assert.False(w.IsCompleted, "a write was acknowledged before its entry was committed"));

        gate.Publish(2);
        await node.Progress.WaitForAsync(2);
        Assert.Equal([1L, 2L], (await Task.WhenAll(writes.Take(2))).Select(a => a.Index));
        Assert.Equal(2, node.Progress.AppliedIndex);
        Assert.False(writes[2].IsCompleted, "entry 3 was acknowledged with the commit index at 2");

        gate.Publish(3);
        Assert.Equal(3, (await writes[2]).Index);
        var (applied, time) = await node.TryQuery(s => (s.AppliedIndex, s.LogicalTimeMs))!;
        Assert.Equal((3L, 1_800_000_000_002L), (applied, time));
    }

    [Fact]
    public async Task A_single_node_commits_at_its_durable_index_so_held_durability_holds_acknowledgements()
    {
        var journal = new MemoryJournal();
        journal.HoldDurability();
        var recorder = new RecordingStage();
        using var node = EngineNode.Open(Options() with { Stages = [recorder] }, journal);
        var write = node.TryWrite(RandomLog.Tick(1))!;
        var second = node.TryWrite(RandomLog.Tick(2))!;

        await recorder.SeenAsync(2);
        Assert.Equal(2, node.LastIndex);
        Assert.Equal(0, node.CommitIndex);
        Assert.Equal(0, node.Progress.AppliedIndex);
        Assert.False(write.IsCompleted);
        journal.ReleaseDurability();
        Assert.Equal([1L, 2L], (await Task.WhenAll(write, second)).Select(a => a.Index));
        Assert.Equal(2, node.CommitIndex);
    }

    [Fact]
    public async Task Stopping_a_node_whose_commit_gate_never_reached_its_writes_fails_them_instead_of_hanging()
    {
        var gate = new CommitGate();
        var journal = new MemoryJournal();
        var recorder = new RecordingStage();
        var node = EngineNode.Open(Options() with { CommitIndex = gate, Stages = [recorder], SnapshotOnShutdown = true }, journal);
        var writes = Enumerable.Range(0, 3).Select(i => node.TryWrite(RandomLog.Tick(1_800_000_000_000 + i))!).ToList();
        await recorder.SeenAsync(3);
        gate.Publish(1);
        await writes[0];

        var disposing = Task.Run(node.Dispose);
        await disposing.WaitAsync(TimeSpan.FromSeconds(20));

        foreach (var write in writes.Skip(1))
        {
            var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => write);
            Assert.Contains("before entry", error.Message, StringComparison.Ordinal);
        }

        Assert.Null(node.Fault);
        Assert.Equal(1, node.State.AppliedIndex);
    }

    private EngineOptions Options() => new()
    {
        DataDirectory = _directory.Path,
        RunClock = false,
        InputRingSize = 64,
        SnapshotOnShutdown = false,
    };
}
