using System.Diagnostics.Metrics;
using Alerting.Protocol.V1;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.Ingestion;

/// <summary>The OpenTelemetry .NET SDK's own OTLP exporter is the client, over HTTP/protobuf and gRPC.</summary>
public sealed class OtlpInteropTests
{
    private const string IngestKey = "ingest-key-0123456789";

    [Theory]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    [InlineData(OtlpExportProtocol.Grpc)]
    public async Task Monitors_on_an_SDK_gauge_and_counter_fire_from_OTLP_exports(OtlpExportProtocol protocol)
    {
        var options = TestServer.Options();
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = IngestKey, Scopes = { "admin" } });
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token, IngestKey);
        var gauge = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = OnArrival("hot", "max(last_1m):max:interop.temperature{service.name:interop} by {room} > 90") }, call);
        var counter = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = OnArrival("busy", "sum(last_1m):sum:interop.requests{service.name:interop} by {room} > 3") }, call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);

        using var meter = new Meter("interop-" + protocol);
        var requests = meter.CreateCounter<long>("interop.requests");
        var room = new KeyValuePair<string, object?>("room", "lab");
        meter.CreateObservableGauge("interop.temperature", () => new Measurement<double>(95, room));
        using var provider = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("interop"))
            .AddMeter(meter.Name)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = protocol == OtlpExportProtocol.Grpc ? server.Host.GrpcAddress : new Uri(server.Host.HttpAddress, "/v1/metrics");
                exporter.Headers = "authorization=Bearer " + IngestKey;
                // Exports happen when the test flushes, not on a timer.
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)TimeSpan.FromHours(1).TotalMilliseconds;
            })
            .Build();

        // Cumulative (the SDK's default): the first export sets the counter's base, the second
        // carries the delta 4, which the monitor needs (> 3).
        requests.Add(3, room);
        Assert.True(provider.ForceFlush(), "first export succeeded");
        requests.Add(4, room);
        Assert.True(provider.ForceFlush(), "second export succeeded");

        var firing = new Dictionary<string, double?>(StringComparer.Ordinal);
        while (firing.Count < 2 && await subscription.ResponseStream.MoveNext(timeout.Token))
        {
            var e = subscription.ResponseStream.Current;
            Assert.Equal("ALERT", e.NewState);
            Assert.Equal("room:lab", e.GroupKey);
            firing.Add(e.MonitorId, e.HasValue ? e.Value : null);
        }

        Assert.Equal(95, firing[gauge.Monitor.Id]);
        // The window summed the one delta, not the cumulative values 3 and 7.
        Assert.Equal(4, firing[counter.Monitor.Id]);
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
