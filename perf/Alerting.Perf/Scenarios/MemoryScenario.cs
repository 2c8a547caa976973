using System.Globalization;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// M6: the server's resident memory and managed heap (from its <c>/metrics</c>: the runtime's
/// <c>System.Runtime</c> meter) before and after adding N single-series monitors, then N series
/// each holding a 5-minute window of points; the differences divided by N.
/// </summary>
internal static class MemoryScenario
{
    public static async Task<ScenarioResult> RunAsync(RunOptions options, Output output, CancellationToken cancellationToken)
    {
        var n = options.Count;
        var result = new ScenarioResult
        {
            Scenario = "memory",
            Parameters = new()
            {
                ["count"] = n.ToString(CultureInfo.InvariantCulture),
                ["window_points"] = options.WindowPoints.ToString(CultureInfo.InvariantCulture),
                ["metrics"] = options.Metrics.ToString().ToLowerInvariant(),
                ["server"] = options.Target?.ToString() ?? (options.Cluster ? "own three-node cluster (replicated)" : "own process"),
            },
        };
        await using var target = await Target.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        var empty = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        if (!empty.Has(MetricsClient.WorkingSet))
        {
            throw new HarnessException($"the server's /metrics has no {MetricsClient.WorkingSet}: it does not export the System.Runtime meter");
        }

        await output.WithProgressAsync($"memory: {n} single-series monitors", progress =>
            Workload.CreateMonitorsAsync(target, options, n, k => Workload.HostMonitor(options.NameOf($"perf-mem-{k}"), options.MetricOf("perf.mem", k), k, 60), progress, cancellationToken)).ConfigureAwait(false);
        var monitors = await Workload.CheckHeldAsync(result, target, n, 0, cancellationToken).ConfigureAwait(false);
        var before = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var written = await output.WithProgressAsync($"memory: {n} series × {options.WindowPoints} points over 5 minutes", progress =>
            Workload.WriteSeriesAsync(target, options, n, k => options.MetricOf("perf.mem", k), options.WindowPoints, progress, cancellationToken)).ConfigureAwait(false);
        await Workload.CheckWrittenAsync(result, target, before, written, cancellationToken).ConfigureAwait(false);
        var series = await Workload.CheckHeldAsync(result, target, n, n, cancellationToken).ConfigureAwait(false);

        double Per(Scrape from, Scrape to, string name) => (to[name] - from[name]) / n;
        var rssMonitor = Per(empty, monitors, MetricsClient.WorkingSet);
        var rssSeries = Per(monitors, series, MetricsClient.WorkingSet);
        result.Add("M6.rss_per_monitor", "resident bytes per single-series monitor", rssMonitor, "B", "≤ 400 B", rssMonitor <= 400);
        result.Add("M6.rss_per_series", "resident bytes per series (5-minute window)", rssSeries, "B", "≤ 1 KiB", rssSeries <= 1024);
        result.Add("M6.heap_per_monitor", "managed heap (after last GC) per monitor", Per(empty, monitors, MetricsClient.HeapAfterGc), "B");
        result.Add("M6.heap_per_series", "managed heap (after last GC) per series", Per(monitors, series, MetricsClient.HeapAfterGc), "B");
        result.Add("M6.alloc_per_monitor", "allocated per monitor created", Per(empty, monitors, MetricsClient.Allocated), "B");
        result.Add("M6.alloc_per_point", "allocated per point written", (series[MetricsClient.Allocated] - monitors[MetricsClient.Allocated]) / Math.Max(1, written.Points), "B");
        result.Add("M6.rss_total", "server resident memory at the end", series[MetricsClient.WorkingSet], "B");
        result.Notes.Add("resident memory includes what the runtime has not returned to the OS, and the heap figure is as of the last GC (garbage not yet collected in gen 1/2 counts); both are upper bounds, and small N is dominated by noise");
        return result;
    }
}
