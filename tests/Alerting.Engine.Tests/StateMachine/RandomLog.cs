using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>Generates a reproducible stream of log entries of every kind from a seed.</summary>
internal static class RandomLog
{
    public static List<LogEntry> Generate(int seed, int count)
    {
        var random = new Random(seed);
        var entries = new List<LogEntry>(count);
        var timeMs = 1_700_000_000_000L + random.Next(0, 1_000_000);
        for (var i = 0; i < count; i++)
        {
            entries.Add(random.Next(10) switch
            {
                0 or 1 or 2 => Tick(timeMs += random.Next(0, 300)),
                3 => new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = RandomMonitor(random) } },
                4 => new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = $"m{random.Next(20)}" } },
                5 => new LogEntry { DowntimeUpserted = new DowntimeUpserted { Downtime = new Downtime { Id = $"d{random.Next(5)}", MonitorId = $"m{random.Next(20)}", StartUnixMs = timeMs, EndUnixMs = timeMs + random.Next(1, 100_000) } } },
                6 => new LogEntry { DowntimeDeleted = new DowntimeDeleted { DowntimeId = $"d{random.Next(5)}" } },
                7 => new LogEntry { NotificationDelivered = new NotificationDelivered { MonitorId = $"m{random.Next(20)}", GroupKey = "*", TransitionNumber = (ulong)random.Next(1, 9), Endpoint = "webhook" } },
                _ => Points(random, timeMs),
            });
        }

        return entries;
    }

    public static LogEntry Tick(long unixMs) => new() { Tick = new Tick { UnixMs = unixMs } };

    private static Monitor RandomMonitor(Random random) => new()
    {
        Id = $"m{random.Next(20)}",
        Name = $"monitor {random.Next(1000)}",
        Type = "metric",
        Query = $"avg(last_{random.Next(1, 10)}m):avg:system.cpu.user{{*}} > {random.Next(100)}",
        Priority = random.Next(1, 6),
        Options = new MonitorOptions { Thresholds = new Thresholds { Critical = random.Next(100) } },
    };

    private static LogEntry Points(Random random, long timeMs)
    {
        var batch = new PointsBatch();
        for (var s = random.Next(1, 4); s > 0; s--)
        {
            var series = new SeriesPoints { Metric = "system.cpu.user", Tags = { $"host:h{random.Next(10)}" } };
            for (var p = random.Next(1, 5); p > 0; p--)
            {
                series.UnixMs.Add(timeMs - random.Next(0, 10_000));
                series.Values.Add(random.NextDouble() * 100);
            }

            batch.Series.Add(series);
        }

        return new LogEntry { Points = batch };
    }
}
