using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// Time and space aggregations through the engine on one group of two series (host:a, host:b),
/// 15 s buckets (the alignment interval of windows up to 5 minutes, docs/evaluation.md). The value
/// is read from the ALERT event of a threshold every value crosses. Data, in the three buckets
/// before the evaluation instant's (b1 oldest; within a bucket the points are up to 400 ms apart,
/// and across series aligned by bucket, not by second):
/// <code>
///        b1           b2    b3
/// a:     1, then 3    5     2
/// b:     10           –     4, then 8
/// </code>
/// Per bucket each series is rolled up with the time aggregation's rollup (avg, sum, min, max,
/// last point, count), the rollups are combined with the space aggregation, and the bucket values
/// are folded with the time aggregation.
/// </summary>
public sealed class AggregationOptionTests
{
    private const long IntervalMs = 10_000;

    [Theory]
    [InlineData("avg", (12.0 + 5.0 + 8.0) / 3)] // b1 2 + 10, b2 5, b3 2 + 6
    [InlineData("sum", 14.0 + 5.0 + 14.0)]      // b1 4 + 10, b2 5, b3 2 + 12
    [InlineData("min", 5.0)]                     // b1 1 + 10, b2 5, b3 2 + 4
    [InlineData("max", 13.0)]                    // b1 3 + 10, b2 5, b3 2 + 8
    [InlineData("last", 10.0)]                   // b3: 2 + 8
    [InlineData("count", 3.0 + 1.0 + 3.0)]
    public void Time_aggregation_with_space_sum(string time, double expected)
    {
        Assert.Equal(expected, ValueOf($"{time}(last_1m):sum:q{{*}} < 1000000", ThreeBuckets));
    }

    [Theory]
    [InlineData("avg", (6.0 + 5.0 + 4.0) / 3)]  // b1 (2 + 10) / 2, b2 5, b3 (2 + 6) / 2
    [InlineData("sum", (12.0 + 5.0 + 8.0) / 3)]
    [InlineData("min", (2.0 + 5.0 + 2.0) / 3)]
    [InlineData("max", (10.0 + 5.0 + 6.0) / 3)]
    public void Space_aggregation_with_time_avg(string space, double expected)
    {
        Assert.Equal(expected, ValueOf($"avg(last_1m):{space}:q{{*}} < 1000000", ThreeBuckets));
    }

    /// <summary>Current 10 s window: a 7 + b 13 = 20. Window 30 s earlier: a 4 + b 4 = 8.</summary>
    [Theory]
    [InlineData("change", 12.0)]
    [InlineData("pct_change", 150.0)]
    public void Change_compares_the_window_with_the_same_window_one_shift_earlier(string change, double expected)
    {
        Assert.Equal(expected, ValueOf($"{change}(avg(last_10s),last_30s):sum:q{{*}} < 1000000", ShiftedWindows));
    }

    [Fact]
    public void Series_outside_the_group_scope_do_not_count()
    {
        static void Data(SeriesPoints a, SeriesPoints b, long bucketStart)
        {
            Add(a, bucketStart - 1_000, 5);
            Add(b, bucketStart - 1_000, 50);
        }

        Assert.Equal(5.0, ValueOf("avg(last_1m):sum:q{host:a} < 1000000", Data));
    }

    private static void ThreeBuckets(SeriesPoints a, SeriesPoints b, long k)
    {
        // Start of the 15 s bucket of the evaluation instant (which is less than 1 s after k).
        var bucket = k / 15_000 * 15_000;
        Add(a, bucket - 40_000, 1);
        Add(a, bucket - 39_600, 3);
        Add(b, bucket - 37_000, 10);
        Add(a, bucket - 25_000, 5);
        Add(a, bucket - 10_000, 2);
        Add(b, bucket - 13_000, 4);
        Add(b, bucket - 12_900, 8);
    }

    private static void ShiftedWindows(SeriesPoints a, SeriesPoints b, long k)
    {
        Add(a, k - 32_000, 4);
        Add(b, k - 32_000, 4);
        Add(a, k - 2_000, 7);
        Add(b, k - 2_000, 13);
    }

    /// <summary>
    /// Writes both series in one entry, with times relative to the start of the bucket of the
    /// monitor's first instant, evaluates at that instant and returns the value it alerted with.
    /// </summary>
    private static double ValueOf(string query, Action<SeriesPoints, SeriesPoints, long> data)
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", query, o => o.EvaluationIntervalMs = IntervalMs));
        var at = Scenario.InstantAfter("m", IntervalMs, engine.Now);
        var a = new SeriesPoints { Metric = Scenario.Metric, Tags = { "host:a" } };
        var b = new SeriesPoints { Metric = Scenario.Metric, Tags = { "host:b" } };
        data(a, b, at / 1_000 * 1_000);
        engine.Apply(new LogEntry { Points = new PointsBatch { Series = { a, b } } });
        Assert.Equal(a.UnixMs.Count + b.UnixMs.Count, engine.State.Counters.PointsAccepted);

        var tick = engine.Tick(at);

        var alert = Assert.Single(engine.Events);
        Expect.Transition(alert, "m", "*", 1, AlertState.Ok, AlertState.Alert, TransitionReason.ThresholdCrossed, true, tick);
        return alert.Value;
    }

    private static void Add(SeriesPoints series, long unixMs, double value)
    {
        series.UnixMs.Add(unixMs);
        series.Values.Add(value);
    }
}
