using System.Diagnostics;
using System.Globalization;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Benchmarks.StateMachine;

/// <summary>
/// Issue 7: what one entry costs for a downtime that names no monitor and for deleting a monitor
/// with many groups, at N = each size given. Builds, through <see cref="LogApplier"/>, N monitors
/// <c>max(last_1m):max:cpu{host:hI} by {host,env} &gt; 90</c> over N series
/// <c>cpu{host:hI,env:prod}</c> (one group each, tagged with both), and one monitor
/// <c>max(last_1m):max:cpu{*} by {host}</c> over all of them (N groups). Then times, entry by entry:
/// a downtime scoped to one host (found through the group tag index: one group per monitor of that
/// host), a downtime scoped to <c>env:prod</c> (every group: more than a step, so the bounded sweep,
/// ticks until it ends), a downtime naming the wide monitor (its groups refreshed in steps, ticks
/// until the last), two edits of the wide monitor that keep its series selection (a new threshold: nothing to
/// re-stamp; a new aggregation: every group re-stamped in steps, ticks until the last), an edit of the wide monitor that regroups it (<c>cpu{env:prod} by {host,env}</c>:
/// its old groups let go of in steps, then its series walked in steps, ticks until the match ends;
/// the groups counted are the old ones let go of plus the new ones formed), and the delete of the
/// wide monitor (its groups freed in steps, ticks until the last). Prints, per case, the entries it took and the slowest entry and the most groups one
/// entry refreshed or freed. Not a BenchmarkDotNet run: each case changes the state it measures.
/// </summary>
internal static class StepBounds
{
    private const long T0 = 1_800_000_000_000;
    private const int BatchSize = 1_000;

    public static void Run(IReadOnlyList<int> sizes)
    {
        foreach (var n in sizes)
        {
            RunOne(n);
        }
    }

    private static void RunOne(int n)
    {
        var applier = new LogApplier(new EngineState());
        var monitors = applier.State.Monitors;
        long index = 0;
        var now = T0;
        void Apply(LogEntry entry) => applier.Apply(++index, 1, entry);
        Apply(new LogEntry { Tick = new Tick { UnixMs = now } });
        for (var i = 0; i < n; i++)
        {
            Apply(Upsert("m" + Text(i), $"max(last_1m):max:cpu{{host:h{Text(i)}}} by {{host,env}} > 90"));
        }

        Apply(Upsert("wide", "max(last_1m):max:cpu{*} by {host} > 90"));
        for (var from = 0; from < n; from += BatchSize)
        {
            var batch = new PointsBatch();
            for (var i = from; i < Math.Min(n, from + BatchSize); i++)
            {
                var series = new SeriesPoints { Metric = "cpu", Tags = { "env:prod", "host:h" + Text(i) } };
                series.UnixMs.Add(now);
                series.Values.Add(50);
                batch.Series.Add(series);
            }

            Apply(new LogEntry { Points = batch });
        }

        // Let the wide monitor's stepped match finish before measuring.
        while (monitors.MatchesPending > 0)
        {
            Apply(new LogEntry { Tick = new Tick { UnixMs = now += 100 } });
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"N = {n:N0}: {monitors.MonitorCount:N0} monitors, {monitors.SeriesCount:N0} series, {monitors.AllGroupStates().Count():N0} groups"));
        Measure("downtime scope host:h7 (tag index)", () => monitors.MuteRefreshes, () => monitors.MuteSweepPending,
            () => Apply(new LogEntry { DowntimeUpserted = new DowntimeUpserted { Downtime = new Downtime { Id = "one-host", Scope = { "host:h7" }, StartUnixMs = now } } }),
            () => Apply(new LogEntry { Tick = new Tick { UnixMs = now += 100 } }));
        Measure("downtime scope env:prod (sweep)", () => monitors.MuteRefreshes, () => monitors.MuteSweepPending,
            () => Apply(new LogEntry { DowntimeUpserted = new DowntimeUpserted { Downtime = new Downtime { Id = "all", Scope = { "env:prod" }, StartUnixMs = now } } }),
            () => Apply(new LogEntry { Tick = new Tick { UnixMs = now += 100 } }));
        Measure("downtime naming the monitor with N groups", () => monitors.MuteRefreshes, () => monitors.MuteRefreshPending,
            () => Apply(new LogEntry { DowntimeUpserted = new DowntimeUpserted { Downtime = new Downtime { Id = "wide", MonitorId = "wide", StartUnixMs = now } } }),
            () => Apply(new LogEntry { Tick = new Tick { UnixMs = now += 100 } }));

        // Edits that keep the series selection: a new threshold changes no group (one entry, nothing re-stamped); a new
        // aggregation over the same scope and by resets every group, re-stamped in steps (EditSteps).
        Measure("edit of the monitor with N groups, new threshold", () => monitors.GroupsRestamped, () => monitors.EditsPending > 0,
            () => Apply(Upsert("wide", "max(last_1m):max:cpu{*} by {host} > 95")),
            () => Apply(new LogEntry { Tick = new Tick { UnixMs = now += 100 } }));
        Measure("edit of the monitor with N groups, new aggregation (same selection)", () => monitors.GroupsRestamped, () => monitors.EditsPending > 0,
            () => Apply(Upsert("wide", "min(last_1m):max:cpu{*} by {host} > 95")),
            () => Apply(new LogEntry { Tick = new Tick { UnixMs = now += 100 } }));

        // Old groups let go of plus new groups formed (all N: the new key has env too, so no old group is one).
        Measure("edit that regroups the monitor with N groups", () => monitors.RegroupOldGroupsFreed + monitors.GroupStates("wide").Count(g => g.GroupKey.Contains(",env:", StringComparison.Ordinal)), () => monitors.MatchesPending > 0,
            () => Apply(Upsert("wide", "max(last_1m):max:cpu{env:prod} by {host,env} > 90")),
            () => Apply(new LogEntry { Tick = new Tick { UnixMs = now += 100 } }));
        Measure("delete of the monitor with N groups (drain)", () => monitors.GroupsFreed, () => monitors.MonitorsDraining > 0,
            () => Apply(new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = "wide" } }),
            () => Apply(new LogEntry { Tick = new Tick { UnixMs = now += 100 } }));
    }

    /// <summary>Times <paramref name="first"/>, then <paramref name="next"/> while <paramref name="pending"/>; <paramref name="work"/> counts groups done.</summary>
    private static void Measure(string name, Func<long> work, Func<bool> pending, Action first, Action next)
    {
        GC.Collect();
        var entries = 0;
        var slowest = TimeSpan.Zero;
        var slowestEntry = 0;
        var most = 0L;
        var total = 0L;
        var step = first;
        do
        {
            var before = work();
            var clock = Stopwatch.StartNew();
            step();
            clock.Stop();
            entries++;
            if (clock.Elapsed > slowest)
            {
                slowest = clock.Elapsed;
                slowestEntry = entries;
            }

            most = Math.Max(most, work() - before);
            total += work() - before;
            step = next;
        }
        while (pending());

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {entries} entries, slowest {slowest.TotalMilliseconds:F1} ms (entry {slowestEntry}), at most {most:N0} groups in one entry (total {total:N0})"));
    }

    private static LogEntry Upsert(string id, string query) =>
        new() { MonitorUpserted = new MonitorUpserted { Monitor = new Monitor { Id = id, Name = id, Type = "metric", Query = query, Options = new MonitorOptions { EvaluationIntervalMs = 3_600_000 } } } };

    private static string Text(int i) => i.ToString(CultureInfo.InvariantCulture);
}
