using System.Diagnostics;
using System.Globalization;
using Alerting.Client;
using Alerting.Protocol.V1;
using Grpc.Core;
using MonitorDefinition = Alerting.Protocol.Log.Monitor;

namespace Alerting.Perf;

/// <summary>Closed-loop helpers that set a server up: create monitors, write series.</summary>
internal static class Workload
{
    /// <summary>A single-series monitor scoped to one host: <c>avg(last_5m):avg:METRIC{host:hK} > 90</c>.</summary>
    public static MonitorDefinition HostMonitor(string name, string metric, int k, int intervalSeconds) => new()
    {
        Name = name,
        Type = "metric",
        Query = $"avg(last_5m):avg:{metric}{{{RunOptions.HostTag(k)}}} > 90",
        Options = new Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, EvaluationIntervalMs = intervalSeconds * 1000L },
    };

    /// <summary>Creates monitors 0..count-1 with <paramref name="concurrency"/> calls in flight; returns the elapsed time.</summary>
    public static async Task<TimeSpan> CreateMonitorsAsync(Target target, RunOptions options, int count, Func<int, MonitorDefinition> make, Action<string> progress, CancellationToken cancellationToken)
    {
        var client = new Monitors.MonitorsClient(target.Channel);
        var next = -1;
        var done = 0;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, Math.Max(1, options.Concurrency)).Select(_ => Task.Run(async () =>
        {
            int k;
            while ((k = Interlocked.Increment(ref next)) < count)
            {
                await client.CreateAsync(new CreateMonitorRequest { Monitor = make(k) }, options.Headers(), cancellationToken: cancellationToken);
                var n = Interlocked.Increment(ref done);
                progress(string.Create(CultureInfo.InvariantCulture, $"monitors {n}/{count} ({n / Stopwatch.GetElapsedTime(started).TotalSeconds:F0}/s)"));
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Outcome of writing series: what the acks said.</summary>
    internal sealed record Written(TimeSpan Elapsed, long Points, long Accepted, long Rejected, string RejectReasons);

    /// <summary>
    /// Writes <paramref name="pointsPerSeries"/> points (spread over the last 5 minutes, the
    /// newest now) to each of series 0..count-1, in batches of <see cref="RunOptions.Batch"/>,
    /// <see cref="RunOptions.Streams"/> requests in flight.
    /// </summary>
    public static async Task<Written> WriteSeriesAsync(Target target, RunOptions options, int count, Func<int, string> metricOf, int pointsPerSeries, Action<string> progress, CancellationToken cancellationToken)
    {
        var seriesPerBatch = Math.Max(1, Math.Min(options.Batch, 10_000) / pointsPerSeries);
        var batches = (count + seriesPerBatch - 1) / seriesPerBatch;
        var next = -1;
        long points = 0, accepted = 0, rejected = 0;
        var reasons = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var step = 300_000 / pointsPerSeries;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, Math.Max(1, options.Streams)).Select(_ => Task.Run(async () =>
        {
            // One writer per worker: it numbers its batches, so a retry after a dropped connection
            // or a full ring cannot write a series' points twice.
            using var writer = new AlertingWriter(new AlertingWriterOptions { Nodes = [target.Grpc], ApiKey = options.ApiKey, ClientId = BatchSequence.NewClientId("perf-series") });
            int b;
            while ((b = Interlocked.Increment(ref next)) < batches)
            {
                var request = new WriteRequest { BatchId = (ulong)b };
                for (var k = b * seriesPerBatch; k < Math.Min(count, (b + 1) * seriesPerBatch); k++)
                {
                    var metric = metricOf(k);
                    var host = RunOptions.HostTag(k);
                    for (var j = 0; j < pointsPerSeries; j++)
                    {
                        request.Points.Add(new Point { Metric = metric, Tags = { host }, UnixMs = now - ((pointsPerSeries - 1 - j) * (long)step), Value = k % 100 });
                    }
                }

                var ack = await writer.WriteAsync(request, cancellationToken);
                Interlocked.Add(ref points, request.Points.Count);
                Interlocked.Add(ref accepted, ack.Accepted);
                foreach (var r in ack.Rejected)
                {
                    Interlocked.Add(ref rejected, r.Count);
                    reasons.AddOrUpdate(r.Reason, r.Count, (_, c) => c + r.Count);
                }

                progress(string.Create(CultureInfo.InvariantCulture, $"series {Math.Min(count, (b + 1) * seriesPerBatch)}/{count}"));
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return new Written(Stopwatch.GetElapsedTime(started), points, accepted, rejected, string.Join(", ", reasons.Select(r => $"{r.Key} {r.Value}")));
    }

    /// <summary>Adds the checks every write must pass: all points accepted, and the server's own count agrees.</summary>
    public static async Task CheckWrittenAsync(ScenarioResult result, Target target, Scrape before, Written written, CancellationToken cancellationToken)
    {
        result.Check("every point accepted", written.Accepted == written.Points && written.Rejected == 0,
            $"{written.Accepted} of {written.Points} accepted, {written.Rejected} rejected {written.RejectReasons}");
        var expected = before.Long(MetricsClient.Accepted) + written.Accepted;
        var (after, held) = await target.Metrics.WaitForAsync(s => s.Long(MetricsClient.Accepted) >= expected, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        var counted = after.Long(MetricsClient.Accepted) - before.Long(MetricsClient.Accepted);
        result.Check("server counted the acks' points", held && counted == written.Accepted, $"server {counted}, acks {written.Accepted}");
    }

    /// <summary>Waits until the server's state holds at least the monitors and series expected (own server: exactly).</summary>
    public static async Task<Scrape> CheckHeldAsync(ScenarioResult result, Target target, long monitors, long series, CancellationToken cancellationToken)
    {
        bool Matches(Scrape s) => target.Owned
            ? s.Long(MetricsClient.MonitorCount) == monitors && s.Long(MetricsClient.SeriesCount) == series
            : s.Long(MetricsClient.MonitorCount) >= monitors && s.Long(MetricsClient.SeriesCount) >= series;
        var (scrape, held) = await target.Metrics.WaitForAsync(Matches, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        result.Check("server holds the monitors and series", held,
            $"monitors {scrape.Long(MetricsClient.MonitorCount)} (want {monitors}), series {scrape.Long(MetricsClient.SeriesCount)} (want {series})");
        return scrape;
    }

    public static Exception Unavailable(RpcException e) => new HarnessException($"the server refused a call: {e.Status}");
}
