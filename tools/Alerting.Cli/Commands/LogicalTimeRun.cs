using Alerting.Protocol.Log;

namespace Alerting.Cli.Commands;

/// <summary>
/// The in-process run <c>alertctl test</c> and <c>alertctl backtest --points</c> share: logical time
/// moves by a Tick every <see cref="TickMs"/> from a start to an end, as the primary's clock would
/// publish it, and each point arrives in the Points entry that follows the tick of its second, once
/// logical time has reached it, as from a live client. No server, no wall clock: a run repeats exactly.
/// </summary>
internal static class LogicalTimeRun
{
    /// <summary>Logical time advances by ticks of this length.</summary>
    public const long TickMs = 1_000;

    /// <summary>Most ticks of one run (about 115 days at <see cref="TickMs"/>): a bound on a run's length, and on a typo in a time.</summary>
    public const long MaxTicks = 10_000_000;

    /// <summary>
    /// The entries of a run: <c>Tick(startMs)</c>, then the points stamped in <c>[startMs, startMs + TickMs)</c>,
    /// <c>Tick(startMs + TickMs)</c>, ... up to the tick at or before <paramref name="endMs"/> and its points.
    /// Points outside the run are left out; within one tick they keep their order in <paramref name="points"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The run has more than <see cref="MaxTicks"/> ticks, or ends before it starts.</exception>
    public static IEnumerable<LogEntry> Entries(long startMs, long endMs, IReadOnlyList<TimedPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThan(endMs, startMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((endMs - startMs) / TickMs, MaxTicks - 1, nameof(endMs));
        return EntriesOf(startMs, endMs, points);
    }

    private static IEnumerable<LogEntry> EntriesOf(long startMs, long endMs, IReadOnlyList<TimedPoint> points)
    {
        long lastTick = (endMs - startMs) / TickMs;
        // OrderBy is stable: points of one tick stay in their given order.
        int[] order = Enumerable.Range(0, points.Count)
            .Where(i => points[i].UnixMs >= startMs && (points[i].UnixMs - startMs) / TickMs <= lastTick)
            .OrderBy(i => (points[i].UnixMs - startMs) / TickMs)
            .ToArray();
        int next = 0;
        for (long tick = 0; tick <= lastTick; tick++)
        {
            yield return new LogEntry { Tick = new Tick { UnixMs = startMs + (tick * TickMs) } };
            var batch = new PointsBatch();
            for (; next < order.Length && (points[order[next]].UnixMs - startMs) / TickMs == tick; next++)
            {
                TimedPoint point = points[order[next]];
                var series = new SeriesPoints { Metric = point.Metric, Tags = { point.Tags }, Type = point.Type };
                series.UnixMs.Add(point.UnixMs);
                series.Values.Add(point.Value);
                batch.Series.Add(series);
            }

            if (batch.Series.Count > 0)
            {
                yield return new LogEntry { Points = batch };
            }
        }
    }
}

/// <summary>One point of a run: a series (metric and tags) and its value at a time, with the series' metric type when known.</summary>
internal readonly record struct TimedPoint(long UnixMs, string Metric, IReadOnlyList<string> Tags, double Value, SeriesType Type = SeriesType.Unspecified);
