using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Alerting.Protocol.V1;
using MonitorDefinition = Alerting.Protocol.Log.Monitor;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// M3, scaled by flags: N monitors of a mix of kinds on an <c>--interval</c> schedule while the
/// open-loop generator streams points at <c>--rate</c> over <c>--series</c> series (one metric
/// name per 100 000, each series tagged with its host and its rack of ten hosts). The mix, by
/// monitor number k: k mod 10 = 8 is multi-alert over one rack (<c>{rack:rJ} by {host}</c>, ten
/// groups), k mod 10 = 9 is a single-series <c>on_arrival</c> monitor, the rest single-series
/// monitors on one host. It reports where the time goes (creating the monitors, the warm-up
/// while the series are created, the measured window) and the server's resident memory; from
/// the server's counters the evaluations done against the exact number the schedule owes
/// (every monitor's instants offset + k × interval, its offset derived from its id as the
/// engine derives it); from its lateness histogram (fixed buckets) the lateness p50 and p99 of
/// the warm-up and of the window, interpolated inside the bucket as Prometheus'
/// <c>histogram_quantile</c> does.
/// </summary>
internal static class ScheduleScenario
{
    /// <summary>Hosts per rack: a multi-alert monitor of the mix groups one rack by host.</summary>
    public const int RackSize = 10;

    /// <summary>
    /// Slack at the end of a counting window: the server copies its counters about once a
    /// second, so a scrape may lag its own time by up to that; instants in the last 2 s before
    /// a scrape are not owed yet.
    /// </summary>
    public const long CounterLagMs = 2_000;

    /// <summary>Groups by state on <c>/metrics</c> (summed over the states: every group).</summary>
    public const string Groups = "alerting_groups";

    /// <summary>The kinds of monitor in the mix.</summary>
    internal enum Kind
    {
        Single,
        MultiAlert,
        OnArrival,
    }

    /// <summary>Monitor k's kind: 80 % single-series, 10 % multi-alert, 10 % <c>on_arrival</c>.</summary>
    internal static Kind KindOf(int k) => (k % 10) switch
    {
        8 => Kind.MultiAlert,
        9 => Kind.OnArrival,
        _ => Kind.Single,
    };

    public static string RackTag(int series) => "rack:r" + (series / RackSize).ToString(CultureInfo.InvariantCulture);

