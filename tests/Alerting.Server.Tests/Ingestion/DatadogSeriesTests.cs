using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Alerting.Protocol.V1;
using Alerting.Server.Ingest.Datadog;

namespace Alerting.Server.Tests.Ingestion;

/// <summary>Posts what the Datadog Agent and Datadog's API clients post, over a real HTTP client.</summary>
public sealed class DatadogSeriesTests
{
    private const string IngestKey = "ingest-key-0123456789";
    private const string ReadKey = "read-key-0123456789";

    private static ByteArrayContent Compressed(string json, string encoding)
    {
        using var buffer = new MemoryStream();
        using (Stream zip = encoding == "gzip" ? new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true) : new ZLibStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(Encoding.UTF8.GetBytes(json));
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add(encoding);
        return content;
    }

    private static async Task<(HttpStatusCode Status, string Body)> Post(HttpClient http, string route, HttpContent content, string? key)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(route, UriKind.Relative)) { Content = content };
        if (key is not null)
        {
            message.Headers.Add(DatadogSeriesEndpoint.ApiKeyHeader, key);
        }

        using var response = await http.SendAsync(message);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_gzip_v2_payload_and_a_deflate_v1_payload_with_DD_API_KEY_are_202_and_fire_monitors()
    {
        var options = TestServer.Options();
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = IngestKey, Scopes = { "admin" } });
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token, IngestKey);
        var load = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = OnArrival("load", "max(last_5m):max:system.load.1{env:prod} by {host} > 4") }, call);
        var hits = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = OnArrival("hits", "sum(last_5m):sum:app.hits{*} by {host} > 10") }, call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var v2 = $$"""{"series":[{"metric":"system.load.1","type":3,"points":[{"timestamp":{{now}},"value":5.5}],"resources":[{"name":"web-1","type":"host"}],"tags":["env:prod","canary"]}]}""";
        var v1 = $$"""{"series":[{"metric":"app.hits","type":"count","interval":10,"points":[[{{now}}, 12]],"host":"web-2","tags":["env:prod"]}]}""";
        var v2Answer = await Post(http, DatadogSeriesEndpoint.V2Route, Compressed(v2, "gzip"), IngestKey);
        var v1Answer = await Post(http, DatadogSeriesEndpoint.V1Route, Compressed(v1, "deflate"), IngestKey);

        Assert.Equal(HttpStatusCode.Accepted, v2Answer.Status);
        Assert.Equal("""{"errors":[]}""", v2Answer.Body);
        Assert.Equal(HttpStatusCode.Accepted, v1Answer.Status);
        var fired = new Dictionary<string, string>(StringComparer.Ordinal);
        while (fired.Count < 2 && await subscription.ResponseStream.MoveNext(timeout.Token))
        {
            var e = subscription.ResponseStream.Current;
            Assert.Equal("ALERT", e.NewState);
            fired.Add(e.MonitorId, e.GroupKey);
        }

        Assert.Equal("host:web-1", fired[load.Monitor.Id]);
        Assert.Equal("host:web-2", fired[hits.Monitor.Id]);
    }

    [Fact]
    public async Task Keys_are_checked_and_bad_payloads_are_400_naming_the_field()
    {
        var options = TestServer.Options();
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = IngestKey, Scopes = { "ingest" } });
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = ReadKey, Scopes = { "read" } });
        await using var server = await TestServer.StartAsync(options);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        HttpContent Json(string text) => new StringContent(text, Encoding.UTF8, "application/json");
        var valid = $$"""{"series":[{"metric":"m","points":[{"timestamp":{{now}},"value":1}]}]}""";

        var anonymous = await Post(http, DatadogSeriesEndpoint.V2Route, Json(valid), null);
        var readOnly = await Post(http, DatadogSeriesEndpoint.V2Route, Json(valid), ReadKey);
        var notJson = await Post(http, DatadogSeriesEndpoint.V2Route, Json("{series:"), IngestKey);
        var badType = await Post(http, DatadogSeriesEndpoint.V2Route, Json($$"""{"series":[{"metric":"m","type":9,"points":[]}]}"""), IngestKey);
        var badValue = await Post(http, DatadogSeriesEndpoint.V1Route, Json($$"""{"series":[{"metric":"m","points":[[{{now}}, "high"]]}]}"""), IngestKey);
        var negativeInterval = await Post(http, DatadogSeriesEndpoint.V2Route, Json($$"""{"series":[{"metric":"m","interval":-1,"points":[]}]}"""), IngestKey);
        var protobuf = new ByteArrayContent([1, 2, 3]);
        protobuf.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");
        var agentProtobuf = await Post(http, DatadogSeriesEndpoint.V2Route, protobuf, IngestKey);
        var ok = await Post(http, DatadogSeriesEndpoint.V2Route, Json(valid), IngestKey);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Contains("DD-API-KEY", anonymous.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, readOnly.Status);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badType.Status);
        Assert.Contains("series[0].type", badType.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badValue.Status);
        Assert.Contains("series[0].points[0][1]", badValue.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, negativeInterval.Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, agentProtobuf.Status);
        Assert.Contains("use_v2_api.series", agentProtobuf.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, ok.Status);
    }

    [Theory]
    [InlineData(0, MetricType.Gauge)]
    [InlineData(1, MetricType.Count)]
    [InlineData(2, MetricType.Rate)]
    [InlineData(3, MetricType.Gauge)]
    public void V2_types_map_onto_MetricType(int code, MetricType type)
    {
        using var json = JsonDocument.Parse($$"""{"series":[{"metric":"m","type":{{code}},"interval":10,"points":[{"timestamp":1700000000,"value":2}]}]}""");
        var point = Assert.Single(DatadogSeriesConverter.FromV2(json.RootElement).Points);
        Assert.Equal(type, point.Type);
        Assert.Equal(1_700_000_000_000, point.UnixMs);
        Assert.Equal(2, point.Value);
    }

    private static Alerting.Protocol.Log.Monitor OnArrival(string name, string query) => new()
    {
        Name = name,
        Type = "metric",
        Query = query,
        Message = name,
        Options = new Alerting.Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, OnArrival = true },
    };
}
