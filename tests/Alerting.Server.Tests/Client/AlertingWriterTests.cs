using System.Net;
using System.Net.Sockets;
using Alerting.Client;
using Alerting.Engine.Pipeline;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Alerting.Server.Hosting;
using Grpc.Core;

namespace Alerting.Server.Tests.Client;

/// <summary>The .NET client against real servers over loopback: idempotent retries, redirects, what is never retried, the deadline.</summary>
public sealed class AlertingWriterTests
{
    [Fact]
    public async Task A_write_whose_connection_drops_before_the_ack_is_retried_and_applied_once()
    {
        var hold = new CommitHold();
        var host = await ServerHost.StartAsync(TestServer.Options(), options => EngineNode.Open(options with { CommitIndex = hold.Gate, Stages = [hold] }));
        await using var server = TestServer.Wrap(host);
        await using var proxy = new LoopbackProxy(server.Host.GrpcAddress);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var writer = new AlertingWriter(new AlertingWriterOptions
        {
            // The first node is the proxy, the second the same server reached directly.
            Nodes = [proxy.Address, server.Host.GrpcAddress],
            ClientId = "dedup-test",
            Jitter = new Random(8),
            Deadline = TestServer.Patience,
        });

        var write = writer.WriteAsync(ThreePoints(), timeout.Token);
        var firstIndex = await hold.ClientEntry(1).WaitAsync(timeout.Token);
        proxy.DropConnections();
        var retryIndex = await hold.ClientEntry(2).WaitAsync(timeout.Token);
        hold.Release();
        var ack = await write;

        var (accepted, duplicates) = await server.Host.Node.TryQuery(state => (state.Counters.PointsAccepted, state.Clients.Duplicates))!;
        Assert.True(retryIndex > firstIndex, $"the retry is a second entry ({retryIndex}) after the first ({firstIndex})");
        Assert.Equal((ulong)firstIndex, ack.LogIndex);
        Assert.Equal(3, ack.Accepted);
        Assert.Equal(3, accepted);
        Assert.Equal(1, duplicates);
        Assert.Equal(2, writer.Attempts);
        Assert.Equal(server.Host.GrpcAddress, writer.CurrentNode);
    }

    [Fact]
    public async Task The_same_client_batch_sent_twice_gets_the_same_ack_even_after_a_restart()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var batch = ThreePoints();
        batch.ClientId = "restart-test";
        batch.Sequence = 4;
        WriteAck first;
        WriteAck again;
        await using (var server = await TestServer.StartAsync(TestServer.Options(dataDirectory), ownsDirectory: false))
        {
            first = await server.Ingest.WriteBatchAsync(batch, call);
            again = await server.Ingest.WriteBatchAsync(batch, call);
        }

        await using var restarted = await TestServer.StartAsync(TestServer.Options(dataDirectory));
        var afterRestart = await restarted.Ingest.WriteBatchAsync(batch, call);
        var accepted = await restarted.Host.Node.TryQuery(state => state.Counters.PointsAccepted)!;