    /// <summary>Monitor k of the mix over <see cref="RunOptions.Series"/> series.</summary>
    internal static MonitorDefinition MonitorOf(RunOptions options, int k)
    {
        var name = options.NameOf($"perf-sched-{k}");
        var series = k % options.Series;
        switch (KindOf(k))
        {
            case Kind.MultiAlert:
                var racks = Math.Max(1, (options.Series + RackSize - 1) / RackSize);
                var first = (k / 10 % racks) * RackSize;
                return new MonitorDefinition
                {
                    Name = name,
                    Type = "metric",
                    Query = $"avg(last_5m):avg:{options.MetricOf(IngestScenario.MetricBase, first)}{{{RackTag(first)}}} by {{host}} > 90",
                    Options = new Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, EvaluationIntervalMs = options.IntervalSeconds * 1000L },
                };
            case Kind.OnArrival:
                var onArrival = Workload.HostMonitor(name, options.MetricOf(IngestScenario.MetricBase, series), series, options.IntervalSeconds);
                onArrival.Options.OnArrival = true;
                return onArrival;
            default:
                return Workload.HostMonitor(name, options.MetricOf(IngestScenario.MetricBase, series), series, options.IntervalSeconds);
        }
    }

    /// <summary>
    /// The groups monitors 0..n-1 of the mix hold once every one of the <see cref="RunOptions.Series"/>
    /// series has a point: one per single-series monitor, one per host of its rack per multi-alert monitor.
    /// </summary>
    internal static long ExpectedGroups(RunOptions options, int n)
    {
        var racks = Math.Max(1, (options.Series + RackSize - 1) / RackSize);
        long groups = 0;
        for (var k = 0; k < n; k++)
        {
            groups += KindOf(k) == Kind.MultiAlert
                ? Math.Min(RackSize, options.Series - (k / 10 % racks * RackSize))
                : 1;
        }

        return groups;
    }

    /// <summary>
    /// The phase of a monitor's instants in its interval, as <c>MonitorCompiler</c> derives it
    /// from the monitor's id (XxHash64 of its UTF-8 bytes modulo the interval).
    /// </summary>
    internal static long OffsetOf(string id, long intervalMs) => (long)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(id)) % (ulong)intervalMs);

    /// <summary>How many instants offset + j × interval (j any integer) lie in [fromMs, toMs].</summary>
    internal static long InstantsBetween(long offsetMs, long intervalMs, long fromMs, long toMs)
    {
        if (toMs < fromMs)
        {
            return 0;
        }

        var last = Math.DivRem(toMs - offsetMs, intervalMs, out var r1) - (r1 < 0 ? 1 : 0);
        var before = Math.DivRem(fromMs - 1 - offsetMs, intervalMs, out var r2) - (r2 < 0 ? 1 : 0);
        return last - before;
    }

    public static async Task<ScenarioResult> RunAsync(RunOptions options, Output output, CancellationToken cancellationToken)
    {
        var n = options.Count;
        var intervalMs = options.IntervalSeconds * 1000L;
        var result = new ScenarioResult
        {
            Scenario = "schedule",
            Parameters = IngestScenario.Parameters(options),
        };
        result.Parameters["count"] = n.ToString(CultureInfo.InvariantCulture);
        result.Parameters["mix"] = "80 % single-series, 10 % multi-alert over a rack of 10 hosts (by host), 10 % single-series on_arrival";
        result.Parameters["concurrency"] = options.Concurrency.ToString(CultureInfo.InvariantCulture);
        result.Parameters["load_average_at_start"] = LoadAverage();
        await using var target = await Target.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        var empty = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);

        // 1. Creation: one call per monitor, --concurrency in flight; the ids give each monitor's phase.
        var offsets = new long[n];
        var creation = await output.WithProgressAsync($"schedule: creating {n:N0} monitors (every {options.IntervalSeconds} s), {options.Concurrency} calls in flight", progress =>
            CreateAsync(target, options, n, offsets, progress, cancellationToken)).ConfigureAwait(false);
        result.Add("M3.create.seconds", "creating the monitors (one call each)", creation.Elapsed.TotalSeconds, "s");
        result.Add("M3.create.rate", "monitors created per second", n / creation.Elapsed.TotalSeconds, "monitors/s");
        result.Add("M3.create.rate_first_tenth", "monitors created per second, first tenth", creation.FirstTenthRate, "monitors/s");
        result.Add("M3.create.rate_last_tenth", "monitors created per second, last tenth", creation.LastTenthRate, "monitors/s");
        var created = await Workload.CheckHeldAsync(result, target, n, 0, cancellationToken).ConfigureAwait(false);
        result.Add("M3.rss.monitors", "server resident memory with the monitors, before any series", created[MetricsClient.WorkingSet], "B");

        // 2. Streaming: warm-up (the series are created) then the measured window, one scrape at each boundary.
        var start = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var startMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var warmedTask = Task.Run(async () =>
        {
            // The harness's own clock marks the end of the warm-up; the figures use each scrape's own time.
            await Task.Delay(TimeSpan.FromSeconds(options.Warmup), cancellationToken).ConfigureAwait(false);
            var scrape = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
            return (Scrape: scrape, AtMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }, cancellationToken);
        var outcome = await output.WithProgressAsync($"schedule: streaming {options.Rate:N0} points/s over {options.Series:N0} series for {options.Warmup} s warm-up + {options.Seconds} s", progress =>
            OpenLoop.RunAsync(target, options, IngestScenario.MetricBase, progress, cancellationToken, RackTag)).ConfigureAwait(false);
        var after = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var afterMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (warmed, warmedMs) = await warmedTask.ConfigureAwait(false);

        await OpenLoop.ReportAsync(result, target, options, start, outcome, "M3.ingest", cancellationToken).ConfigureAwait(false);
        result.Add("M3.warmup.seconds", "warm-up: the same load, unmeasured (the series are created)", (warmedMs - startMs) / 1000.0, "s");
        result.Add("M3.warmup.series", "series the server held at the end of the warm-up", warmed[MetricsClient.SeriesCount], "");

        // 3. The schedule: over the whole streaming time (warm-up included), evaluations done
        // against the instants every monitor owes between the first scrape and 2 s before the last.
        var done = after.Long(MetricsClient.Scheduled) - start.Long(MetricsClient.Scheduled);
        var owed = 0L;
        foreach (var offset in offsets)
        {
            owed += InstantsBetween(offset, intervalMs, startMs, afterMs - CounterLagMs);
        }

        var owedAtMost = 0L;
        foreach (var offset in offsets)
        {
            owedAtMost += InstantsBetween(offset, intervalMs, startMs - CounterLagMs, afterMs);
        }

        var missed = Math.Max(0, owed - done);
        var caughtUp = after.Long(MetricsClient.CaughtUp) - start.Long(MetricsClient.CaughtUp);
        result.Add("M3.evaluations", "scheduled evaluations done while streaming (warm-up included)", done, "");
        result.Add("M3.owed", "instants the monitors owe from the first scrape to 2 s before the last", owed, "");
        result.Add("M3.owed_at_most", "instants the monitors owe from 2 s before the first scrape to the last (done above it: evaluated twice, or late from before)", owedAtMost, "");
        result.Add("M3.missed", "missed evaluations (owed − done, ≥ 0)", missed, "", "0", missed == 0);
        result.Add("M3.caught_up", "evaluations caught up late after a time jump", caughtUp, "", "0", caughtUp == 0);
        ReportLateness(result, warmed, after, after.Long(MetricsClient.Scheduled) - warmed.Long(MetricsClient.Scheduled));
        ReportLateness(result, start, warmed, warmed.Long(MetricsClient.Scheduled) - start.Long(MetricsClient.Scheduled), "M3.warmup", "warm-up: ", check: false);

        // 4. Memory and CPU (M6 context).
        result.Add("M3.rss.end", "server resident memory at the end (monitors, series, groups)", after[MetricsClient.WorkingSet], "B");
        result.Add("M3.rss.per_monitor", "resident bytes per monitor at the end (its series and groups included)", (after[MetricsClient.WorkingSet] - empty[MetricsClient.WorkingSet]) / n, "B");
        result.Add("M3.heap.end", "server managed heap after its last GC, at the end", after[MetricsClient.HeapAfterGc], "B");
        var windowSeconds = (afterMs - warmedMs) / 1000.0;
        result.Add("M3.cpu.window", "server CPU in the measured window, per second", (after[MetricsClient.CpuSeconds] - warmed[MetricsClient.CpuSeconds]) / Math.Max(0.001, windowSeconds), "cores");
        await Workload.CheckHeldAsync(result, target, n, outcome.DistinctSeries, cancellationToken).ConfigureAwait(false);
        if (target.Owned && outcome.DistinctSeries == options.Series)
        {
            // The server counts its groups in a walk about once a second: wait for a walk that saw them all.
            var expected = ExpectedGroups(options, n);
            var (groups, held) = await target.Metrics.WaitForAsync(s => s.Long(Groups) == expected, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            result.Check("the server holds the groups the mix makes", held, $"groups {groups.Long(Groups)} (want {expected}: one per single-series monitor, one per host of a multi-alert monitor's rack)");
        }

        result.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"load average at the start: {result.Parameters["load_average_at_start"]}; at the end: {LoadAverage()}"));
        return result;
    }

    private sealed record Creation(TimeSpan Elapsed, double FirstTenthRate, double LastTenthRate);

    /// <summary>Creates monitors 0..n-1 of the mix, <see cref="RunOptions.Concurrency"/> calls in flight; records each one's phase.</summary>
    private static async Task<Creation> CreateAsync(Target target, RunOptions options, int n, long[] offsets, Action<string> progress, CancellationToken cancellationToken)
    {
        var client = new Monitors.MonitorsClient(target.Channel);
        var intervalMs = options.IntervalSeconds * 1000L;
        var next = -1;
        var done = 0;
        var tenth = Math.Max(1, n / 10);
        long firstTenthTicks = 0, lastTenthFrom = 0;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, Math.Max(1, options.Concurrency)).Select(_ => Task.Run(async () =>
        {
            int k;
            while ((k = Interlocked.Increment(ref next)) < n)
            {
                var response = await client.CreateAsync(new CreateMonitorRequest { Monitor = MonitorOf(options, k) }, options.Headers(), cancellationToken: cancellationToken);
                offsets[k] = OffsetOf(response.Monitor.Id, intervalMs);
                var count = Interlocked.Increment(ref done);
                var now = Stopwatch.GetTimestamp();
                if (count == tenth)
                {
                    firstTenthTicks = now - started;
                }
                else if (count == n - tenth)
                {
                    Interlocked.Exchange(ref lastTenthFrom, now);
                }

                if (count % 1000 == 0 || count == n)
                {
                    progress(string.Create(CultureInfo.InvariantCulture, $"monitors {count:N0}/{n:N0} ({count / Stopwatch.GetElapsedTime(started).TotalSeconds:F0}/s)"));
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var ended = Stopwatch.GetTimestamp();
        var firstRate = firstTenthTicks > 0 ? tenth / ((double)firstTenthTicks / Stopwatch.Frequency) : 0;
        var lastFrom = Interlocked.Read(ref lastTenthFrom);
        var lastRate = lastFrom > 0 && ended > lastFrom ? tenth / ((double)(ended - lastFrom) / Stopwatch.Frequency) : 0;
        return new Creation(Stopwatch.GetElapsedTime(started, ended), firstRate, lastRate);
    }

    private static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return fields.Length >= 3 ? $"{fields[0]} {fields[1]} {fields[2]}" : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>Lateness p50 and p99 of the evaluations scheduled between two scrapes, from the histogram's buckets.</summary>
    internal static void ReportLateness(ScenarioResult result, Scrape before, Scrape after, long done, string idPrefix = "M3", string namePrefix = "", bool check = true)
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
        var exported = bounds.Length > 0 && (done == 0 || observed > 0);
        if (check && !result.Check("the server exports the scheduling-lateness histogram", exported, $"{MetricsClient.Lateness}: {bounds.Length} finite buckets, {observed} evaluations in the window"))
        {
            return;
        }

        if (!exported || observed == 0)
        {
            return;
        }

        var p50 = Scrape.Quantile(bounds, window, 0.50);
        var p99 = Scrape.Quantile(bounds, window, 0.99);
        var max = MaxBound(bounds, window);
        var aboveLast = double.IsPositiveInfinity(max);
        result.Add(idPrefix + ".lateness_p50", namePrefix + "scheduled evaluations' lateness p50 (interpolated in the server's buckets)", p50, "ms");
        result.Add(idPrefix + ".lateness_p99", namePrefix + "scheduled evaluations' lateness p99 (interpolated in the server's buckets)", p99, "ms", "≤ 100", p99 <= 100);
        result.Add(idPrefix + ".lateness_max_bucket", namePrefix + (aboveLast
            ? "scheduled evaluations' lateness max: above the last bucket's bound (the figure is that bound)"
            : "scheduled evaluations' lateness max: at most the upper bound of the highest bucket used"), aboveLast ? bounds[^1] : max, "ms");
        if (check)
        {
            var bucketList = string.Join(", ", bounds.Select(b => b.ToString(CultureInfo.InvariantCulture)));
            result.Notes.Add($"lateness is logical (tick time − due time), counted by the server in buckets with upper bounds {bucketList} ms and +Inf; p50 and p99 are interpolated linearly inside a bucket, so they are exact only at bucket bounds (above {bounds[^1].ToString(CultureInfo.InvariantCulture)} ms the figure is that bound)");
        }
    }

    /// <summary>The upper bound of the highest bucket holding an observation (<see cref="double.PositiveInfinity"/> for the +Inf bucket).</summary>
    internal static double MaxBound(IReadOnlyList<double> bounds, IReadOnlyList<double> cumulative)
    {
        for (var i = cumulative.Count - 1; i > 0; i--)
        {
            if (cumulative[i] > cumulative[i - 1])
            {
                return i < bounds.Count ? bounds[i] : double.PositiveInfinity;
            }
        }

        return bounds.Count > 0 ? bounds[0] : double.NaN;
    }
}
