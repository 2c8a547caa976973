using Alerting.Engine.Evaluation;
using Alerting.Engine.State;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Windows up to <c>last_1w</c> (issue 13, item 5) live in the 2 h tier of <see cref="StoreTiers"/>,
/// which snapshots keep from format 17; everything through log entries.
/// </summary>
public sealed class WeekWindowTests
{
    private const long Hour = 60 * 60 * 1000;
    private const long Day = 24 * Hour;

    [Fact]
    public void A_week_long_window_reads_points_from_six_days_ago_and_forgets_them_after_a_week()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("w", "sum(last_1w):sum:orders{*} > 100", o => o.EvaluationIntervalMs = Hour));
        var start = engine.Now;
        engine.Point("orders", ["shop:a"], start, 60);
        Assert.Equal(StoreTiers.Count - 1, engine.State.Monitors.AllSeries.Single().TierSlots.ToArray().ToList().FindLastIndex(s => s >= 0));

        TickHours(engine, start + (6 * Day));
        Assert.Empty(engine.Events);
        engine.Point("orders", ["shop:a"], engine.Now, 50);
        TickHours(engine, engine.Now + Hour);
        Assert.Equal(AlertState.Alert, Assert.Single(engine.Events).Next);
        Assert.Equal(110, engine.Events[0].Value);

        // A week (rounded to the tier's 2 h buckets) after the first point only the 50 is left.
        TickHours(engine, start + (7 * Day) + (3 * Hour));
        Assert.Equal(AlertState.Ok, engine.Events[^1].Next);
        Assert.Equal(50, engine.Events[^1].Value);
    }

    [Fact]
    public void The_week_tier_is_in_snapshots_from_format_17_and_an_older_snapshot_reads_it_empty()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("w", "avg(last_1w):avg:orders{*} by {shop} > 100"));
        engine.Upsert(EngineHarness.Metric("d", "avg(last_5m):avg:orders{*} by {shop} > 100"));
        engine.Point("orders", ["shop:a"], engine.Now, 60);
        engine.Point("orders", ["shop:b"], engine.Now, 70);
        var bytes = Snapshot.Bytes(engine.State);
        Assert.Equal(22UL, BitConverter.ToUInt64(bytes, 0));

        var restored = Snapshot.Restore(bytes);
        Assert.Equal(bytes, Snapshot.Bytes(restored));
        var weekTier = StoreTiers.Count - 1;
        Assert.Equal(
            engine.State.Monitors.AllSeries.Select(s => s.TierSlots[weekTier]),
            restored.Monitors.AllSeries.Select(s => s.TierSlots[weekTier]));
        Assert.All(restored.Monitors.AllSeries, s => Assert.True(s.TierSlots[weekTier] >= 0));

        // The same state without the week-long monitor, written as format 16 (no week section): the tier reads back empty.
        var daily = new EngineHarness();
        daily.Upsert(EngineHarness.Metric("d", "avg(last_5m):avg:orders{*} by {shop} > 100"));
        daily.Point("orders", ["shop:a"], daily.Now, 60);
        var current = Snapshot.Bytes(daily.State);
        var version16 = Snapshot.WithoutDrains(daily.State, current);
        var old = Snapshot.Restore(version16);
        Assert.All(old.Monitors.AllSeries, s => Assert.Equal(-1, s.TierSlots[weekTier]));
        Assert.Equal(current, Snapshot.Bytes(old));
    }

    /// <summary>Ticks in hour steps up to <paramref name="untilMs"/> (the monitor evaluates hourly).</summary>
    private static void TickHours(EngineHarness engine, long untilMs)
    {
        while (engine.Now + Hour <= untilMs)
        {
            engine.Tick(engine.Now + Hour);
        }
    }
}
