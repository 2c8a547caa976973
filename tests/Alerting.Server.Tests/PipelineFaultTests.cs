using System.Net;
using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Grpc.Core;

namespace Alerting.Server.Tests;

/// <summary>
/// Issue 9, item 2, through the real server: a journal that fails its fsync (a full disk) leaves
/// the process up in a clear failed state instead of ending it.
/// </summary>
public sealed class PipelineFaultTests
{
    [Fact]
    public async Task A_failed_fsync_makes_writes_unavailable_with_the_reason_and_readyz_not_ready_while_reads_and_livez_still_answer()
    {
        var journal = new MemoryJournal();
        var options = TestServer.Options();
        var host = await ServerHost.StartAsync(options, engineOptions => EngineNode.Open(engineOptions, journal));
        await using var server = TestServer.Wrap(host);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var ack = await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 10), call);

        journal.FailNextSync();
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 20, batchId: 2), call));

        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("No space left", refused.Status.Detail, StringComparison.Ordinal);
        var again = await Assert.ThrowsAsync<RpcException>(async () => await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 30, batchId: 3), call));
        Assert.Equal(StatusCode.Unavailable, again.StatusCode);

        var status = await server.Cluster.StatusAsync(new StatusRequest(), call);
        Assert.True(status.AppliedIndex >= ack.LogIndex, $"reads still answer with the last applied state ({status.AppliedIndex})");
        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        using var live = await http.GetAsync(new Uri("/livez", UriKind.Relative), timeout.Token);
        using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.NotNull(host.Node.Fault);
    }

    [Fact]
    public async Task A_healthy_node_is_live_and_ready()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };

        Assert.Equal("Healthy", await http.GetStringAsync(new Uri("/livez", UriKind.Relative), timeout.Token));
        Assert.Equal("Healthy", await http.GetStringAsync(new Uri("/readyz", UriKind.Relative), timeout.Token));
    }
}
