using System.Text.Json;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Notifications;
using Microsoft.Extensions.Time.Testing;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.Notifications;

/// <summary>
/// <c>notify_by</c> end to end: a real server and a webhook receiver on loopback. A monitor grouped by
/// {cluster, host} with <c>notify_by: [cluster]</c> sends one notification per cluster when hosts alert, none
/// when a second host of an alerting cluster alerts or one of two recovers, and the resolve once the last
/// host of the cluster recovers, under the key's own transition ids.
/// </summary>
public sealed class NotifyByDeliveryTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_webhook_receives_one_notification_per_cluster_and_one_resolve_when_its_last_host_recovers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var options = TestServer.Options();
        options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = "hook", Type = "webhook", Url = new Uri(receiver.Url, "hook").ToString() });
        options.Notifications.Default.Add("hook");

        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time, options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Monitor
        {
            Name = "memory",
            Type = "metric",
            Query = "last(last_1m):avg:mem{*} by {cluster,host} > 90",
            Message = "{{cluster.name}} is {{state}}",
            Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, EvaluationIntervalMs = 10_000, NotifyBy = { "cluster" } },
        };
        var id = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call)).Monitor.Id;

        // Three hosts of two clusters alert: one notification per cluster.
        await Write(server, time, call, ("a", "a1", 95), ("a", "a2", 95), ("b", "b1", 95));
        var first = new[] { await receiver.NextAsync(timeout.Token), await receiver.NextAsync(timeout.Token) }.OrderBy(r => r.TransitionId, StringComparer.Ordinal).ToArray();
        Assert.Equal([$"{id}/cluster:a/1", $"{id}/cluster:b/1"], first.Select(r => r.TransitionId));
        Assert.Equal(["a is ALERT", "b is ALERT"], first.Select(r => Body(r).Message));
        Assert.All(first, r => Assert.Equal(("trigger", "OK", "ALERT"), (Body(r).Action, Body(r).Previous, Body(r).State)));

        // One host of cluster a recovers: a still alerts, nothing is sent. Then the last one: the resolve.
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
        await Write(server, time, call, ("a", "a1", 50), ("a", "a2", 95), ("b", "b1", 95));
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
        await Write(server, time, call, ("a", "a1", 50), ("a", "a2", 50), ("b", "b1", 95));
        var resolve = await receiver.NextAsync(timeout.Token);
        Assert.Equal($"{id}/cluster:a/2", resolve.TransitionId);
        Assert.Equal(("resolve", "ALERT", "OK", "a is OK"), (Body(resolve).Action, Body(resolve).Previous, Body(resolve).State, Body(resolve).Message));

        // Every host's own transition is in the history, none of them was sent.
        Assert.Equal(3, receiver.All.Count);
        Assert.DoesNotContain(receiver.All, r => r.TransitionId.Contains("host:", StringComparison.Ordinal));
    }

    private static (string Action, string Previous, string State, string Message) Body(Received received)
    {
        using var body = JsonDocument.Parse(received.Body);
        var transition = body.RootElement.GetProperty("transition");
        return (
            body.RootElement.GetProperty("action").GetString()!,
            transition.GetProperty("previous").GetString()!,
            transition.GetProperty("state").GetString()!,
            body.RootElement.GetProperty("message").GetString()!);
    }

    private static async Task Write(TestServer server, FakeTimeProvider time, Grpc.Core.CallOptions call, params (string Cluster, string Host, double Value)[] points)
    {
        var request = new WriteRequest();
        foreach (var (cluster, host, value) in points)
        {
            request.Points.Add(new Point { Metric = "mem", Tags = { "cluster:" + cluster, "host:" + host }, UnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(), Value = value });
        }

        var ack = await server.Ingest.WriteBatchAsync(request, call);
        Assert.Equal(points.Length, ack.Accepted);
    }
}
