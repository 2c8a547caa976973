using System.Globalization;
using Alerting.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;
using Otlp = Alerting.Protocol.OpenTelemetry.Collector.Metrics.V1;

namespace Alerting.Server.Tests;

/// <summary>
/// Write admission (issue 7's stall bar) on a real server over loopback: the state machine is
/// held on a read (a query that waits for the test), so admitted writes stay unapplied and the
/// backlog stays full; each client is its own gRPC connection. Order is read from the acks' log
/// indexes, never from timing.
/// </summary>
public sealed class WriteAdmissionTests
{
    [Fact]
    public async Task A_small_write_from_another_connection_is_admitted_ahead_of_a_big_writers_queued_batches()
    {
        var options = TestServer.Options();
        options.ApplyBacklogBudgetMs = 0;
        options.MaxAdmissionWaitMs = (int)(TestServer.Patience.TotalMilliseconds * 3);
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var bigChannel = GrpcChannel.ForAddress(server.Host.GrpcAddress);
        using var smallChannel = GrpcChannel.ForAddress(server.Host.GrpcAddress);
        var big = new Protocol.V1.Ingest.IngestClient(bigChannel);
        var small = new Protocol.V1.Ingest.IngestClient(smallChannel);
        var admission = server.Host.Node!.Admission;

        var hold = new TaskCompletionSource();
        var held = Hold(server, hold);
        try
        {
            // Budget 0: one write at a time. The big writer's first batch is admitted and waits
            // behind the held state machine; its next 8 wait for admission in its lane.
            var head = big.WriteBatchAsync(Batch("big", 0, 100), TestServer.Call(timeout.Token)).ResponseAsync;
            await WaitUntil(() => admission.BacklogNanos > 0, timeout.Token);
            var queued = Enumerable.Range(1, 8).Select(i => big.WriteBatchAsync(Batch("big", i, 100), TestServer.Call(timeout.Token)).ResponseAsync).ToList();
            await WaitUntil(() => admission.Waiting == 8, timeout.Token);
            var late = small.WriteBatchAsync(Batch("small", 0, 1), TestServer.Call(timeout.Token)).ResponseAsync;
            await WaitUntil(() => admission.Waiting == 9, timeout.Token);

            hold.SetResult();
            var smallAck = await late;
            var headAck = await head;
            var bigAcks = await Task.WhenAll(queued);

            Assert.Equal(1, smallAck.Accepted);
            Assert.All(bigAcks, a => Assert.Equal(100, a.Accepted));
            Assert.True(headAck.LogIndex < smallAck.LogIndex, $"head {headAck.LogIndex}, small {smallAck.LogIndex}");

            // Round robin between connections: the big lane's turn (one batch), then the small
            // write, then the rest. First in, first out would have put all 8 ahead of it.
            var ahead = bigAcks.Count(a => a.LogIndex < smallAck.LogIndex);
            Assert.True(ahead == 1, $"{ahead} of the big writer's queued batches went in ahead of the small write (indexes {string.Join(", ", bigAcks.Select(a => a.LogIndex))}; small {smallAck.LogIndex})");
            Assert.Equal(0, admission.Waiting);
        }
        finally
        {
            hold.TrySetResult();
            await held;
        }

        await WaitUntil(() => admission.BacklogNanos == 0, timeout.Token);
        var metrics = await ScrapeAsync(server, timeout.Token);
        Assert.Equal(1 + (9 * 100), Sample(metrics, "alerting_ingest_accepted_total"));
        Assert.Equal(10, HistogramCount(metrics, "alerting_ingest_admission_wait_seconds"));
    }