        Assert.Equal(3, first.Accepted);
        Assert.Equal(first, again);
        Assert.Equal(first, afterRestart);
        Assert.Equal(3, accepted);
    }

    [Fact]
    public async Task A_standby_that_names_the_primary_redirects_the_writer_there()
    {
        await using var primary = await TestServer.StartAsync();
        var standbyOptions = TestServer.Options();
        standbyOptions.Role = NodeRole.Standby;
        await using var standby = await TestServer.StartAsync(standbyOptions);
        standby.Host.Node.PrimaryAddress = primary.Host.GrpcAddress.ToString();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var writer = new AlertingWriter(new AlertingWriterOptions { Nodes = [standby.Host.GrpcAddress], Jitter = new Random(1) });

        var ack = await writer.WriteAsync(ThreePoints(), timeout.Token);
        var status = await standby.Cluster.StatusAsync(new StatusRequest(), TestServer.Call(timeout.Token));

        Assert.Equal(3, ack.Accepted);
        Assert.Equal(1, writer.Redirects);
        Assert.Equal(2, writer.Attempts);
        Assert.Equal(primary.Host.GrpcAddress, writer.CurrentNode);
        Assert.Equal(primary.Host.GrpcAddress.ToString(), status.PrimaryAddress);
    }

    [Fact]
    public async Task An_invalid_batch_fails_at_once_without_a_retry()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var writer = new AlertingWriter(new AlertingWriterOptions { Nodes = [server.Host.GrpcAddress], Jitter = new Random(2) });
        var invalid = new WriteRequest { Points = { new Point { Metric = "cpu", Tags = { "no-colon" }, UnixMs = 1, Value = 1 } } };

        var refused = await Assert.ThrowsAsync<RpcException>(() => writer.WriteAsync(invalid, timeout.Token));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(1, writer.Attempts);
        Assert.Equal(2UL, writer.NextSequence);
    }

    [Fact]
    public async Task A_write_no_node_acknowledges_fails_deadline_exceeded_after_retrying_every_node()
    {
        // Two standbys that know no primary: every attempt is UNAVAILABLE.
        var options = TestServer.Options();
        options.Role = NodeRole.Standby;
        await using var first = await TestServer.StartAsync(options);
        var secondOptions = TestServer.Options();
        secondOptions.Role = NodeRole.Standby;
        await using var second = await TestServer.StartAsync(secondOptions);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var writer = new AlertingWriter(new AlertingWriterOptions
        {
            Nodes = [first.Host.GrpcAddress, second.Host.GrpcAddress],
            // Long enough for two attempts on a loaded machine (each opens an HTTP/2 connection).
            Deadline = TimeSpan.FromSeconds(10),
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            Jitter = new Random(3),
        });

        var failed = await Assert.ThrowsAsync<RpcException>(() => writer.WriteAsync(ThreePoints(), timeout.Token));

        Assert.Equal(StatusCode.DeadlineExceeded, failed.StatusCode);
        Assert.Contains("may or may not have been applied", failed.Status.Detail, StringComparison.Ordinal);
        Assert.True(writer.Attempts >= 2, $"only {writer.Attempts} attempt(s) before the deadline");
    }

    [Fact]
    public async Task A_node_that_takes_the_connection_but_never_answers_is_left_after_the_attempt_timeout()
    {
        await using var server = await TestServer.StartAsync();
        // A stopped process: the kernel accepts the connection, nothing answers.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        // The first write to a fresh server (JIT, first fsync) can outlast a short attempt timeout on a
        // loaded machine, which would make the writer leave the healthy node too; warm it up first.
        using (var warm = new AlertingWriter(new AlertingWriterOptions { Nodes = [server.Host.GrpcAddress], Jitter = new Random(4) }))
        {
            await warm.WriteAsync(ThreePoints(), timeout.Token);
        }

        using var writer = new AlertingWriter(new AlertingWriterOptions
        {
            Nodes = [new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}"), server.Host.GrpcAddress],
            // Long enough for the healthy node's new connection on a loaded machine; the silent one never answers.
            AttemptTimeout = TimeSpan.FromSeconds(5),
            Jitter = new Random(5),
        });

        var ack = await writer.WriteAsync(ThreePoints(), timeout.Token);

        Assert.Equal(3, ack.Accepted);
        Assert.Equal(2, writer.Attempts);
        Assert.Equal(server.Host.GrpcAddress, writer.CurrentNode);
    }

    [Fact]
    public void The_client_reads_the_trailers_the_server_writes()
    {
        Assert.Equal(EngineCalls.PrimaryTrailer, WriteRetry.PrimaryTrailer);
        Assert.Equal(EngineCalls.TooLargeTrailer, WriteRetry.TooLargeTrailer);
    }

    private static WriteRequest ThreePoints()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var request = new WriteRequest { BatchId = 9 };
        for (var i = 0; i < 3; i++)
        {
            request.Points.Add(new Point { Metric = "cpu", Tags = { "host:h" + i }, UnixMs = now, Value = i });
        }

        return request;
    }
}
