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

    /// <summary>
    /// A composite over disk (by device and host) and cpu (by host) with <c>notify_by: [host]</c>: one notification when
    /// a host's devices alert with its cpu, none when one of them recovers, the resolve with the last one, under the
    /// key's transition ids (the members notify on their own, as without the composite).
    /// </summary>
    [Fact]
    public async Task A_composite_notifying_by_host_sends_one_trigger_per_host_and_one_resolve_when_its_last_device_recovers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var options = TestServer.Options();
        options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = "hook", Type = "webhook", Url = new Uri(receiver.Url, "hook").ToString() });
        options.Notifications.Default.Add("hook");

        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time, options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        Monitor Member(string name, string query) => new()
        {
            Name = name,
            Type = "metric",
            Query = query,
            Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, EvaluationIntervalMs = 10_000 },
        };
        var disk = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Member("disk", "last(last_1m):avg:disk{*} by {device,host} > 90") }, call)).Monitor.Id;
        var cpu = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Member("cpu", "last(last_1m):avg:cpu{*} by {host} > 80") }, call)).Monitor.Id;
        var composite = new Monitor
        {
            Name = "busy disks",
            Type = "composite",
            Query = $"{disk} && {cpu}",
            Message = "{{host.name}} is {{state}}",
            Options = new MonitorOptions { EvaluationIntervalMs = 10_000, NotifyBy = { "host" } },
        };
        var id = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = composite }, call)).Monitor.Id;

        async Task<Received> NextOfComposite()
        {
            while (true)
            {
                var received = await receiver.NextAsync(timeout.Token);
                if (received.TransitionId.StartsWith(id + "/", StringComparison.Ordinal))
                {
                    return received;
                }
            }
        }

        // Both devices of h1 alert with h1's cpu: one notification for h1.
        await WriteMetrics(server, time, call, ("disk", ["device:sda", "host:h1"], 95), ("disk", ["device:sdb", "host:h1"], 95), ("cpu", ["host:h1"], 95));
        var trigger = await NextOfComposite();
        Assert.Equal($"{id}/host:h1/1", trigger.TransitionId);
        Assert.Equal(("trigger", "OK", "ALERT", "h1 is ALERT"), Body(trigger));

        // One device recovers: h1 still alerts, nothing is sent for it. Then the other: the resolve.
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
        await WriteMetrics(server, time, call, ("disk", ["device:sda", "host:h1"], 50));
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
        await WriteMetrics(server, time, call, ("disk", ["device:sdb", "host:h1"], 50));
        var resolve = await NextOfComposite();
        Assert.Equal($"{id}/host:h1/2", resolve.TransitionId);
        Assert.Equal(("resolve", "ALERT", "OK", "h1 is OK"), Body(resolve));

        // The composite's own groups (by device and host) were never sent.
        Assert.Equal(2, receiver.All.Count(r => r.TransitionId.StartsWith(id + "/", StringComparison.Ordinal)));
    }

    private static async Task WriteMetrics(TestServer server, FakeTimeProvider time, Grpc.Core.CallOptions call, params (string Metric, string[] Tags, double Value)[] points)
    {
        var request = new WriteRequest();
        foreach (var (metric, tags, value) in points)
        {
            request.Points.Add(new Point { Metric = metric, Tags = { tags }, UnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(), Value = value });
        }

        var ack = await server.Ingest.WriteBatchAsync(request, call);
        Assert.Equal(points.Length, ack.Accepted);
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
