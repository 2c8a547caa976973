using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Alerting.Server.Notifications;
using Grpc.Core;

namespace Alerting.Server.Tests.Notifications;

/// <summary>Outcomes are recorded truthfully: refused and given-up deliveries are listed as failed, and a retry sends them again.</summary>
public sealed class NotificationOutcomeTests
{
    [Fact]
    public async Task Rejected_and_given_up_deliveries_are_listed_as_failed_and_a_retry_delivers_them()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var options = TestServer.Options();
        options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = "hook", Type = "webhook", Url = new Uri(receiver.Url, "hook").ToString() });
        options.Notifications.Default.Add("hook");
        options.Notifications.Delivery.MaxAttempts = 2;
        options.Notifications.Delivery.InitialBackoff = TimeSpan.FromMilliseconds(5);
        options.Notifications.Delivery.MaxBackoff = TimeSpan.FromMilliseconds(5);
        // No request may time out on a loaded machine: a timed-out attempt would be retried and counted below.
        options.Notifications.Delivery.RequestTimeout = TestServer.Patience * 10;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var notifications = new Protocol.V1.Notifications.NotificationsClient(server.Channel);
        var monitorId = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, call)).Monitor.Id;

        receiver.Status = 400;
        await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 95, batchId: 1), call);
        var failedA = await WaitForFailed(server, notifications, 1, timeout.Token);
        receiver.Status = 503;
        await server.Ingest.WriteBatchAsync(Samples.Cpu("b", 95, batchId: 2), call);
        var failed = await WaitForFailed(server, notifications, 2, timeout.Token);

        Assert.Equal(("host:a", "rejected", 400, 1u), (failedA[0].GroupKey, failedA[0].Outcome, failedA[0].StatusCode, failedA[0].Attempts));
        var b = failed.Single(f => f.GroupKey == "host:b");
        // MaxAttempts = 2 is crossed: two 503s, then it is given up rather than retried a third time.
        Assert.Equal(("gave_up", 503, 2u), (b.Outcome, b.StatusCode, b.Attempts));
        Assert.Equal(3, receiver.All.Count);

        receiver.Status = 200;
        var retried = await notifications.RetryAsync(new RetryNotificationsRequest { Endpoint = "hook" }, call);
        Assert.Equal(["host:a", "host:b"], retried.Requeued.Select(r => r.GroupKey).Order(StringComparer.Ordinal));
        Assert.Empty(retried.NotInHistory);

        await WaitForFailed(server, notifications, 0, timeout.Token);
        var delivered = receiver.All.Where(r => r.Answered == 200).Select(r => r.TransitionId).Order(StringComparer.Ordinal);
        Assert.Equal([$"{monitorId}/host:a/1", $"{monitorId}/host:b/1"], delivered);
    }

    [Fact]
    public async Task An_endpoint_removed_from_the_settings_is_retired_and_holds_no_events_in_the_history()
    {
        var options = TestServer.Options();
        options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = "gone", Type = "webhook", Url = "http://127.0.0.1:9/hook" });
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        await using (var first = await TestServer.StartAsync(options, ownsDirectory: false))
        {
            await WaitForPin(first, pin => pin != Engine.StateMachine.DeliveryLedger.RetiredCursor, timeout.Token);
        }

        await using var second = await TestServer.StartAsync(TestServer.Options(options.DataDirectory));

        await WaitForPin(second, pin => pin == Engine.StateMachine.DeliveryLedger.RetiredCursor, timeout.Token);
    }

    private static async Task WaitForPin(TestServer server, Func<long, bool> done, CancellationToken cancellation)
    {
        var node = server.Host.Node;
        while (true)
        {
            var applied = node.Progress.AppliedIndex;
            if (done(await node.TryQuery(s => s.Deliveries.Pin)!))
            {
                return;
            }

            await node.Progress.WaitForAsync(applied + 1, cancellation);
        }
    }

    [Fact]
    public async Task An_unknown_endpoint_is_not_found_and_retry_needs_the_admin_scope()
    {
        var options = TestServer.Options();
        options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = "hook", Type = "webhook", Url = "http://127.0.0.1:9/hook" });
        options.ApiKeys.Add(new ApiKeyOptions { Key = "reader-key-0123456789", Scopes = { "read" } });
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var notifications = new Protocol.V1.Notifications.NotificationsClient(server.Channel);

        var missing = await Assert.ThrowsAsync<RpcException>(() => notifications.ListAsync(new ListNotificationsRequest { Endpoint = "nope" }, TestServer.Call(timeout.Token, "reader-key-0123456789")).ResponseAsync);
        var denied = await Assert.ThrowsAsync<RpcException>(() => notifications.RetryAsync(new RetryNotificationsRequest(), TestServer.Call(timeout.Token, "reader-key-0123456789")).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("configured: hook", missing.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task The_outbox_is_listed_and_retried_over_json_transcoding()
    {
        var options = TestServer.Options();
        options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = "hook", Type = "webhook", Url = "http://127.0.0.1:9/hook" });
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };

        using var list = await http.GetAsync(new Uri("/v1/notifications?endpoint=hook", UriKind.Relative), timeout.Token);
        using var retry = await http.PostAsync(new Uri("/v1/notifications/retry", UriKind.Relative), new StringContent("{\"endpoint\":\"hook\"}", System.Text.Encoding.UTF8, "application/json"), timeout.Token);

        Assert.Equal(System.Net.HttpStatusCode.OK, list.StatusCode);
        using (var body = System.Text.Json.JsonDocument.Parse(await list.Content.ReadAsStringAsync(timeout.Token)))
        {
            var endpoint = Assert.Single(body.RootElement.GetProperty("endpoints").EnumerateArray().ToList());
            Assert.Equal("hook", endpoint.GetProperty("endpoint").GetString());
        }

        Assert.Equal(System.Net.HttpStatusCode.OK, retry.StatusCode);
    }

    /// <summary>Lists the endpoint after each applied entry until exactly <paramref name="count"/> failures are listed.</summary>
    private static async Task<List<NotificationInfo>> WaitForFailed(TestServer server, Protocol.V1.Notifications.NotificationsClient client, int count, CancellationToken cancellation)
    {
        var node = server.Host.Node;
        while (true)
        {
            var applied = node.Progress.AppliedIndex;
            var list = await client.ListAsync(new ListNotificationsRequest(), TestServer.Call(cancellation));
            var endpoint = Assert.Single(list.Endpoints);
            if (endpoint.FailedNotifications.Count == count && (int)endpoint.Failed == count)
            {
                return [.. endpoint.FailedNotifications];
            }

            await node.Progress.WaitForAsync(applied + 1, cancellation);
        }
    }
}
