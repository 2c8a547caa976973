using Alerting.Engine.Pipeline;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Grpc.Core;

namespace Alerting.Server.Tests;

/// <summary>The node's role as the API shows it: Cluster.Status, writes, notification delivery.</summary>
public sealed class ClusterRoleTests
{
    [Fact]
    public async Task A_primary_reports_its_role_and_where_its_log_is_committed_durable_and_applied()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var ack = await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 10), call);

        var status = await server.Cluster.StatusAsync(new StatusRequest(), call);

        Assert.Equal("primary", status.Role);
        Assert.Equal(1UL, status.Term);
        Assert.True(status.DurableIndex >= ack.LogIndex, $"durable {status.DurableIndex} covers the acked {ack.LogIndex}");
        Assert.True(status.CommitIndex >= ack.LogIndex, $"commit {status.CommitIndex} covers the acked {ack.LogIndex}");
        Assert.True(status.AppliedIndex >= ack.LogIndex, $"applied {status.AppliedIndex} covers the acked {ack.LogIndex}");
        Assert.True(status.AppliedIndex <= status.CommitIndex, "nothing is applied beyond the commit index");
        Assert.True(server.Host.SendsNotifications);
    }

    [Fact]
    public async Task A_standby_reports_its_role_refuses_writes_as_unavailable_and_sends_no_notifications()
    {
        var options = TestServer.Options();
        options.Role = NodeRole.Standby;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);

        var status = await server.Cluster.StatusAsync(new StatusRequest(), call);
        Assert.Equal("standby", status.Role);
        Assert.Equal((0UL, 0UL, 0UL, 0UL), (status.LogIndex, status.DurableIndex, status.CommitIndex, status.AppliedIndex));

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 10), call));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("no primary is known", refused.Status.Detail, StringComparison.Ordinal);
        Assert.False(server.Host.SendsNotifications);
    }

    [Fact]
    public void The_role_is_read_from_the_command_line_and_a_witness_is_refused_without_a_cluster()
    {
        var standby = ServerConfiguration.Load(["--role", "standby"], new Dictionary<string, string?>());
        Assert.Equal(NodeRole.Standby, standby.Role);

        var witness = ServerConfiguration.Load(["--role", "witness"], new Dictionary<string, string?>());
        var error = Assert.Throws<ServerOptionsException>(() => witness.Validate());
        Assert.Contains("witness", error.Message, StringComparison.Ordinal);
    }
}
