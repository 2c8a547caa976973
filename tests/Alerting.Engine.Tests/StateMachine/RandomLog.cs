using System.Globalization;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>Generates a reproducible stream of log entries of every kind from a seed.</summary>
internal static class RandomLog
{
    /// <param name="withComposites">Also composite monitors (<c>c0</c>..<c>c3</c>) over the other monitors, and their deletes.</param>
    public static List<LogEntry> Generate(int seed, int count, bool withComposites = false)
    {
        var random = new Random(seed);
        var entries = new List<LogEntry>(count);
        var timeMs = 1_700_000_000_000L + random.Next(0, 1_000_000);
        entries.Add(Tick(timeMs));
        for (var i = 1; i < count; i++)
        {
            entries.Add(random.Next(20) switch
            {
                < 6 => Tick(timeMs += random.Next(20) == 0 ? random.Next(1_000, 120_000) : random.Next(0, 400)),
                6 or 7 => new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = withComposites && random.Next(3) == 0 ? RandomComposite(random) : RandomMonitor(random, withComposites) } },
                8 => new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = withComposites && random.Next(3) == 0 ? $"c{random.Next(4)}" : $"m{random.Next(12)}" } },
                9 => new LogEntry { DowntimeUpserted = new DowntimeUpserted { Downtime = new Downtime { Id = $"d{random.Next(5)}", MonitorId = $"m{random.Next(12)}", StartUnixMs = timeMs, EndUnixMs = timeMs + random.Next(1, 100_000) } } },
                10 => new LogEntry { DowntimeDeleted = new DowntimeDeleted { DowntimeId = $"d{random.Next(5)}" } },
                11 => new LogEntry { NotificationDelivered = new NotificationDelivered { MonitorId = $"m{random.Next(12)}", GroupKey = "*", TransitionNumber = (ulong)random.Next(1, 9), Endpoint = "webhook" } },
                12 => CheckRuns(random, timeMs),
                _ => Points(random, timeMs),
            });
        }

        return entries;
    }

    public static LogEntry Tick(long unixMs) => new() { Tick = new Tick { UnixMs = unixMs } };

    private static readonly string[] Queries =
    [
        "avg(last_1m):avg:cpu{*} by {host} > {T}",
        "max(last_5m):max:cpu{env:prod} by {host} > {T}",
        "sum(last_30s):sum:mem{*} > {T}",
        "min(last_10m):min:mem{!env:dev} by {env} < {T}",
        "change(avg(last_1m),last_1m):avg:cpu{*} by {host} > {T}",
        "last(last_2m):max:cpu{host:h1*} by {host} >= {T}",
        "count(last_1m):sum:cpu{*} > {T}",
        "sum(last_1m):sum:cpu{*} by {host} / sum:mem{*} by {host} * 100 > {T}",
        "avg(last_2m):default_zero(max:cpu{env:prod} by {env}) - abs(min:mem{*} by {env}) > {T}",
    ];

    /// <summary>With composites, also a monitor by <c>{host,env}</c>: members by <c>{host}</c> or <c>{env}</c> go with it.</summary>
    private static readonly string[] CompositeQueries = [.. Queries, "max(last_1m):max:cpu{*} by {host,env} > {T}"];

    private static Monitor RandomMonitor(Random random, bool withComposites = false)
    {
        var check = random.Next(6) == 0;
        var critical = random.Next(20, 90);
        var options = new MonitorOptions
        {
            OnArrival = random.Next(2) == 0,
            EvaluationIntervalMs = new long[] { 0, 1_000, 5_000, 10_000 }[random.Next(4)],
            NotifyNoData = random.Next(3) == 0,
            NoDataTimeframeMs = random.Next(1, 5) * 30_000,
            RenotifyIntervalMs = random.Next(3) == 0 ? random.Next(1, 5) * 10_000 : 0,
            ForMs = random.Next(4) == 0 ? random.Next(1, 5) * 1_000 : 0,
            KeepFiringForMs = random.Next(4) == 0 ? random.Next(1, 5) * 1_000 : 0,
            FlapDetection = random.Next(4) == 0,
            NewGroupDelayMs = random.Next(4) == 0 ? 2_000 : 0,
            RequireFullWindow = random.Next(5) == 0,
            EvaluationDelayMs = random.Next(5) == 0 ? 2_000 : 0,
        };
        if (!check)
        {
            var queries = withComposites ? CompositeQueries : Queries;
            var query = queries[random.Next(queries.Length)].Replace("{T}", critical.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            var above = !query.Contains(" < ", StringComparison.Ordinal);
            if (random.Next(2) == 0)
            {
                options.Thresholds = new Thresholds { Warning = above ? critical - 10 : critical + 10 };
            }

            return new Monitor { Id = $"m{random.Next(12)}", Name = "metric monitor", Type = "metric", Query = query, Priority = random.Next(0, 6), Options = options };
        }

        return new Monitor
        {
            Id = $"m{random.Next(12)}",
            Name = "check monitor",
            Type = "check",
            Query = "\"svc.up\".over(\"*\").by(\"host\").last(2).count_by_status()",
            Priority = random.Next(0, 6),
            Options = options,
        };
    }

    private static readonly string[] Expressions = ["{A} && {B}", "{A} || !{B}", "!{A}", "{A} && ({B} || !{C})", "{A} || {B} || {C}"];

    /// <summary>A composite over random members: some missing or grouped too differently (refused), most by host, some by {host,env} with members by host or env.</summary>
    private static Monitor RandomComposite(Random random)
    {
        var query = Expressions[random.Next(Expressions.Length)]
            .Replace("{A}", $"m{random.Next(12)}", StringComparison.Ordinal)
            .Replace("{B}", $"m{random.Next(12)}", StringComparison.Ordinal)
            .Replace("{C}", $"m{random.Next(12)}", StringComparison.Ordinal);
        var options = new MonitorOptions
        {
            EvaluationIntervalMs = new long[] { 0, 1_000, 5_000 }[random.Next(3)],
            NotifyNoData = random.Next(2) == 0,
            RenotifyIntervalMs = random.Next(3) == 0 ? random.Next(1, 5) * 10_000 : 0,
            ForMs = random.Next(4) == 0 ? random.Next(1, 5) * 1_000 : 0,
        };
        return new Monitor { Id = $"c{random.Next(4)}", Name = "composite monitor", Type = "composite", Query = query, Priority = random.Next(0, 6), Options = options };
    }

    private static LogEntry Points(Random random, long timeMs)
    {
        var batch = new PointsBatch();
        for (var s = random.Next(1, 4); s > 0; s--)
        {
            var series = new SeriesPoints
            {
                Metric = random.Next(3) == 0 ? "mem" : "cpu",
                Tags = { $"host:h{random.Next(15)}", random.Next(2) == 0 ? "env:prod" : "env:dev" },
            };
            for (var p = random.Next(1, 5); p > 0; p--)
            {
                series.UnixMs.Add(timeMs - random.Next(-500, 10_000));
                series.Values.Add(random.Next(50) == 0 ? double.NaN : random.NextDouble() * 100);
            }

            batch.Series.Add(series);
        }

        return new LogEntry { Points = batch };
    }

    private static LogEntry CheckRuns(Random random, long timeMs)
    {
        var batch = new CheckRunsBatch();
        for (var r = random.Next(1, 4); r > 0; r--)
        {
            batch.Runs.Add(new CheckRun
            {
                Check = "svc.up",
                Tags = { $"host:h{random.Next(5)}" },
                UnixMs = timeMs - random.Next(0, 2_000),
                Status = (CheckStatus)random.Next(4),
            });
        }

        return new LogEntry { CheckRuns = batch };
    }
}
