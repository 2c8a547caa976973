using System.Diagnostics;
using System.Globalization;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;

namespace Alerting.LoadClient;

/// <summary>
/// M2: an <c>on_arrival</c> monitor over one series; each sample writes a point that crosses
/// the threshold (alternately above and below, so every sample is a transition) and measures
/// the time until the subscription delivers that transition. fsync is included: the server
/// applies a point only once it is durable.
/// </summary>
internal static class AlertLatencyScenario
{
    public static async Task<string> RunAsync(GrpcChannel channel, LoadOptions options)
    {
        var monitors = new Monitors.MonitorsClient(channel);
        var ingest = new Ingest.IngestClient(channel);
        var alerts = new Alerts.AlertsClient(channel);
        var name = "m2-latency-" + Guid.NewGuid().ToString("N")[..8];
        var created = await monitors.UpsertAsync(new UpsertMonitorRequest
        {
            Monitor = new Protocol.Log.Monitor
            {
                Name = name,
                Type = "metric",
                Query = "last(last_1m):max:m2.latency{*} by {run} > 50",
                Options = new MonitorOptions { OnArrival = true },
            },
        }, options.Headers());
        var monitorId = created.Monitor.Id;
        var histogram = new LongHistogram(TimeStamp.Seconds(60), 3);

        using var subscription = alerts.Subscribe(new SubscribeRequest { FromIndex = created.LogIndex, MonitorId = monitorId }, options.Headers());
        var events = subscription.ResponseStream;
        for (var i = 0; i < options.Samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var request = new WriteRequest
            {
                Points = { new Point { Metric = "m2.latency", Tags = { "run:" + name }, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = i % 2 == 0 ? 100 : 0 } },
            };
            await ingest.WriteBatchAsync(request, options.Headers());
            if (!await events.MoveNext(CancellationToken.None))
            {
                throw new InvalidOperationException("the subscription ended");
            }

            histogram.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - started));
        }

        await monitors.DeleteAsync(new DeleteMonitorRequest { Id = monitorId }, options.Headers());
        return string.Create(CultureInfo.InvariantCulture, $"""
            M2 alert latency ({options.Samples} transitions, write of the crossing point → event on the subscription)
              {IngestScenario.Percentiles(histogram)}
            """);
    }
}
