using Alerting.Engine.Pipeline;
using Alerting.Protocol.Log;
using Alerting.Server.Replication;
using Google.Protobuf;
using Grpc.Core;
using Wire = Alerting.Protocol.Replication;

namespace Alerting.Server.Tests.Replication;

/// <summary>
/// The snapshot transfer's two ends on real data folders (FasterLog journals, snapshot files): the
/// primary's chunks, streamed and received, verified and installed, give the replica the primary's
/// state; a damaged, stale or cut stream leaves the replica's data as it was.
/// </summary>
public sealed class SnapshotTransferTests : IDisposable
{
    private const long Term = 1;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "alerting-transfer-" + Guid.NewGuid().ToString("N"));

    private string Primary => Path.Combine(_root, "primary");

    private string Replica => Path.Combine(_root, "replica");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task A_streamed_snapshot_is_installed_at_the_next_start_and_the_replica_holds_the_primarys_state()
    {
        var (outgoing, primaryState) = await PreparePrimaryAsync(entries: 50);
        await WriteReplicaAsync(entries: 10);
        var chunks = new ChunkStream();
        await SnapshotTransfer.SendAsync(outgoing, Term, () => true, chunks, CancellationToken.None, chunkBytes: 64);
        Assert.True(chunks.Chunks.Count > 3, $"the file went in {chunks.Chunks.Count} chunks");

        var received = await SnapshotTransfer.ReceiveAsync(chunks, Replica, Options(Replica), Term, minIndex: 11, CancellationToken.None);
        Assert.Equal(new Alerting.Replication.SnapshotRef(50, (long)outgoing.Term), received);
        SnapshotTransfer.MarkReady(Replica);

        var hardStateFile = new HardStateFile(Replica);
        var installed = SnapshotTransfer.InstallStaged(Replica, Options(Replica), hardStateFile, TimeProvider.System, _ => { });
        Assert.Equal(received, installed);
        Assert.Equal(50, hardStateFile.Read().Commit);
        Assert.False(Directory.Exists(Path.Combine(Replica, SnapshotTransfer.InstallDirectoryName)));
        Assert.Single(Directory.GetDirectories(Replica, "discarded-*-before-snapshot"));

        using var node = EngineNode.Open(Options(Replica));
        Assert.Equal(50, node.Recovery.SnapshotIndex);
        Assert.Equal(0, node.Recovery.EntriesReplayed);
        Assert.Equal(50, node.JournalFirstIndex);
        Assert.Equal(50, node.LastIndex);
        var state = await (node.TryCaptureState() ?? throw new InvalidOperationException("ring full"));
        Assert.Equal(primaryState.Index, state.Index);
        Assert.Equal(primaryState.Body, state.Body);
    }

    [Theory]
    [InlineData("flipped byte")]
    [InlineData("stale term")]
    [InlineData("cut short")]
    [InlineData("below the commit")]
    public async Task A_damaged_stale_or_cut_stream_is_refused_and_the_replica_keeps_its_data(string fault)
    {
        var (outgoing, _) = await PreparePrimaryAsync(entries: 50);
        await WriteReplicaAsync(entries: 10);
        var chunks = new ChunkStream();
        await SnapshotTransfer.SendAsync(outgoing, Term, () => true, chunks, CancellationToken.None, chunkBytes: 64);
        var offerTerm = Term;
        var minIndex = 11L;
        switch (fault)
        {
            case "flipped byte":
                var bytes = chunks.Chunks[2].Data.ToByteArray();
                bytes[5] ^= 0x40;
                chunks.Chunks[2].Data = ByteString.CopyFrom(bytes);
                break;
            case "stale term":
                offerTerm = Term + 1;
                break;
            case "cut short":
                chunks.Chunks.RemoveRange(chunks.Chunks.Count - 2, 2);
                break;
            default:
                minIndex = 51;
                break;
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => SnapshotTransfer.ReceiveAsync(chunks, Replica, Options(Replica), offerTerm, minIndex, CancellationToken.None));
        Assert.Null(SnapshotTransfer.InstallStaged(Replica, Options(Replica), new HardStateFile(Replica), TimeProvider.System, _ => { }));
        Assert.False(Directory.Exists(Path.Combine(Replica, SnapshotTransfer.StagingDirectoryName)));

        using var node = EngineNode.Open(Options(Replica));
        Assert.Equal(1, node.JournalFirstIndex);
        Assert.Equal(10, node.LastIndex);
        Assert.Equal(10, node.Progress.AppliedIndex);
    }

    [Fact]
    public async Task The_primary_reuses_a_captured_snapshot_that_is_still_recent_enough_and_captures_again_otherwise()
    {
        using var node = EngineNode.Open(Options(Primary));
        await WriteAsync(node, 1, 20);
        var first = await SnapshotTransfer.PrepareAsync(node, Primary, minIndex: 5, logStart: 0, CancellationToken.None);
        Assert.Equal(20, first.Index);
        await WriteAsync(node, 21, 30);
        var reused = await SnapshotTransfer.PrepareAsync(node, Primary, minIndex: 15, logStart: 10, CancellationToken.None);
        Assert.Equal(first, reused with { LastEntry = first.LastEntry });
        var fresh = await SnapshotTransfer.PrepareAsync(node, Primary, minIndex: 21, logStart: 10, CancellationToken.None);
        Assert.Equal(30, fresh.Index);
        Assert.Equal(EntryFor(30).ToByteArray(), fresh.LastEntry);
    }

    private static EngineOptions Options(string directory) => new() { DataDirectory = directory, RunClock = false, InputRingSize = 1024, SnapshotEveryEntries = 0, SnapshotOnShutdown = false };

    private static LogEntry EntryFor(int i) => new() { MonitorDeleted = new MonitorDeleted { MonitorId = $"m-{i}" } };

    private static async Task WriteAsync(EngineNode node, int from, int to)
    {
        for (var i = from; i <= to; i++)
        {
            await (node.TryWrite(EntryFor(i)) ?? throw new InvalidOperationException("ring full"));
        }
    }

    private async Task<(SnapshotTransfer.Outgoing Outgoing, StateImage State)> PreparePrimaryAsync(int entries)
    {
        var node = EngineNode.Open(Options(Primary));
        try
        {
            await WriteAsync(node, 1, entries);
            var outgoing = await SnapshotTransfer.PrepareAsync(node, Primary, minIndex: 1, logStart: 0, CancellationToken.None);
            var state = await (node.TryCaptureState() ?? throw new InvalidOperationException("ring full"));
            Assert.Equal(entries, outgoing.Index);
            return (outgoing, state);
        }
        finally
        {
            node.Dispose();
        }
    }

    private async Task WriteReplicaAsync(int entries)
    {
        using var node = EngineNode.Open(Options(Replica));
        await WriteAsync(node, 1000, 1000 + entries - 1);
    }

    /// <summary>The chunks as they went over the stream, read back in order.</summary>
    private sealed class ChunkStream : IServerStreamWriter<Wire.SnapshotChunk>, IAsyncStreamReader<Wire.SnapshotChunk>
    {
        private int _next;

        public List<Wire.SnapshotChunk> Chunks { get; } = [];

        public WriteOptions? WriteOptions { get; set; }

        public Wire.SnapshotChunk Current { get; private set; } = null!;

        public Task WriteAsync(Wire.SnapshotChunk message)
        {
            Chunks.Add(message.Clone());
            return Task.CompletedTask;
        }

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (_next >= Chunks.Count)
            {
                return Task.FromResult(false);
            }

            Current = Chunks[_next++];
            return Task.FromResult(true);
        }
    }
}
