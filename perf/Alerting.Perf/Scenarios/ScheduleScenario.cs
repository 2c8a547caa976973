using System.Diagnostics;
using System.Globalization;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// M3, scaled by flags: N monitors on an <c>--interval</c> schedule while the open-loop
/// generator streams points at <c>--rate</c>. The server exposes its scheduling only as
/// counters (scheduled evaluations, and evaluations caught up late after a time jump), so the
/// harness reports evaluations done against the number the schedule owes over the window, and
/// the caught-up count; it cannot report lateness percentiles.
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
        var outcome = await output.WithProgressAsync($"schedule: streaming {options.Rate:N0} points/s for {options.Seconds} s", progress =>
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
        result.Notes.Add("the server exposes scheduling only as counters (alerting_evaluations_scheduled_total, alerting_evaluations_caught_up_total); lateness p99 (bar ≤ 100 ms) is not measurable from outside until it exports a lateness histogram");
        await Workload.CheckHeldAsync(result, target, n, outcome.DistinctSeries, cancellationToken).ConfigureAwait(false);
        return result;
    }
}
