using System.Globalization;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// B6 at the macro level. Forward: N monitors on one metric, each scoped to one host, then the
/// first write of N new series (one per host): time until every point is acknowledged. Reverse:
/// N series exist, then N monitors over them are created: time until every create returns.
/// The bar is B6's "100 k in ≤ 1 s", scaled linearly to N.
/// </summary>
internal static class MatchingScenario
{
    public static async Task<ScenarioResult> RunAsync(RunOptions options, Output output, CancellationToken cancellationToken)
    {
        var n = options.Count;
        var result = new ScenarioResult
        {
            Scenario = "matching",
            Parameters = new()
            {
                ["count"] = n.ToString(CultureInfo.InvariantCulture),
                ["batch"] = options.Batch.ToString(CultureInfo.InvariantCulture),
                ["streams"] = options.Streams.ToString(CultureInfo.InvariantCulture),
                ["concurrency"] = options.Concurrency.ToString(CultureInfo.InvariantCulture),
                ["metrics"] = options.Metrics.ToString().ToLowerInvariant(),
                ["server"] = options.Target?.ToString() ?? (options.Cluster ? "own three-node cluster (replicated)" : "own process"),
            },
        };
        var barSeconds = n / 100_000.0;
        var bar = string.Create(CultureInfo.InvariantCulture, $"≤ {barSeconds:0.###} s (B6: 100 k in 1 s, linear)");
        await using var target = await Target.OpenAsync(options, cancellationToken).ConfigureAwait(false);

        // Forward: monitors first, then the first write of each series.
        var forwardCreate = await output.WithProgressAsync($"matching: {n} host-scoped monitors", progress =>
            Workload.CreateMonitorsAsync(target, options, n, k => Workload.HostMonitor(options.NameOf($"perf-match-a-{k}"), options.MetricOf("perf.match.a", k), k, 60), progress, cancellationToken)).ConfigureAwait(false);
        var before = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var forward = await output.WithProgressAsync($"matching: first write of {n} new series", progress =>
            Workload.WriteSeriesAsync(target, options, n, k => options.MetricOf("perf.match.a", k), 1, progress, cancellationToken)).ConfigureAwait(false);
        result.Add("B6.monitors_created", "create N host-scoped monitors (no series yet)", forwardCreate.TotalSeconds, "s");
        result.Add("B6.new_series", "first write of N new series, N monitors waiting → all acked", forward.Elapsed.TotalSeconds, "s", bar, forward.Elapsed.TotalSeconds <= barSeconds);
        await Workload.CheckWrittenAsync(result, target, before, forward, cancellationToken).ConfigureAwait(false);

        // Reverse: series first, then the monitors that match them.
        before = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var seeded = await output.WithProgressAsync($"matching: {n} series without monitors", progress =>
            Workload.WriteSeriesAsync(target, options, n, k => options.MetricOf("perf.match.b", k), 1, progress, cancellationToken)).ConfigureAwait(false);
        await Workload.CheckWrittenAsync(result, target, before, seeded, cancellationToken).ConfigureAwait(false);
        var reverse = await output.WithProgressAsync($"matching: {n} monitors over existing series", progress =>
            Workload.CreateMonitorsAsync(target, options, n, k => Workload.HostMonitor(options.NameOf($"perf-match-b-{k}"), options.MetricOf("perf.match.b", k), k, 60), progress, cancellationToken)).ConfigureAwait(false);
        result.Add("B6.new_monitors", "create N monitors over N existing series → all acked", reverse.TotalSeconds, "s", bar, reverse.TotalSeconds <= barSeconds);
        result.Add("B6.series_written_unmatched", "write N new series with no monitor on them", seeded.Elapsed.TotalSeconds, "s");
        await Workload.CheckHeldAsync(result, target, 2L * n, 2L * n, cancellationToken).ConfigureAwait(false);
        result.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"monitor creation is one API call each ({options.Concurrency} in flight), so the reverse figure includes per-call gRPC and commit cost; compare it with 'create N monitors (no series yet)'"));
        return result;
    }
}