    [Fact]
    public async Task Writes_beyond_the_wait_queue_are_refused_resource_exhausted_and_only_acknowledged_points_count()
    {
        var options = TestServer.Options();
        options.ApplyBacklogBudgetMs = 0;
        options.MaxAdmissionWaiting = 2;
        options.MaxAdmissionWaitMs = (int)(TestServer.Patience.TotalMilliseconds * 3);
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var otherChannel = GrpcChannel.ForAddress(server.Host.GrpcAddress);
        var other = new Protocol.V1.Ingest.IngestClient(otherChannel);
        var admission = server.Host.Node!.Admission;

        var hold = new TaskCompletionSource();
        var held = Hold(server, hold);
        List<WriteAck> acks;
        try
        {
            var head = server.Ingest.WriteBatchAsync(Batch("over", 0, 10), TestServer.Call(timeout.Token)).ResponseAsync;
            await WaitUntil(() => admission.BacklogNanos > 0, timeout.Token);
            var queued = Enumerable.Range(1, 2).Select(i => server.Ingest.WriteBatchAsync(Batch("over", i, 10), TestServer.Call(timeout.Token)).ResponseAsync).ToList();
            await WaitUntil(() => admission.Waiting == 2, timeout.Token);

            // The queue is full: one more from the same connection, and one from another, are refused at once.
            var refused = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.WriteBatchAsync(Batch("over", 3, 10), TestServer.Call(timeout.Token)).ResponseAsync);
            Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
            Assert.Contains("2 writes already wait for admission", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Contains("nothing of this write was written", refused.Status.Detail, StringComparison.Ordinal);
            var alsoRefused = await Assert.ThrowsAsync<RpcException>(() => other.WriteBatchAsync(Batch("over", 4, 10), TestServer.Call(timeout.Token)).ResponseAsync);
            Assert.Equal(StatusCode.ResourceExhausted, alsoRefused.StatusCode);

            hold.SetResult();
            acks = [await head, .. await Task.WhenAll(queued)];
        }
        finally
        {
            hold.TrySetResult();
            await held;
        }

        Assert.All(acks, a => Assert.Equal(10, a.Accepted));
        var series = await (server.Host.Node.TryQuery(state => state.SeriesCount) ?? throw new InvalidOperationException("input ring full"));
        Assert.Equal(30, series);
        var metrics = await ScrapeAsync(server, timeout.Token);
        Assert.Equal(30, Sample(metrics, "alerting_ingest_accepted_total"));
        Assert.Equal(2, Sample(metrics, "alerting_ingest_admission_refused_total", "reason=\"queue_full\""));
        Assert.Equal(0, Sample(metrics, "alerting_ingest_admission_refused_total", "reason=\"timed_out\""));
    }

    [Fact]
    public async Task A_write_that_waits_longer_than_MaxAdmissionWaitMs_is_refused_and_not_written()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = TestServer.Options();
        options.ApplyBacklogBudgetMs = 0;
        options.MaxAdmissionWaitMs = 2_000;
        await using var server = await TestServer.StartAsync(time, options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var admission = server.Host.Node!.Admission;

        var hold = new TaskCompletionSource();
        var held = Hold(server, hold);
        WriteAck headAck;
        try
        {
            var head = server.Ingest.WriteBatchAsync(Batch("slow", 0, 5, time), TestServer.Call(timeout.Token)).ResponseAsync;
            await WaitUntil(() => admission.BacklogNanos > 0, timeout.Token);
            var waiting = server.Ingest.WriteBatchAsync(Batch("slow", 1, 5, time), TestServer.Call(timeout.Token)).ResponseAsync;
            await WaitUntil(() => admission.Waiting == 1, timeout.Token);

            time.Advance(TimeSpan.FromMilliseconds(2_000));
            // A wait armed while the fake clock was moving is due already, but a fake timer fires only when the
            // clock moves again: nudge it by 1 ms until the wait leaves the queue (at most once in practice).
            while (admission.Waiting == 1)
            {
                timeout.Token.ThrowIfCancellationRequested();
                time.Advance(TimeSpan.FromMilliseconds(1));
                await Task.Yield();
            }

            var refused = await Assert.ThrowsAsync<RpcException>(() => waiting);
            Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
            Assert.Contains("waited 2000 ms for admission", refused.Status.Detail, StringComparison.Ordinal);

            hold.SetResult();
            headAck = await head;
        }
        finally
        {
            hold.TrySetResult();
            await held;
        }

        Assert.Equal(5, headAck.Accepted);
        var series = await (server.Host.Node.TryQuery(state => state.SeriesCount) ?? throw new InvalidOperationException("input ring full"));
        Assert.Equal(5, series);
        var metrics = await ScrapeAsync(server, timeout.Token);
        Assert.Equal(5, Sample(metrics, "alerting_ingest_accepted_total"));
        Assert.Equal(1, Sample(metrics, "alerting_ingest_admission_refused_total", "reason=\"timed_out\""));
    }

