using Alerting.Protocol.V1;
using Grpc.Core;

namespace Alerting.Server.Tests;

public sealed class IngestAndSubscribeTests
{
    [Fact]
    public async Task Durable_ack_fires_an_on_arrival_monitor_and_a_subscriber_started_before_receives_the_transition()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var created = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, call);
        Assert.Equal(UpsertOutcome.Created, created.Outcome);

        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        var ack = await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 95, batchId: 7), call);

        Assert.Equal(7ul, ack.BatchId);
        Assert.True(ack.LogIndex > created.LogIndex, $"ack index {ack.LogIndex} follows the monitor's {created.LogIndex}");
        Assert.Equal(1, ack.Accepted);
        Assert.Empty(ack.Rejected);
        var status = await server.Cluster.StatusAsync(new StatusRequest(), call);
        Assert.True(status.CommitIndex >= ack.LogIndex, $"commit index {status.CommitIndex} covers the acked {ack.LogIndex}");
        Assert.Equal("primary", status.Role);
        Assert.Equal("local", status.Durability);

        Assert.True(await subscription.ResponseStream.MoveNext(timeout.Token));
        var e = subscription.ResponseStream.Current;
        Assert.Equal(created.Monitor.Id, e.MonitorId);
        Assert.Equal("cpu high", e.MonitorName);
        Assert.Equal("host:a", e.GroupKey);
        Assert.Equal("OK", e.PreviousState);
        Assert.Equal("ALERT", e.NewState);
        Assert.Equal(ack.LogIndex, e.LogIndex);
        Assert.Equal(1ul, e.TransitionNumber);
        Assert.Equal(95, e.Value);
    }

    [Fact]
    public async Task Subscription_resumed_from_an_event_index_receives_exactly_the_later_events()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, call);
        var acks = new List<WriteAck>();
        using (var stream = server.Ingest.Write(call))
        {
            foreach (var host in new[] { "a", "b", "c" })
            {
                await stream.RequestStream.WriteAsync(Samples.Cpu(host, 95, batchId: host[0] - (ulong)'a' + 1));
            }

            await stream.RequestStream.CompleteAsync();
            while (await stream.ResponseStream.MoveNext(timeout.Token))
            {
                acks.Add(stream.ResponseStream.Current);
            }
        }

        Assert.Equal([1ul, 2ul, 3ul], acks.Select(a => a.BatchId));
        Assert.True(acks[0].LogIndex < acks[1].LogIndex && acks[1].LogIndex < acks[2].LogIndex, "acks come back in request order");

        using var resumed = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = acks[0].LogIndex }, call);
        var fourth = await server.Ingest.WriteBatchAsync(Samples.Cpu("d", 95), call);
        var received = new List<TransitionEvent>();
        while (received.Count < 3 && await resumed.ResponseStream.MoveNext(timeout.Token))
        {
            received.Add(resumed.ResponseStream.Current);
        }

        Assert.Equal(["host:b", "host:c", "host:d"], received.Select(e => e.GroupKey));
        Assert.Equal([acks[1].LogIndex, acks[2].LogIndex, fourth.LogIndex], received.Select(e => e.LogIndex));
    }

    [Fact]
    public async Task A_malformed_request_ends_the_write_stream_after_the_acks_of_earlier_requests()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var stream = server.Ingest.Write(TestServer.Call(timeout.Token));
        var bad = Samples.Cpu("b", 1, batchId: 2);
        bad.Points[0].Tags[0] = "no-colon";

        await stream.RequestStream.WriteAsync(Samples.Cpu("a", 1, batchId: 1));
        await stream.RequestStream.WriteAsync(bad);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        var first = stream.ResponseStream.Current;
        var error = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal(1ul, first.BatchId);
        Assert.Equal(1, first.Accepted);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("points[0].tags[0]", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_finite_values_are_acknowledged_as_rejected_not_finite()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var request = Samples.Cpu("a", double.NaN);
        request.Points.Add(new Point { Metric = "cpu", Tags = { "host:b" }, UnixMs = request.Points[0].UnixMs, Value = 3 });

        var ack = await server.Ingest.WriteBatchAsync(request, TestServer.Call(timeout.Token));

        Assert.True(ack.Accepted == 1, ack.ToString());
        var rejected = Assert.Single(ack.Rejected);
        Assert.Equal("not_finite", rejected.Reason);
        Assert.Equal(1, rejected.Count);
    }

    [Fact]
    public async Task Malformed_points_are_invalid_argument_naming_the_field()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var noMetric = Samples.Cpu("a", 1);
        noMetric.Points[0].Metric = string.Empty;
        var badTag = Samples.Cpu("a", 1);
        badTag.Points[0].Tags.Add("production");

        var e1 = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.WriteBatchAsync(noMetric, call).ResponseAsync);
        var e2 = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.WriteBatchAsync(badTag, call).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e1.StatusCode);
        Assert.Contains("points[0].metric", e1.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, e2.StatusCode);
        Assert.Contains("points[0].tags[1]", e2.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_of_one_log_index_beyond_a_subscription_batch_are_all_sent_once()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, call);
        const int Hosts = Api.AlertsService.SubscribeBatch + 5;
        var request = new WriteRequest();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < Hosts; i++)
        {
            request.Points.Add(new Point { Metric = "cpu", Tags = { $"host:h{i}" }, UnixMs = now, Value = 95 });
        }

        var wide = await server.Ingest.WriteBatchAsync(request, call);
        var next = await server.Ingest.WriteBatchAsync(Samples.Cpu("last", 95), call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest(), call);
        var received = new List<TransitionEvent>();
        while (received.Count < Hosts + 1 && await subscription.ResponseStream.MoveNext(timeout.Token))
        {
            received.Add(subscription.ResponseStream.Current);
        }

        Assert.Equal(Hosts, received.Take(Hosts).Select(e => e.GroupKey).Distinct().Count());
        Assert.All(received.Take(Hosts), e => Assert.Equal(wide.LogIndex, e.LogIndex));
        Assert.Equal("host:last", received[^1].GroupKey);
        Assert.Equal(next.LogIndex, received[^1].LogIndex);
    }
}
