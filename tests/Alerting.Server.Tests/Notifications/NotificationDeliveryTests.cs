using System.Text.Json;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Alerting.Server.Notifications;

namespace Alerting.Server.Tests.Notifications;

public sealed class NotificationDeliveryTests
{
    [Fact]
    public async Task Mentioned_webhook_receives_the_transition_once_and_the_ledger_records_it_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(WithEndpoints(TestServer.Options(), receiver, defaults: []));
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = Samples.CpuMonitor();
        monitor.Message = "cpu is high @hook";
        var created = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call);

        var ack = await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 95), call);

        var received = await receiver.NextAsync(timeout.Token);
        Assert.Equal("/hook", received.Path);
        var monitorId = created.Monitor.Id;
        Assert.Equal($"{monitorId}/host:a/1", received.TransitionId);
        using var body = JsonDocument.Parse(received.Body);
        var transition = body.RootElement.GetProperty("transition");
        Assert.Equal("trigger", body.RootElement.GetProperty("action").GetString());
        Assert.Equal("cpu high", body.RootElement.GetProperty("monitor").GetProperty("name").GetString());
        Assert.Equal("OK", transition.GetProperty("previous").GetString());
        Assert.Equal("ALERT", transition.GetProperty("state").GetString());
        Assert.Equal(ack.LogIndex, transition.GetProperty("log_index").GetUInt64());
        Assert.Equal(95, transition.GetProperty("value").GetDouble());
        Assert.Equal("cpu is high @hook", body.RootElement.GetProperty("message").GetString());

        Assert.Equal(1ul, await WaitForFinished(server.Host, "hook", monitorId, "host:a", 1, timeout.Token));
        Assert.Equal(0ul, await server.Host.Node.TryQuery(s => s.Deliveries.Finished("fallback", monitorId, "host:a"))!);
        Assert.Single(receiver.All);
    }

    [Fact]
    public async Task Event_undelivered_when_the_server_stopped_is_resent_once_after_the_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Status = 503;
        var options = WithEndpoints(TestServer.Options(), receiver, defaults: []);
        string monitorId;
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        await using (var first = await TestServer.StartAsync(options, ownsDirectory: false))
        {
            var call = TestServer.Call(timeout.Token);
            var monitor = Samples.CpuMonitor();
            monitor.Message = "cpu is high @hook";
            monitorId = (await first.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call)).Monitor.Id;
            await first.Ingest.WriteBatchAsync(Samples.Cpu("a", 95), call);

            var refused = await receiver.NextAsync(timeout.Token);
            Assert.Equal(503, refused.Answered);
            Assert.Equal($"{monitorId}/host:a/1", refused.TransitionId);
        }

        receiver.Status = 200;
        var sentBefore = receiver.All.Count;
        await using var second = await TestServer.StartAsync(WithEndpoints(TestServer.Options(options.DataDirectory), receiver, defaults: []));
        Received resent;
        do
        {
            resent = await receiver.NextAsync(timeout.Token);
        }
        while (resent.Answered != 200);

        Assert.Equal($"{monitorId}/host:a/1", resent.TransitionId);
        Assert.Equal(1ul, await WaitForFinished(second.Host, "hook", monitorId, "host:a", 1, timeout.Token));
        Assert.Single(receiver.All.Skip(sentBefore));
    }

    [Fact]
    public async Task Default_endpoint_receives_events_of_monitors_that_mention_no_endpoint()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(WithEndpoints(TestServer.Options(), receiver, defaults: ["fallback"]));
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var quiet = Samples.CpuMonitor("quiet");
        quiet.Message = "cpu is high, mail ops@example.com";
        var quietId = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = quiet }, call)).Monitor.Id;

        await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 95), call);

        var received = await receiver.NextAsync(timeout.Token);
        Assert.Equal("/fallback", received.Path);
        Assert.Equal($"{quietId}/host:a/1", received.TransitionId);
        Assert.Equal(1ul, await WaitForFinished(server.Host, "fallback", quietId, "host:a", 1, timeout.Token));
        Assert.Equal(0ul, await server.Host.Node.TryQuery(s => s.Deliveries.Finished("hook", quietId, "host:a"))!);
        Assert.Single(receiver.All);
    }

    [Fact]
    public async Task Mentions_inside_conditional_blocks_route_each_transition_by_its_rendered_message()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(WithEndpoints(TestServer.Options(), receiver, defaults: []));
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = Samples.CpuMonitor();
        monitor.Message = "cpu {{#is_alert}}@hook{{/is_alert}}{{#is_recovery}}@fallback{{/is_recovery}}";
        var monitorId = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call)).Monitor.Id;

        await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 95, batchId: 1), call);
        var alert = await receiver.NextAsync(timeout.Token);
        await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 10, batchId: 2), call);
        var recovery = await receiver.NextAsync(timeout.Token);

        Assert.Equal(("/hook", $"{monitorId}/host:a/1"), (alert.Path, alert.TransitionId));
        Assert.Equal(("/fallback", $"{monitorId}/host:a/2"), (recovery.Path, recovery.TransitionId));
        using var body = JsonDocument.Parse(recovery.Body);
        Assert.Equal("resolve", body.RootElement.GetProperty("action").GetString());
        Assert.Equal("cpu @fallback", body.RootElement.GetProperty("message").GetString());
        Assert.Equal(2ul, await WaitForFinished(server.Host, "fallback", monitorId, "host:a", 2, timeout.Token));
        Assert.Equal(1ul, await WaitForFinished(server.Host, "hook", monitorId, "host:a", 1, timeout.Token));
    }

    /// <summary>Two webhook endpoints on the receiver: <c>hook</c> at /hook and <c>fallback</c> at /fallback.</summary>
    private static ServerOptions WithEndpoints(ServerOptions options, WebhookReceiver receiver, string[] defaults)
    {
        foreach (var name in new[] { "hook", "fallback" })
        {
            options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = name, Type = "webhook", Url = new Uri(receiver.Url, name).ToString() });
        }

        options.Notifications.Default.AddRange(defaults);
        return options;
    }

    /// <summary>Waits, applied entry by applied entry, until the ledger shows transition <paramref name="atLeast"/> of the key finished at the endpoint.</summary>
    private static async Task<ulong> WaitForFinished(ServerHost host, string endpoint, string monitorId, string groupKey, ulong atLeast, CancellationToken cancellation)
    {
        var node = host.Node;
        while (true)
        {
            var applied = node.Progress.AppliedIndex;
            var finished = await node.TryQuery(s => s.Deliveries.Finished(endpoint, monitorId, groupKey))!;
            if (finished >= atLeast)
            {
                return finished;
            }

            await node.Progress.WaitForAsync(applied + 1, cancellation);
        }
    }
}
