using Alerting.Protocol.V1;
using Grpc.Core;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests;

/// <summary>Composite monitors through the real server: gRPC on loopback, the journal on disk, the subscription stream.</summary>
public sealed class CompositeMonitorApiTests
{
    [Fact]
    public async Task A_composite_alerts_in_the_entry_its_members_alert_and_deleting_a_member_is_failed_precondition()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var cpu = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, call);
        var loadMonitor = Samples.CpuMonitor("load high");
        loadMonitor.Query = "avg(last_1m):avg:load{*} by {host} > 5";
        var load = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = loadMonitor }, call);
        var composite = await server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = Composite("busy host", $"{cpu.Monitor.Id} && {load.Monitor.Id}") }, call);

        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = composite.LogIndex }, call);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ack = await server.Ingest.WriteBatchAsync(
            new WriteRequest
            {
                BatchId = 1,
                Points =
                {
                    new Point { Metric = "cpu", Tags = { "host:a" }, UnixMs = now, Value = 95 },
                    new Point { Metric = "load", Tags = { "host:a" }, UnixMs = now, Value = 9 },
                    new Point { Metric = "cpu", Tags = { "host:b" }, UnixMs = now, Value = 95 },
                },
            },
            call);

        var received = new List<TransitionEvent>();
        while (!received.Any(e => e.MonitorId == composite.Monitor.Id) && await subscription.ResponseStream.MoveNext(timeout.Token))
        {
            received.Add(subscription.ResponseStream.Current);
        }

        var alert = received.Single(e => e.MonitorId == composite.Monitor.Id);
        Assert.Equal(("busy host", "host:a", "OK", "ALERT", ack.LogIndex), (alert.MonitorName, alert.GroupKey, alert.PreviousState, alert.NewState, alert.LogIndex));

        var refused = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.DeleteAsync(new DeleteMonitorRequest { Id = cpu.Monitor.Id }, call).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains($"used by composite monitor \"{composite.Monitor.Id}\"", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(cpu.Monitor.Id, (await server.Monitors.GetAsync(new GetMonitorRequest { Id = cpu.Monitor.Id }, call)).Monitor.Id);

        await server.Monitors.DeleteAsync(new DeleteMonitorRequest { Id = composite.Monitor.Id }, call);
        await server.Monitors.DeleteAsync(new DeleteMonitorRequest { Id = cpu.Monitor.Id }, call);
    }

    [Fact]
    public async Task A_malformed_expression_is_invalid_argument_with_its_column_and_an_unknown_member_is_failed_precondition()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);

        var malformed = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = Composite("c", "1 && (2 ||") }, call).ResponseAsync);
        var validation = await server.Monitors.ValidateAsync(new ValidateMonitorRequest { Monitor = Composite("c", "1 & 2") }, call);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = Composite("c", "404") }, call).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.StartsWith("monitor.query: expected monitor id", malformed.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(("query", 3), (validation.Errors.Single().Field, validation.Errors.Single().Column));
        Assert.Equal(StatusCode.FailedPrecondition, unknown.StatusCode);
        Assert.Equal("query: member \"404\" is not a monitor", unknown.Status.Detail);
    }

    private static Monitor Composite(string name, string query) => new()
    {
        Name = name,
        Type = "composite",
        Query = query,
        Message = "{{#is_alert}}busy{{/is_alert}}",
        Options = new Protocol.Log.MonitorOptions(),
    };
}
