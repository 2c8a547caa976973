using System.Diagnostics;
using System.Globalization;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// M3, scaled by flags: N monitors on an <c>--interval</c> schedule while the open-loop
/// generator streams points at <c>--rate</c>. From the server's counters it reports evaluations
/// done against the number the schedule owes over the window and the caught-up count; from
/// its lateness histogram (fixed buckets) the window's lateness p50 and p99, interpolated
/// inside the bucket as Prometheus' <c>histogram_quantile</c> does.
/// </summary>
internal static class ScheduleScenario
{
    public static async Task<ScenarioResult> RunAsync(RunOptions options, Output output, CancellationToken cancellationToken)
    {
        var n = options.Count;
        var result = new ScenarioResult
        {
            Scenario = "schedule",
            Parameters = IngestScenario.Parameters(options),
        };
        result.Parameters["count"] = n.ToString(CultureInfo.InvariantCulture);
        await using var target = await Target.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        await output.WithProgressAsync($"schedule: {n} monitors every {options.IntervalSeconds} s", progress =>
            Workload.CreateMonitorsAsync(target, options, n, k => Workload.HostMonitor(options.NameOf($"perf-sched-{k}"), options.MetricOf(IngestScenario.MetricBase, k % options.Series), k % options.Series, options.IntervalSeconds), progress, cancellationToken)).ConfigureAwait(false);
        await Workload.CheckHeldAsync(result, target, n, 0, cancellationToken).ConfigureAwait(false);

        var before = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var outcome = await output.WithProgressAsync($"schedule: streaming {options.Rate:N0} points/s for {options.Warmup} s warm-up + {options.Seconds} s", progress =>
            OpenLoop.RunAsync(target, options, IngestScenario.MetricBase, progress, cancellationToken)).ConfigureAwait(false);
        var after = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var window = Stopwatch.GetElapsedTime(started).TotalSeconds;

        await OpenLoop.ReportAsync(result, target, options, before, outcome, "M3.ingest", cancellationToken).ConfigureAwait(false);
        var done = after.Long(MetricsClient.Scheduled) - before.Long(MetricsClient.Scheduled);
        var caughtUp = after.Long(MetricsClient.CaughtUp) - before.Long(MetricsClient.CaughtUp);
        // The server copies its counters about once a second, so each scrape may lag by up to
        // that: the schedule owes at least N × floor((window − 2 s) / interval) in between.
        var owed = (long)n * (long)Math.Floor(Math.Max(0, window - 2) / options.IntervalSeconds);
        var missed = Math.Max(0, owed - done);
        result.Add("M3.evaluations", "scheduled evaluations done in the window", done, "");
        result.Add("M3.owed", "evaluations the schedule owes at least", owed, "");
        result.Add("M3.missed", "missed evaluations (owed − done, ≥ 0)", missed, "", "0", missed == 0);
        result.Add("M3.caught_up", "evaluations caught up late after a time jump", caughtUp, "", "0", caughtUp == 0);
        ReportLateness(result, before, after, done);
        await Workload.CheckHeldAsync(result, target, n, outcome.DistinctSeries, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Lateness p50 and p99 of the evaluations scheduled between two scrapes, from the histogram's buckets.</summary>
    internal static void ReportLateness(ScenarioResult result, Scrape before, Scrape after, long done)
    {
        var (bounds, cumulative) = after.Histogram(MetricsClient.Lateness);
        var (beforeBounds, beforeCumulative) = before.Histogram(MetricsClient.Lateness);
        double[] window = [.. cumulative];
        if (beforeBounds.SequenceEqual(bounds) && beforeCumulative.Length == window.Length)
        {
            for (var i = 0; i < window.Length; i++)
            {
                window[i] -= beforeCumulative[i];
            }
        }

        var observed = window.Length == 0 ? 0 : window[^1];
        if (!result.Check("the server exports the scheduling-lateness histogram", bounds.Length > 0 && (done == 0 || observed > 0), $"{MetricsClient.Lateness}: {bounds.Length} finite buckets, {observed} evaluations in the window"))
        {
            return;
        }

        if (observed == 0)
        {
            return;
        }

        var p50 = Scrape.Quantile(bounds, window, 0.50);
        var p99 = Scrape.Quantile(bounds, window, 0.99);
        result.Add("M3.lateness_p50", "scheduled evaluations' lateness p50 (interpolated in the server's buckets)", p50, "ms");
        result.Add("M3.lateness_p99", "scheduled evaluations' lateness p99 (interpolated in the server's buckets)", p99, "ms", "≤ 100", p99 <= 100);
        var bucketList = string.Join(", ", bounds.Select(b => b.ToString(CultureInfo.InvariantCulture)));
        result.Notes.Add($"lateness is logical (tick time − due time), counted by the server in buckets with upper bounds {bucketList} ms and +Inf; p50 and p99 are interpolated linearly inside a bucket, so they are exact only at bucket bounds (above {bounds[^1].ToString(CultureInfo.InvariantCulture)} ms the figure is that bound)");
    }
}
