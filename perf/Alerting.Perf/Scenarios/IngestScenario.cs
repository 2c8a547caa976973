using System.Globalization;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// M1: the open-loop generator over <see cref="RunOptions.Series"/> series, optionally with
/// <see cref="RunOptions.Monitors"/> host-scoped monitors on them; acks come after durability.
/// </summary>
internal static class IngestScenario
{
    public const string MetricBase = "perf.ingest";

    public static async Task<ScenarioResult> RunAsync(RunOptions options, Output output, CancellationToken cancellationToken)
    {
        var result = new ScenarioResult
        {
            Scenario = "ingest",
            Parameters = Parameters(options),
        };
        await using var target = await Target.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        if (options.Monitors > 0)
        {
            await output.WithProgressAsync($"ingest: creating {options.Monitors} monitors", progress =>
                Workload.CreateMonitorsAsync(target, options, options.Monitors,
                    k => Workload.HostMonitor(options.NameOf($"perf-ingest-{k}"), options.MetricOf(MetricBase, k % options.Series), k % options.Series, options.IntervalSeconds),
                    progress, cancellationToken)).ConfigureAwait(false);
        }

        var before = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await output.WithProgressAsync(
            string.Create(CultureInfo.InvariantCulture, $"ingest: {options.Streams} streams × batches of {options.Batch}, {options.Series} series, {options.Rate:N0} points/s for {options.Warmup} s warm-up + {options.Seconds} s"),
            progress => OpenLoop.RunAsync(target, options, MetricBase, progress, cancellationToken)).ConfigureAwait(false);
        await OpenLoop.ReportAsync(result, target, options, before, outcome, "M1", cancellationToken).ConfigureAwait(false);
        await Workload.CheckHeldAsync(result, target, options.Monitors, outcome.DistinctSeries, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public static Dictionary<string, string> Parameters(RunOptions options) => new()
    {
        ["seconds"] = options.Seconds.ToString(CultureInfo.InvariantCulture),
        ["warmup_s"] = options.Warmup.ToString(CultureInfo.InvariantCulture),
        ["rate"] = options.Rate.ToString(CultureInfo.InvariantCulture),
        ["streams"] = options.Streams.ToString(CultureInfo.InvariantCulture),
        ["series"] = options.Series.ToString(CultureInfo.InvariantCulture),
        ["batch"] = options.Batch.ToString(CultureInfo.InvariantCulture),
        ["monitors"] = options.Monitors.ToString(CultureInfo.InvariantCulture),
        ["metrics"] = options.Metrics.ToString().ToLowerInvariant(),
        ["interval_s"] = options.IntervalSeconds.ToString(CultureInfo.InvariantCulture),
        ["server"] = options.Target?.ToString() ?? (options.Cluster ? "own three-node cluster (replicated)" : "own process"),
    };
}
