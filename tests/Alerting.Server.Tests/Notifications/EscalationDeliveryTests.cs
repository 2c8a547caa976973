using System.Text.Json;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Notifications;
using Microsoft.Extensions.Time.Testing;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.Notifications;

/// <summary>
/// <c>escalation_message</c> end to end: a real server with a fake clock renotifies an alert, and the webhook
/// receiver on loopback gets the renotification with the escalation message before the message, routed by the
/// mentions of both; the first alert carries the message alone.
/// </summary>
public sealed class EscalationDeliveryTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_renotification_is_sent_with_the_escalation_message_to_the_endpoints_both_mention()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var options = TestServer.Options();
        foreach (var name in new[] { "hook", "esc" })
        {
            options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = name, Type = "webhook", Url = new Uri(receiver.Url, name).ToString() });
        }

        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time, options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Monitor
        {
            Name = "cpu high",
            Type = "metric",
            Query = "last(last_1m):avg:cpu{*} by {host} > 90",
            Message = "cpu on {{host.name}} at {{eval \"value*10\"}} permille {{comparator}} @hook",
            Priority = 1,
            Options = new MonitorOptions
            {
                NewGroupDelayMs = 0,
                OnArrival = true,
                EvaluationIntervalMs = 10_000,
                RenotifyIntervalMs = 60_000,
                RenotifyOccurrences = 1,
                EscalationMessage = "{{#is_priority \"P1\"}}P1 {{/is_priority}}still {{state}} @esc",
            },
        };
        var id = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call)).Monitor.Id;

        await Write(server, time, call, 95);
        var alert = await receiver.NextAsync(timeout.Token);
        Assert.Equal(("/hook", $"{id}/host:a/1"), (alert.Path, alert.TransitionId));
        Assert.Equal("cpu on a at 950 permille > @hook", Message(alert, out bool alertRenotify));
        Assert.False(alertRenotify);

        // Breaching points for 70 s: one renotification after the 60 s interval, none after it (occurrences 1).
        for (var i = 0; i < 7; i++)
        {
            await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
            await Write(server, time, call, 95);
        }

        var renotified = new[] { await receiver.NextAsync(timeout.Token), await receiver.NextAsync(timeout.Token) }.OrderBy(r => r.Path, StringComparer.Ordinal).ToArray();
        Assert.Equal(["/esc", "/hook"], renotified.Select(r => r.Path));
        foreach (var received in renotified)
        {
            Assert.Equal($"{id}/host:a/2", received.TransitionId);
            Assert.Equal("P1 still ALERT @esc\n\ncpu on a at 950 permille > @hook", Message(received, out bool renotify));
            Assert.True(renotify);
        }

        Assert.Equal(3, receiver.All.Count);
    }

    private static string Message(Received received, out bool renotify)
    {
        using var body = JsonDocument.Parse(received.Body);
        renotify = body.RootElement.GetProperty("transition").GetProperty("renotify").GetBoolean();
        return body.RootElement.GetProperty("message").GetString()!;
    }

    private static async Task Write(TestServer server, FakeTimeProvider time, Grpc.Core.CallOptions call, double value)
    {
        var ack = await server.Ingest.WriteBatchAsync(
            new WriteRequest { Points = { new Point { Metric = "cpu", Tags = { "host:a" }, UnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(), Value = value } } },
            call);
        Assert.Equal(1, ack.Accepted);
    }
}
