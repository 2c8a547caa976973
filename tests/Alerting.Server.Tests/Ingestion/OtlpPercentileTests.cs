using System.Diagnostics.Metrics;
using Alerting.Protocol.V1;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.Ingestion;

/// <summary>
/// A percentile monitor fires from the OpenTelemetry .NET SDK's histogram, exported by its own
/// OTLP exporter to the real server (HTTP/protobuf and gRPC on loopback): the histogram's bucket
/// series (<c>name.bucket</c>, <c>le</c>) are what <c>percentile(...):p90:name</c> reads.
/// </summary>
public sealed class OtlpPercentileTests
{
    private const string IngestKey = "ingest-key-0123456789";

    [Theory]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    [InlineData(OtlpExportProtocol.Grpc)]
    public async Task A_p90_monitor_fires_from_an_SDK_histogram(OtlpExportProtocol protocol)
    {
        var options = TestServer.Options();
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = IngestKey, Scopes = { "admin" } });
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token, IngestKey);
        var slow = await server.Monitors.UpsertAsync(
            new UpsertMonitorRequest { Monitor = OnArrival("slow", "percentile(last_5m):p90:interop.latency{service.name:interop} by {room} > 0.5") },
            call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);

        using var meter = new Meter("percentile-" + protocol);
        var latency = meter.CreateHistogram<double>("interop.latency");
        var room = new KeyValuePair<string, object?>("room", "lab");
        using var provider = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("interop"))
            .AddMeter(meter.Name)
            .AddView("interop.latency", new ExplicitBucketHistogramConfiguration { Boundaries = [0.1, 0.5, 1] })
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = protocol == OtlpExportProtocol.Grpc ? server.Host.GrpcAddress : new Uri(server.Host.HttpAddress, "/v1/metrics");
                exporter.Headers = "authorization=Bearer " + IngestKey;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)TimeSpan.FromHours(1).TotalMilliseconds;
            })
            .Build();

        // Cumulative: the first export sets each bucket's base (a slow one the monitor must not
        // see), the second carries the deltas: 5 fast requests and 5 at 0.8 s.
        latency.Record(5, room);
        Assert.True(provider.ForceFlush(), "first export succeeded");
        for (var i = 0; i < 5; i++)
        {
            latency.Record(0.05, room);
            latency.Record(0.8, room);
        }

        Assert.True(provider.ForceFlush(), "second export succeeded");

        Assert.True(await subscription.ResponseStream.MoveNext(timeout.Token));
        var e = subscription.ResponseStream.Current;
        Assert.Equal((slow.Monitor.Id, "room:lab", "ALERT"), (e.MonitorId, e.GroupKey, e.NewState));

        // rank 9 of 10 is the 4th of the 5 in (0.5, 1]: 0.5 + 0.5 × 4/5.
        Assert.Equal(0.9, e.Value, 12);
    }

    [Fact]
    public async Task A_percentile_in_a_formula_is_invalid_argument_naming_query_and_its_column()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        const string query = "avg(last_5m):sum:a{*} / p99:request.latency{*} > 1";
        var monitor = OnArrival("bad", query);

        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = monitor }, call).ResponseAsync);
        var validation = await server.Monitors.ValidateAsync(new ValidateMonitorRequest { Monitor = monitor }, call);

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("monitor.query: percentile 'p99' needs the time aggregation percentile(…)", error.Status.Detail, StringComparison.Ordinal);
        var only = Assert.Single(validation.Errors);
        Assert.Equal(("query", query.IndexOf("p99", StringComparison.Ordinal) + 1), (only.Field, only.Column));
    }

    private static Monitor OnArrival(string name, string query) => new()
    {
        Name = name,
        Type = "metric",
        Query = query,
        Message = name,
        Options = new Alerting.Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, OnArrival = true },
    };
}
