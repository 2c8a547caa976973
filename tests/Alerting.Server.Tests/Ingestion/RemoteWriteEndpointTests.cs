using System.Net;
using System.Net.Http.Headers;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Google.Protobuf;
using Prom = Alerting.Protocol.Prometheus;

namespace Alerting.Server.Tests.Ingestion;

public sealed class RemoteWriteEndpointTests
{
    private const string IngestKey = "ingest-key-0123456789";
    private const string ReadKey = "read-key-0123456789";

    internal static ByteArrayContent Snappy(IMessage message)
    {
        var content = new ByteArrayContent(Snappier.Snappy.CompressToArray(message.ToByteArray()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("snappy");
        return content;
    }

    [Fact]
    public async Task A_snappy_write_request_is_answered_204_once_durable_and_fires_a_monitor()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var created = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var request = new Prom.WriteRequest { Timeseries = { RemoteWriteConverterTests.Series("cpu", [("host", "a")], (now, 95)) } };

        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        using var response = await http.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Snappy(request), timeout.Token);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var status = await server.Cluster.StatusAsync(new StatusRequest(), call);
        Assert.True(status.CommitIndex > created.LogIndex, "the write was committed before the answer");
        Assert.True(await subscription.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal("host:a", subscription.ResponseStream.Current.GroupKey);
        Assert.Equal("ALERT", subscription.ResponseStream.Current.NewState);
    }

    [Fact]
    public async Task Bad_bodies_are_400_so_Prometheus_drops_them_and_keys_are_checked()
    {
        var options = TestServer.Options();
        options.ApiKeys.Add(new ApiKeyOptions { Key = IngestKey, Scopes = { "ingest" } });
        options.ApiKeys.Add(new ApiKeyOptions { Key = ReadKey, Scopes = { "read" } });
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        var route = new Uri("/api/v1/write", UriKind.Relative);
        var valid = new Prom.WriteRequest { Timeseries = { RemoteWriteConverterTests.Series("cpu", [("host", "a")], (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 1)) } };

        async Task<(HttpStatusCode Status, string Body)> Post(HttpContent content, string? key)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, route) { Content = content };
            if (key is not null)
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }

            using var response = await http.SendAsync(message, timeout.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
        }

        var anonymous = await Post(Snappy(valid), null);
        var readOnly = await Post(Snappy(valid), ReadKey);
        var notSnappy = new ByteArrayContent([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]);
        notSnappy.Headers.ContentEncoding.Add("snappy");
        var corrupt = await Post(notSnappy, IngestKey);
        var notProtobuf = new ByteArrayContent(Snappier.Snappy.CompressToArray("not a protobuf message"u8.ToArray()));
        notProtobuf.Headers.ContentEncoding.Add("snappy");
        var garbage = await Post(notProtobuf, IngestKey);
        var nameless = new Prom.WriteRequest { Timeseries = { new Prom.TimeSeries { Labels = { new Prom.Label { Name = "job", Value = "x" } }, Samples = { new Prom.Sample { Timestamp = 1, Value = 1 } } } } };
        var noName = await Post(Snappy(nameless), IngestKey);
        var ok = await Post(Snappy(valid), IngestKey);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal(HttpStatusCode.Forbidden, readOnly.Status);
        Assert.Contains("\"ingest\"", readOnly.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, corrupt.Status);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.Status);
        Assert.Equal(HttpStatusCode.BadRequest, noName.Status);
        Assert.Contains("__name__", noName.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, ok.Status);
    }

    [Fact]
    public async Task A_standby_answers_503_so_Prometheus_retries_and_every_HTTP_protocol_does_the_same()
    {
        var options = TestServer.Options();
        options.Role = Engine.Pipeline.NodeRole.Standby;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var request = new Prom.WriteRequest { Timeseries = { RemoteWriteConverterTests.Series("cpu", [], (now, 1)) } };
        var otlp = new Protocol.OpenTelemetry.Collector.Metrics.V1.ExportMetricsServiceRequest
        {
            ResourceMetrics = { new Protocol.OpenTelemetry.Metrics.V1.ResourceMetrics { ScopeMetrics = { new Protocol.OpenTelemetry.Metrics.V1.ScopeMetrics { Metrics = { new Protocol.OpenTelemetry.Metrics.V1.Metric { Name = "cpu", Gauge = new Protocol.OpenTelemetry.Metrics.V1.Gauge { DataPoints = { new Protocol.OpenTelemetry.Metrics.V1.NumberDataPoint { TimeUnixNano = (ulong)now * 1_000_000, AsDouble = 1 } } } } } } } } },
        };
        var otlpBody = new ByteArrayContent(otlp.ToByteArray());
        otlpBody.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var remoteWrite = await http.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Snappy(request), timeout.Token);
        using var otlpHttp = await http.PostAsync(new Uri("/v1/metrics", UriKind.Relative), otlpBody, timeout.Token);
        using var datadog = await http.PostAsync(new Uri("/api/v2/series", UriKind.Relative), new StringContent($$"""{"series":[{"metric":"cpu","points":[{"timestamp":{{now / 1000}},"value":1}]}]}""", System.Text.Encoding.UTF8, "application/json"), timeout.Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, remoteWrite.StatusCode);
        Assert.Contains("no primary is known", await remoteWrite.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, otlpHttp.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, datadog.StatusCode);
    }

    [Fact]
    public async Task More_samples_than_MaxPointsPerRequest_are_400_naming_the_limit()
    {
        var options = TestServer.Options();
        options.MaxPointsPerRequest = 3;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var request = new Prom.WriteRequest { Timeseries = { RemoteWriteConverterTests.Series("cpu", [], (now - 3, 1), (now - 2, 1), (now - 1, 1), (now, 1)) } };

        using var response = await http.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Snappy(request), timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("MaxPointsPerRequest", await response.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_decodes_past_the_bound_is_413_before_it_is_decoded()
    {
        var options = TestServer.Options();
        options.MaxMessageBytes = 1024;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        // Zeros compress well: a small body claiming a large decoded length.
        var content = new ByteArrayContent(Snappier.Snappy.CompressToArray(new byte[1024 * ServerHost.JsonBodyExpansion + 1]));
        content.Headers.ContentEncoding.Add("snappy");

        using var response = await http.PostAsync(new Uri("/api/v1/write", UriKind.Relative), content, timeout.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
