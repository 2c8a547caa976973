using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>top() monitors through log entries: only the first N groups are evaluated; one that leaves the top N is missing data.</summary>
public sealed class TopMonitorTests
{
    private const string Query = "avg(last_1m):top(avg:cpu{*} by {host}, 2, 'mean', 'desc') > 50";

    [Fact]
    public void Only_the_top_n_groups_alert_and_a_group_that_leaves_the_top_goes_to_no_data()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("top", Query, o =>
        {
            o.EvaluationIntervalMs = 60_000;
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = 120_000;
        }));

        var start = EngineHarness.Start;
        for (var minute = 0; minute < 8; minute++)
        {
            engine.TickTo(start + (minute * 60_000));
            engine.Point("cpu", ["host:a"], engine.Now, 90);
            engine.Point("cpu", ["host:b"], engine.Now, 80);
            engine.Point("cpu", ["host:c"], engine.Now, minute < 3 ? 70 : 95);
        }

        engine.TickTo(start + (8 * 60_000));

        var changes = engine.Events.Where(e => e.Previous != e.Next).Select(e => (e.GroupKey, e.Next, (e.TimeMs - start) / 60_000)).ToList();

        // c is above the threshold from the start, but third of three until minute 3; then b is third.
        Assert.Equal(("host:a", AlertState.Alert), (changes[0].GroupKey, changes[0].Next));
        Assert.Equal(("host:b", AlertState.Alert), (changes[1].GroupKey, changes[1].Next));
        Assert.Equal(("host:c", AlertState.Alert, 3L), changes[2]);
        Assert.Equal(("host:b", AlertState.NoData), (changes[3].GroupKey, changes[3].Next));
        Assert.Equal(4, changes.Count);
        Assert.DoesNotContain(engine.Events, e => e.GroupKey == "host:c" && e.TimeMs < start + (3 * 60_000) && e.Next == AlertState.Alert);
    }

    [Fact]
    public void Over_as_count_the_group_with_the_most_errors_in_the_window_is_ranked_first_not_the_largest_flush()
    {
        // api flushes 5 errors every 15 s (20 a minute), batch 18 once a minute: per bucket batch's
        // mean is larger, but the monitor evaluates each group's count over the minute, and ranks by it.
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("errors", "sum(last_1m):top(sum:errors{*} by {service}.as_count(), 1, 'mean', 'desc') > 15", o =>
        {
            o.EvaluationIntervalMs = 60_000;
            o.NewGroupDelayMs = 0;
        }));

        var start = EngineHarness.Start;
        for (var step = 0; step < 20; step++)
        {
            engine.TickTo(start + (step * 15_000));
            engine.Apply(CountPoint("errors", ["service:api"], engine.Now, 5));
            if (step % 4 == 3)
            {
                engine.Apply(CountPoint("errors", ["service:batch"], engine.Now, 18));
            }
        }

        engine.TickTo(start + (5 * 60_000));

        var changes = engine.Events.Where(e => e.Previous != e.Next).Select(e => (e.GroupKey, e.Next)).ToList();
        Assert.Equal([("service:api", AlertState.Alert)], changes);
        Assert.Equal(20.0, engine.Events.First(e => e.Next == AlertState.Alert).Value);
    }

    private static LogEntry CountPoint(string metric, string[] tags, long unixMs, double value)
    {
        var series = new SeriesPoints { Metric = metric, Tags = { tags }, Type = SeriesType.Count };
        series.UnixMs.Add(unixMs);
        series.Values.Add(value);
        return new LogEntry { Points = new PointsBatch { Series = { series } } };
    }

    [Fact]
    public void A_top_monitor_refuses_on_arrival()
    {
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Compile(EngineHarness.Metric("top", Query, o => o.OnArrival = true)));
        Assert.Equal("options.on_arrival", error.Field);
    }
}
