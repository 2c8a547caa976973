using System.Text.Json;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Alerting.Server.Notifications;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.Notifications;

/// <summary>
/// The alert-storm fault (issue 9): thousands of groups fire while the webhook is slow, then
/// failing, then healthy again, with a delivery queue far smaller than the storm. Every transition
/// must reach the receiver exactly once with a 2xx, or be named as replaced by a newer event of its
/// group that did, while the server keeps running.
/// </summary>
public sealed class NotificationStormTests
{
    private const int Groups = 5_000;

    /// <summary>Groups that recover (ALERT → OK) while their ALERT still waits: those coalesce.</summary>
    private const int Recovering = 1_000;

    private const int QueueSize = 100;

    private static readonly TimeSpan StormPatience = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Longer than a test may take: a request held by the receiver's gate is never timed out and retried, so
    /// every count a test waits for stays put until the test releases the gate, however slow the machine.
    /// </summary>
    private static readonly TimeSpan NoRequestTimeout = StormPatience * 2;

    [Fact]
    public async Task Storm_against_a_slow_then_recovered_webhook_delivers_every_transition_once_or_coalesced_without_a_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Gate = slow.Task;
        receiver.Status = 503;
        var options = TestServer.Options();
        options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = "hook", Type = "webhook", Url = new Uri(receiver.Url, "hook").ToString() });
        options.Notifications.Default.Add("hook");
        var delivery = options.Notifications.Delivery;
        delivery.MaxQueuedPerEndpoint = QueueSize;
        delivery.MaxKeysPerEndpoint = QueueSize;
        delivery.InitialBackoff = TimeSpan.FromMilliseconds(5);
        delivery.MaxBackoff = TimeSpan.FromMilliseconds(50);
        delivery.RequestTimeout = NoRequestTimeout;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(StormPatience);
        var call = TestServer.Call(timeout.Token);
        var node = server.Host.Node;
        var monitorId = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = StormMonitor() }, call)).Monitor.Id;

        // The storm: every group OK → ALERT in one batch.
        var alerts = await server.Ingest.WriteBatchAsync(Cpu(Enumerable.Range(0, Groups), 95, batchId: 1), call);
        await node.Progress.WaitForAsync((long)alerts.LogIndex, timeout.Token);
        var inFlight = options.Notifications.Delivery.MaxConcurrentRequestsPerEndpoint;
        for (var i = 0; i < inFlight; i++)
        {
            await receiver.NextAsync(timeout.Token);
        }

        // The receiver holds every request it got; the queue is full. The groups whose ALERT comes last in
        // the log (so it is still waiting for room) recover now.
        var alertOrder = await node.TryQuery(s =>
        {
            var items = new List<Engine.StateMachine.TransitionHistory.HistoryItem>();
            _ = s.History.CopyAfter(0, e => e.MonitorId == monitorId, items, int.MaxValue);
            return items.Select(i => i.Event.GroupKey).ToList();
        })!;
        Assert.Equal(Groups, alertOrder.Count);
        var recovering = alertOrder.TakeLast(Recovering).Select(k => int.Parse(k["host:h".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var recoveries = await server.Ingest.WriteBatchAsync(Cpu(recovering, 10, batchId: 2), call);
        await node.Progress.WaitForAsync((long)recoveries.LogIndex, timeout.Token);
        var notifications = new Protocol.V1.Notifications.NotificationsClient(server.Channel);
        var status = await WaitForOutbox(server, notifications, e => e.Pending == Groups + Recovering, timeout.Token);
        Assert.Equal((ulong)QueueSize, status.Queued);
        Assert.Equal((ulong)(Groups - QueueSize), status.WaitingForRoom);
        Assert.Empty(status.FailedNotifications);

        // Recovery: the held requests are answered 503 (and retried); every later one 200.
        receiver.Status = 200;
        slow.SetResult();
        var newest = await node.TryQuery(s => s.History.NewestIndex)!;
        await WaitForOutbox(server, notifications, e => e.WrittenSettledBeforeIndex > (ulong)newest && e.Pending == 0, timeout.Token);

        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (var h = 0; h < Groups; h++)
        {
            expected.Add($"{monitorId}/host:h{h}/1");
        }

        foreach (var h in recovering)
        {
            expected.Add($"{monitorId}/host:h{h}/2");
        }

        var delivered = receiver.All.Where(r => r.Answered == 200).ToList();
        var deliveredIds = delivered.Select(r => r.TransitionId).ToList();
        Assert.Equal(deliveredIds.Count, deliveredIds.Distinct(StringComparer.Ordinal).Count());
        var replaced = delivered.SelectMany(Replaces).ToList();
        Assert.Equal(replaced.Count, replaced.Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(deliveredIds.Intersect(replaced, StringComparer.Ordinal));
        var covered = deliveredIds.Concat(replaced).ToHashSet(StringComparer.Ordinal);
        Assert.True(expected.SetEquals(covered), $"{expected.Except(covered).Count()} transition(s) never delivered, {covered.Except(expected).Count()} unexpected");
        // Every recovering group's ALERT waited behind the full queue: its OK was sent in its place, naming it.
        Assert.Equal(Recovering, replaced.Count);
        foreach (var h in recovering)
        {
            Assert.Contains($"{monitorId}/host:h{h}/2", deliveredIds);
        }

        var ledger = await node.TryQuery(s => (
            Finished: Enumerable.Range(0, Groups).Select(h => s.Deliveries.Finished("hook", monitorId, $"host:h{h}")).ToList(),
            Failed: s.Deliveries.FailedCount))!;
        var recoveringSet = recovering.ToHashSet();
        Assert.All(Enumerable.Range(0, Groups), h => Assert.Equal(recoveringSet.Contains(h) ? 2ul : 1ul, ledger.Finished[h]));
        Assert.Equal(0, ledger.Failed);

        // The node never stopped: a new group's alert is delivered by the same server.
        var late = await server.Ingest.WriteBatchAsync(Cpu([Groups], 95, batchId: 3), call);
        Received lateArrival;
        do
        {
            lateArrival = await receiver.NextAsync(timeout.Token);
        }
        while (lateArrival.TransitionId != $"{monitorId}/host:h{Groups}/1");
        Assert.Equal(200, lateArrival.Answered);
        Assert.True(late.LogIndex > (ulong)newest);
    }

    [Fact]
    public async Task The_outbox_reads_at_most_ReadAhead_events_beyond_a_full_queue_and_delivers_the_rest_as_room_frees()
    {
        const int groups = 100;
        const int readAhead = 10;
        const int queue = 5;
        await using var receiver = await WebhookReceiver.StartAsync();
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Gate = slow.Task;
        var options = HookOptions(receiver, queue);
        options.Notifications.Delivery.ReadAhead = readAhead;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(StormPatience);
        var call = TestServer.Call(timeout.Token);
        var monitorId = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = StormMonitor() }, call)).Monitor.Id;
        var notifications = new Protocol.V1.Notifications.NotificationsClient(server.Channel);

        await server.Ingest.WriteBatchAsync(Cpu(Enumerable.Range(0, groups), 95, batchId: 1), call);
        var full = await WaitForOutbox(server, notifications, e => e.Pending == readAhead + queue && e.WaitingForRoom == readAhead, timeout.Token);

        Assert.Equal((ulong)queue, full.Queued);
        slow.SetResult();
        var newest = await server.Host.Node.TryQuery(s => s.History.NewestIndex)!;
        await WaitForOutbox(server, notifications, e => e.WrittenSettledBeforeIndex > (ulong)newest && e.Pending == 0, timeout.Token);
        Assert.Equal(
            Enumerable.Range(0, groups).Select(h => $"{monitorId}/host:h{h}/1").Order(StringComparer.Ordinal),
            receiver.All.Select(r => r.TransitionId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_read_that_takes_exactly_the_newest_events_moves_the_cursor_past_their_log_index()
    {
        const int groups = 10;
        await using var receiver = await WebhookReceiver.StartAsync();
        var options = HookOptions(receiver, queueSize: 100);
        // One read takes exactly ReadAhead events: every event of the entry, and nothing is left after it.
        options.Notifications.Delivery.ReadAhead = groups;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(StormPatience);
        var call = TestServer.Call(timeout.Token);
        var node = server.Host.Node;
        var monitorId = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = StormMonitor() }, call)).Monitor.Id;
        var notifications = new Protocol.V1.Notifications.NotificationsClient(server.Channel);

        var alerts = await server.Ingest.WriteBatchAsync(Cpu(Enumerable.Range(0, groups), 95, batchId: 1), call);
        await node.Progress.WaitForAsync((long)alerts.LogIndex, timeout.Token);
        var events = await node.TryQuery(s =>
        {
            var items = new List<Engine.StateMachine.TransitionHistory.HistoryItem>();
            _ = s.History.CopyAfter(0, e => e.MonitorId == monitorId, items, int.MaxValue);
            return (Indexes: items.Select(i => i.Event.LogIndex).Distinct().ToList(), s.History.NewestIndex);
        })!;
        Assert.Equal([(long)alerts.LogIndex], events.Indexes);
        Assert.Equal((long)alerts.LogIndex, events.NewestIndex);
        var settled = await WaitForOutbox(server, notifications, e => e.Delivered == groups && e.Pending == 0, timeout.Token);

        // Every event was read, delivered and settled, and no later event exists: the cursor is past their index
        // (it stayed on it, holding them in the history, until some later event happened to be appended).
        Assert.True(settled.SettledBeforeIndex > alerts.LogIndex, $"cursor {settled.SettledBeforeIndex} is not past the events' index {alerts.LogIndex}");
        await WaitForOutbox(server, notifications, e => e.WrittenSettledBeforeIndex > alerts.LogIndex, timeout.Token);
    }

    [Fact]
    public async Task A_storm_cut_short_by_a_stop_is_delivered_once_after_the_restart_from_the_durable_cursor()
    {
        const int groups = 500;
        await using var receiver = await WebhookReceiver.StartAsync();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Gate = held.Task;
        var options = HookOptions(receiver, queueSize: 20);
        using var timeout = new CancellationTokenSource(StormPatience);
        string monitorId;
        await using (var first = await TestServer.StartAsync(options, ownsDirectory: false))
        {
            var call = TestServer.Call(timeout.Token);
            monitorId = (await first.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = StormMonitor() }, call)).Monitor.Id;
            await first.Ingest.WriteBatchAsync(Cpu(Enumerable.Range(0, groups), 95, batchId: 1), call);
            await receiver.NextAsync(timeout.Token);
        }

        // Nothing was answered before the stop: every request was held, then cancelled by it. The same endpoint
        // ("hook", so the same cursor) points at a second receiver after the restart, so a cancelled request
        // the first receiver only gets to handle late (a loaded machine) is not counted as sent after the restart.
        held.SetResult();
        await using var after = await WebhookReceiver.StartAsync();
        await using var second = await TestServer.StartAsync(HookOptions(after, queueSize: 20, options.DataDirectory));
        var notifications = new Protocol.V1.Notifications.NotificationsClient(second.Channel);
        var newest = await second.Host.Node.TryQuery(s => s.History.NewestIndex)!;
        await WaitForOutbox(second, notifications, e => e.WrittenSettledBeforeIndex > (ulong)newest && e.Pending == 0, timeout.Token);

        var afterRestart = after.All.Select(r => r.TransitionId).ToList();
        Assert.Equal(
            Enumerable.Range(0, groups).Select(h => $"{monitorId}/host:h{h}/1").Order(StringComparer.Ordinal),
            afterRestart.Order(StringComparer.Ordinal));
    }

    private static ServerOptions HookOptions(WebhookReceiver receiver, int queueSize, string? dataDirectory = null)
    {
        var options = TestServer.Options(dataDirectory);
        options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = "hook", Type = "webhook", Url = new Uri(receiver.Url, "hook").ToString() });
        options.Notifications.Default.Add("hook");
        options.Notifications.Delivery.MaxQueuedPerEndpoint = queueSize;
        options.Notifications.Delivery.RequestTimeout = NoRequestTimeout;
        return options;
    }

    private static Monitor StormMonitor()
    {
        var monitor = Samples.CpuMonitor("storm");
        monitor.Message = "cpu is high on {{host.name}}";
        return monitor;
    }

    private static WriteRequest Cpu(IEnumerable<int> hosts, double value, ulong batchId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var request = new WriteRequest { BatchId = batchId };
        foreach (var h in hosts)
        {
            request.Points.Add(new Point { Metric = "cpu", Tags = { $"host:h{h}" }, UnixMs = now, Value = value });
        }

        return request;
    }

    private static IEnumerable<string> Replaces(Received received)
    {
        using var body = JsonDocument.Parse(received.Body);
        return body.RootElement.TryGetProperty("replaces", out var ids)
            ? ids.EnumerateArray().Select(e => e.GetString()!).ToList()
            : [];
    }

    /// <summary>Asks for the endpoint's outbox after each applied entry (ticks apply every 100 ms) until it matches.</summary>
    private static async Task<EndpointNotifications> WaitForOutbox(TestServer server, Protocol.V1.Notifications.NotificationsClient client, Func<EndpointNotifications, bool> done, CancellationToken cancellation)
    {
        var node = server.Host.Node;
        while (true)
        {
            var applied = node.Progress.AppliedIndex;
            var list = await client.ListAsync(new ListNotificationsRequest { Endpoint = "hook" }, TestServer.Call(cancellation));
            var endpoint = Assert.Single(list.Endpoints);
            if (done(endpoint))
            {
                return endpoint;
            }

            await node.Progress.WaitForAsync(applied + 1, cancellation);
        }
    }
}
