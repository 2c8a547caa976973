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

        if (options.Ramp)
        {
            var series = await RampAsync(result, target, options, output, cancellationToken).ConfigureAwait(false);
            await Workload.CheckHeldAsync(result, target, options.Monitors, series, cancellationToken).ConfigureAwait(false);
            return result;
        }

        var before = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await output.WithProgressAsync(
            string.Create(CultureInfo.InvariantCulture, $"ingest: {options.Streams} streams × batches of {options.Batch}, {options.Series} series, {options.Rate:N0} points/s for {options.Warmup} s warm-up + {options.Seconds} s"),
            progress => OpenLoop.RunAsync(target, options, MetricBase, progress, cancellationToken)).ConfigureAwait(false);
        await OpenLoop.ReportAsync(result, target, options, before, outcome, "M1", cancellationToken).ConfigureAwait(false);
        await Workload.CheckHeldAsync(result, target, options.Monitors, outcome.DistinctSeries, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// The ramp: open-loop steps on one server from <see cref="RunOptions.Rate"/> up, each
    /// <see cref="RunOptions.RampFactor"/> times the last (each with its own warm-up), until a
    /// step misses the M1 bar: ack p99 over 10 ms, or less accepted than offered. Every step's
    /// acks are checked like a plain run's. <c>M1.ramp.best</c> is the highest offered rate
    /// that held (0: not even the first). Returns the series written (every step starts its
    /// series walk at the same place, so the biggest step covers the others').
    /// </summary>
    private static async Task<int> RampAsync(ScenarioResult result, Target target, RunOptions options, Output output, CancellationToken cancellationToken)
    {
        double best = 0;
        var series = 0;
        var rate = (double)options.Rate;
        for (var step = 1; step <= options.RampSteps; step++)
        {
            var stepOptions = options with { Rate = (int)Math.Min(int.MaxValue, Math.Round(rate)) };
            var before = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
            var outcome = await output.WithProgressAsync(
                string.Create(CultureInfo.InvariantCulture, $"ingest ramp step {step}: {stepOptions.Rate:N0} points/s for {options.Warmup} s warm-up + {options.Seconds} s"),
                progress => OpenLoop.RunAsync(target, stepOptions, MetricBase, progress, cancellationToken)).ConfigureAwait(false);
            await OpenLoop.ReportAsync(result, target, stepOptions, before, outcome, $"M1.ramp.{step}", cancellationToken,
                string.Create(CultureInfo.InvariantCulture, $"step {step} ({stepOptions.Rate:N0} points/s): ")).ConfigureAwait(false);
            series = Math.Max(series, outcome.DistinctSeries);
            var p99Ms = outcome.Latency.GetValueAtPercentile(99) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
            var held = p99Ms <= 10 && OpenLoop.Median(outcome.PerSecond) >= 0.99 * stepOptions.Rate;
            if (!held)
            {
                break;
            }

            best = stepOptions.Rate;
            rate *= options.RampFactor;
        }

        result.Add("M1.ramp.best", "highest offered rate at which ack p99 ≤ 10 ms and every offered point was accepted", best, "points/s", "≥ 1 000 000 points/s (local)", best >= 1_000_000);
        return series;
    }

    public static Dictionary<string, string> Parameters(RunOptions options) => new()
    {
        ["ramp"] = options.Ramp ? string.Create(CultureInfo.InvariantCulture, $"×{options.RampFactor} up to {options.RampSteps} steps") : "off",
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
