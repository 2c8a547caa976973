using Alerting.Notifications;
using Alerting.Notifications.Tests;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Alerting.Server.Notifications;

namespace Alerting.Server.Tests.Notifications;

/// <summary>
/// A monitor that fires and recovers on the real server, notified through an email endpoint configured
/// in its settings, to a real SMTP server (aiosmtpd on loopback).
/// </summary>
public sealed class EmailDeliveryTests
{
    [SmtpFact]
    public async Task A_firing_and_a_recovering_monitor_send_two_emails_and_the_ledger_records_them_delivered()
    {
        await using var smtp = await SmtpReceiver.StartAsync();
        var options = TestServer.Options();
        options.Notifications.StatusPageUrl = "http://alerting.example.test/";
        var endpoint = new NotificationEndpointOptions { Name = "mail", Type = "email", Host = "127.0.0.1", Port = smtp.Port, Security = "none", From = "Alerting <alerts@example.test>" };
        endpoint.To.AddRange(["oncall@example.test", "lead@example.test"]);
        options.Notifications.Endpoints.Add(endpoint);
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = Samples.CpuMonitor();
        monitor.Message = "cpu is high on {{host.name}} @mail";
        var monitorId = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call)).Monitor.Id;

        await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 95, batchId: 1), call);
        var (firing, firingTo) = await smtp.NextMessageAsync();
        await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 10, batchId: 2), call);
        var (recovered, recoveredTo) = await smtp.NextMessageAsync();

        Assert.Equal(["oncall@example.test", "lead@example.test"], firingTo);
        Assert.Equal(["oncall@example.test", "lead@example.test"], recoveredTo);
        Assert.Equal("[ALERT] cpu high on host:a", firing.Subject);
        Assert.Equal("[Resolved] cpu high on host:a", recovered.Subject);
        Assert.Equal(EmailPayload.MessageId(new TransitionId(monitorId, "host:a", 1), "example.test"), firing.MessageId);
        Assert.Equal(EmailPayload.MessageId(new TransitionId(monitorId, "host:a", 2), "example.test"), recovered.MessageId);
        Assert.Equal($"{monitorId}/host:a/2", recovered.Headers[NotificationEndpoint.TransitionIdHeader]);
        Assert.Contains("cpu is high on a @mail", firing.TextBody, StringComparison.Ordinal);
        Assert.Contains("State: OK → ALERT\n", firing.TextBody, StringComparison.Ordinal);
        Assert.Contains("Value: 95\n", firing.TextBody, StringComparison.Ordinal);
        Assert.Contains("State: ALERT → OK\n", recovered.TextBody, StringComparison.Ordinal);
        Assert.Contains($"Status page: http://alerting.example.test/status/group?monitor={monitorId}&group=host%3Aa", recovered.TextBody, StringComparison.Ordinal);
        Assert.Contains("cpu is high on a @mail", firing.HtmlBody, StringComparison.Ordinal);

        Assert.Equal(2ul, await WaitForFinished(server.Host, "mail", monitorId, "host:a", 2, timeout.Token));
    }

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