    [Fact]
    public async Task A_refused_write_carries_RetryInfo_over_OTLP_gRPC_and_remote_write_answers_503_with_Retry_After()
    {
        var options = TestServer.Options();
        options.ApplyBacklogBudgetMs = 0;
        options.MaxAdmissionWaiting = 0;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var admission = server.Host.Node!.Admission;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var hold = new TaskCompletionSource();
        var held = Hold(server, hold);
        try
        {
            // Budget 0 and no waiting: while one write is admitted and unapplied, every other is refused at once.
            var head = server.Ingest.WriteBatchAsync(Batch("head", 0, 1), TestServer.Call(timeout.Token)).ResponseAsync;
            await WaitUntil(() => admission.BacklogNanos > 0, timeout.Token);

            var export = new Method<Otlp.ExportMetricsServiceRequest, Otlp.ExportMetricsServiceResponse>(
                MethodType.Unary,
                "opentelemetry.proto.collector.metrics.v1.MetricsService",
                "Export",
                Marshallers.Create(m => m.ToByteArray(), Otlp.ExportMetricsServiceRequest.Parser.ParseFrom),
                Marshallers.Create(m => m.ToByteArray(), Otlp.ExportMetricsServiceResponse.Parser.ParseFrom));
            var refused = await Assert.ThrowsAsync<RpcException>(() => server.Channel.CreateCallInvoker().AsyncUnaryCall(export, null, TestServer.Call(timeout.Token), OtlpGauge(now)).ResponseAsync);
            Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
            var details = Google.Rpc.Status.Parser.ParseFrom(refused.Trailers.GetValueBytes("grpc-status-details-bin") ?? throw new InvalidOperationException("no grpc-status-details-bin trailer"));
            Assert.Equal((int)StatusCode.ResourceExhausted, details.Code);
            var retry = Assert.Single(details.Details).Unpack<Google.Rpc.RetryInfo>();
            Assert.Equal(TimeSpan.FromSeconds(1), retry.RetryDelay.ToTimeSpan());

            using var http = new HttpClient { BaseAddress = server.Host.HttpAddress, Timeout = TestServer.Patience };
            var remote = new Protocol.Prometheus.WriteRequest { Timeseries = { Ingestion.RemoteWriteConverterTests.Series("cpu", [], (now, 1)) } };
            using var remoteWrite = await http.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Ingestion.RemoteWriteEndpointTests.Snappy(remote), timeout.Token);
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, remoteWrite.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), remoteWrite.Headers.RetryAfter?.Delta);
            Assert.Contains("nothing of this write was written", await remoteWrite.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);

            var otlpBody = new ByteArrayContent(OtlpGauge(now).ToByteArray());
            otlpBody.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");
            using var otlpHttp = await http.PostAsync(new Uri("/v1/metrics", UriKind.Relative), otlpBody, timeout.Token);
            Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, otlpHttp.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), otlpHttp.Headers.RetryAfter?.Delta);

            hold.SetResult();
            Assert.Equal(1, (await head).Accepted);
        }
        finally
        {
            hold.TrySetResult();
            await held;
        }

        Assert.Equal(3, admission.RefusedQueueFull);
        await WaitUntil(() => admission.BacklogNanos == 0, timeout.Token);
    }

    [Fact]
    public async Task Cancelled_too_large_and_not_primary_writes_leave_no_backlog_and_no_waiters()
    {
        var options = TestServer.Options();
        options.ApplyBacklogBudgetMs = 0;
        options.MaxAdmissionWaitMs = (int)(TestServer.Patience.TotalMilliseconds * 3);
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var admission = server.Host.Node!.Admission;

        // A caller cancelling while it waits (a gRPC deadline or a closed connection look the same to the server).
        var hold = new TaskCompletionSource();
        var held = Hold(server, hold);
        try
        {
            var head = server.Ingest.WriteBatchAsync(Batch("fail", 0, 3), TestServer.Call(timeout.Token)).ResponseAsync;
            await WaitUntil(() => admission.BacklogNanos > 0, timeout.Token);
            using var gaveUp = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            var waiting = server.Ingest.WriteBatchAsync(Batch("fail", 1, 3), TestServer.Call(gaveUp.Token)).ResponseAsync;
            await WaitUntil(() => admission.Waiting == 1, timeout.Token);
            await gaveUp.CancelAsync();
            Assert.Equal(StatusCode.Cancelled, (await Assert.ThrowsAsync<RpcException>(() => waiting)).StatusCode);
            await WaitUntil(() => admission.Waiting == 0, timeout.Token);

            hold.SetResult();
            Assert.Equal(3, (await head).Accepted);
        }
        finally
        {
            hold.TrySetResult();
            await held;
        }

        await WaitUntil(() => admission.BacklogNanos == 0, timeout.Token);

        // Admitted, then refused by the journal: the admission is released all the same.
        var tooLarge = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.WriteBatchAsync(OversizeInputTests.LargerThanAnEntry(), TestServer.Call(timeout.Token)).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, tooLarge.StatusCode);
        Assert.Equal(0, admission.BacklogNanos);
        Assert.Equal(0, admission.Waiting);

        // A standby admits (its backlog is empty), then refuses as not the primary: released too.
        var standbyOptions = TestServer.Options();
        standbyOptions.Role = Engine.Pipeline.NodeRole.Standby;
        await using var standby = await TestServer.StartAsync(standbyOptions);
        var notPrimary = await Assert.ThrowsAsync<RpcException>(() => standby.Ingest.WriteBatchAsync(Batch("fail", 2, 3), TestServer.Call(timeout.Token)).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, notPrimary.StatusCode);
        Assert.Equal(0, standby.Host.Node!.Admission.BacklogNanos);
        Assert.Equal(0, standby.Host.Node.Admission.Waiting);
        Assert.True(standby.Host.Node.Admission.Admitted >= 1, "the standby's write was admitted before it was refused");
    }

    [Fact]
    public void The_default_admission_wait_is_shorter_than_the_writers_attempt_timeout()
    {
        // Longer, and AlertingWriter would take a primary that makes it wait for a stalled node and hop.
        Assert.True(Engine.Pipeline.EngineOptions.DefaultMaxAdmissionWait < global::Alerting.Client.AlertingWriterOptions.DefaultAttemptTimeout / 2);
        Assert.Equal(2_000, new Hosting.ServerOptions().MaxAdmissionWaitMs);
    }

    private static Otlp.ExportMetricsServiceRequest OtlpGauge(long unixMs) => new()
    {
        ResourceMetrics = { new Protocol.OpenTelemetry.Metrics.V1.ResourceMetrics { ScopeMetrics = { new Protocol.OpenTelemetry.Metrics.V1.ScopeMetrics { Metrics = { new Protocol.OpenTelemetry.Metrics.V1.Metric { Name = "cpu", Gauge = new Protocol.OpenTelemetry.Metrics.V1.Gauge { DataPoints = { new Protocol.OpenTelemetry.Metrics.V1.NumberDataPoint { TimeUnixNano = (ulong)unixMs * 1_000_000, AsDouble = 1 } } } } } } } } },
    };

    /// <summary>Holds the state machine on a read until <paramref name="hold"/> completes: what is admitted after it stays unapplied.</summary>
    private static Task<bool> Hold(TestServer server, TaskCompletionSource hold) =>
        server.Host.Node!.TryQuery(_ => hold.Task.Wait(TestServer.Patience)) ?? throw new InvalidOperationException("input ring full");

    /// <summary>A batch of <paramref name="points"/> new series <c>admission.NAME.K</c>, one point each.</summary>
    private static WriteRequest Batch(string name, int batch, int points, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        var request = new WriteRequest { BatchId = (ulong)batch };
        for (var k = 0; k < points; k++)
        {
            request.Points.Add(new Point { Metric = "admission." + name, Tags = { $"b:{batch}", $"k:{k}" }, UnixMs = now, Value = k });
        }

        return request;
    }

    /// <summary>Waits for a condition on the server's admission counters (a position, not a time).</summary>
    private static async Task WaitUntil(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }

    private static async Task<string> ScrapeAsync(TestServer server, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress, Timeout = TestServer.Patience };
        return await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
    }

    /// <summary>The value of the first sample of <paramref name="name"/> whose labels hold <paramref name="label"/> (any when null); 0 when absent.</summary>
    private static long Sample(string metrics, string name, string? label = null)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{'
                && (label is null || line.Contains(label, StringComparison.Ordinal)))
            {
                var afterName = line.Contains('}', StringComparison.Ordinal) ? line[(line.LastIndexOf('}') + 1)..] : line[name.Length..];
                return (long)double.Parse(afterName.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static long HistogramCount(string metrics, string name) => Sample(metrics, name + "_count");
}
