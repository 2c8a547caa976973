using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Alerting.Engine.Tests.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.Pipeline;

/// <summary>Client sessions survive a restart on the real FasterLog journal: by journal replay and from a snapshot.</summary>
public sealed class ClientBatchRecoveryTests : IDisposable
{
    private readonly TempDirectory _data = new("alerting-client-recovery");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_retry_after_a_restart_is_answered_with_the_original_ack_by_replay_and_by_snapshot()
    {
        ClientAck first;
        ClientAck second;
        using (var node = EngineNode.Open(Options(snapshotOnShutdown: false)))
        {
            await WriteAsync(node, RandomLog.Tick(EngineHarness.Start));
            first = (await WriteAsync(node, Batch(1))).Result.Client!;
            second = (await WriteAsync(node, Batch(2))).Result.Client!;
        }

        ClientAck afterReplay;
        ClientAck olderAfterReplay;
        using (var node = EngineNode.Open(Options(snapshotOnShutdown: true)))
        {
            Assert.Equal((0L, 3L), (node.Recovery.SnapshotIndex, node.Recovery.EntriesReplayed));
            afterReplay = (await WriteAsync(node, Batch(2))).Result.Client!;
            olderAfterReplay = (await WriteAsync(node, Batch(1))).Result.Client!;
        }

        ClientAck afterSnapshot;
        long accepted;
        using (var node = EngineNode.Open(Options(snapshotOnShutdown: false)))
        {
            Assert.Equal((5L, 0L), (node.Recovery.SnapshotIndex, node.Recovery.EntriesReplayed));
            afterSnapshot = (await WriteAsync(node, Batch(2))).Result.Client!;
            accepted = await node.TryQuery(state => state.Counters.PointsAccepted)!;
        }

        Assert.False(second.Duplicate);
        Assert.Equal(3L, second.LogIndex);
        foreach (var retry in new[] { afterReplay, olderAfterReplay, afterSnapshot })
        {
            Assert.True(retry.Duplicate);
            Assert.Equal((second.Sequence, second.LogIndex, second.Term, second.Accepted), (retry.Sequence, retry.LogIndex, retry.Term, retry.Accepted));
        }

        Assert.Equal(2L, first.LogIndex);
        Assert.Equal(2 * 2, accepted);
    }

    private EngineOptions Options(bool snapshotOnShutdown) => new()
    {
        DataDirectory = _data.Path,
        RunClock = false,
        InputRingSize = 1024,
        SnapshotEveryEntries = 0,
        SnapshotOnShutdown = snapshotOnShutdown,
        JournalPageSizeBits = 21,
        JournalMemorySizeBits = 23,
        JournalSegmentSizeBits = 25,
    };

    private static LogEntry Batch(ulong sequence)
    {
        var series = new SeriesPoints { Metric = "cpu", Tags = { "host:a" } };
        series.UnixMs.Add(EngineHarness.Start - 1_000);
        series.Values.Add(1);
        series.UnixMs.Add(EngineHarness.Start);
        series.Values.Add(2);
        return new LogEntry { Points = new PointsBatch { Series = { series }, Client = new ClientBatch { ClientId = "recovering", Sequence = sequence, Parts = 1 } } };
    }

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
}
