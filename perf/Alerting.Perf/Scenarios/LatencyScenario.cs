using System.Diagnostics;
using System.Globalization;
using Alerting.Protocol.V1;
using Grpc.Core;
using HdrHistogram;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// M2: an <c>on_arrival</c> monitor over one series; sample i is due at start + i / rate and
/// writes a point alternately above and below the threshold, so every sample must produce
/// exactly one transition (ALERT, OK, ALERT, ...). Latency runs from the due time to the
/// transition's arrival on a subscription (fsync included: points apply once durable).
/// </summary>
internal static class LatencyScenario
{
    public static async Task<ScenarioResult> RunAsync(RunOptions options, Output output, CancellationToken cancellationToken)
    {
        var result = new ScenarioResult
        {
            Scenario = "latency",
            Parameters = new()
            {
                ["samples"] = options.Samples.ToString(CultureInfo.InvariantCulture),
                ["sample_rate"] = options.SampleRate.ToString(CultureInfo.InvariantCulture),
                ["server"] = options.Target?.ToString() ?? (options.Cluster ? "own three-node cluster (replicated)" : "own process"),
            },
        };
        await using var target = await Target.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        var monitors = new Monitors.MonitorsClient(target.Channel);
        var ingest = new Ingest.IngestClient(target.Channel);
        var alerts = new Alerts.AlertsClient(target.Channel);
        var run = "m2-" + Guid.NewGuid().ToString("N")[..8];
        var created = await monitors.CreateAsync(new CreateMonitorRequest
        {
            Monitor = new Protocol.Log.Monitor
            {
                Name = run,
                Type = "metric",
                Query = "last(last_1m):max:perf.latency{*} by {run} > 50",
                Options = new Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, OnArrival = true },
            },
        }, options.Headers(), cancellationToken: cancellationToken);
        var monitorId = created.Monitor.Id;
        var histogram = new LongHistogram(TimeStamp.Seconds(120), 3);
        long wrongState = 0;
        long received = 0;

        using (var subscription = alerts.Subscribe(new SubscribeRequest { FromIndex = created.LogIndex, MonitorId = monitorId }, options.Headers(), cancellationToken: cancellationToken))
        {
            var events = subscription.ResponseStream;
            var period = (double)Stopwatch.Frequency / Math.Max(1, options.SampleRate);
            var started = Stopwatch.GetTimestamp();
            await output.WithProgressAsync($"latency: {options.Samples} transitions at {options.SampleRate}/s", async progress =>
            {
                for (var i = 0; i < options.Samples; i++)
                {
                    var due = started + (long)(i * period);
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                    }

                    var above = i % 2 == 0;
                    await ingest.WriteBatchAsync(new WriteRequest
                    {
                        Points = { new Point { Metric = "perf.latency", Tags = { "run:" + run }, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = above ? 100 : 0 } },
                    }, options.Headers(), cancellationToken: cancellationToken);
                    if (!await events.MoveNext(cancellationToken))
                    {
                        throw new HarnessException("the subscription ended");
                    }

                    histogram.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - due));
                    received++;
                    if (events.Current.NewState != (above ? "ALERT" : "OK"))
                    {
                        wrongState++;
                    }

                    progress(string.Create(CultureInfo.InvariantCulture, $"{i + 1}/{options.Samples} transitions, last {histogram.GetMaxValue() * 1000.0 / Stopwatch.Frequency:F1} ms max so far"));
                }

                return 0;
            }).ConfigureAwait(false);
        }

        OpenLoop.Latency(result, "M2", "write → transition", histogram, p99Bar: 10, p50Bar: 2);
        var history = await alerts.HistoryAsync(new HistoryRequest { MonitorId = monitorId, Limit = Math.Min(options.Samples + 10, 10_000) }, options.Headers(), cancellationToken: cancellationToken);
        result.Check("one transition per crossing write", received == options.Samples && wrongState == 0 && history.Events.Count == Math.Min(options.Samples, 10_000),
            $"{received} events received for {options.Samples} crossings ({wrongState} in the wrong state), history holds {history.Events.Count}");
        await monitors.DeleteAsync(new DeleteMonitorRequest { Id = monitorId }, options.Headers(), cancellationToken: cancellationToken);
        return result;
    }
}
