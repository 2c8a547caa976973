using Alerting.Engine.State;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>notify_no_data with no_data_timeframe: Datadog's clock runs from the group's last point.</summary>
public sealed class NoDataOptionTests
{
    private const string Max = "max(last_1m):avg:q{*} > 90";

    [Fact]
    public void A_silent_group_goes_to_no_data_one_timeframe_after_its_last_point_and_back_on_data()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = Scenario.Minute;
        });
        var pointAt = s.Now;
        s.Write(5);

        var noDataAt = s.InstantAtOrAfter(pointAt + Scenario.Minute);
        s.Idle(noDataAt - 1);
        Assert.Empty(s.Take());

        var tick = s.Evaluate();
        var noData = Assert.Single(s.Take());
        Expect.Transition(noData, "m", "*", 1, Ok, NoData, TransitionReason.NoData, true, tick);
        Assert.Equal(noDataAt, noData.TimeMs);
        Assert.True(double.IsNaN(noData.Value));

        var back = s.Step(5);
        Expect.Transition(Assert.Single(s.Take()), "m", "*", 2, NoData, Ok, TransitionReason.Recovered, true, back);
    }

    [Fact]
    public void A_timeframe_shorter_than_the_window_reports_no_data_while_old_points_still_fill_the_window()
    {
        var s = Scenario.ForMetric("max(last_5m):avg:q{*} > 90", o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = Scenario.Minute;
        });
        var pointAt = s.Now;
        s.Step(95);
        Assert.Equal(Alert, Assert.Single(s.Take()).Next);

        s.Idle(pointAt + (3 * Scenario.Minute));

        var noData = Assert.Single(s.Take());
        Assert.Equal((Alert, NoData), (noData.Previous, noData.Next));
        Assert.Equal(s.InstantAtOrAfter(pointAt + Scenario.Minute), noData.TimeMs);
    }

    [Fact]
    public void Notify_no_data_without_a_timeframe_defaults_to_twice_the_window()
    {
        var s = Scenario.ForMetric(Max, o => o.NotifyNoData = true);
        var pointAt = s.Now;
        s.Write(5);

        var noDataAt = s.InstantAtOrAfter(pointAt + (2 * Scenario.Minute));
        s.Idle(noDataAt - 1);
        Assert.Empty(s.Take());
        s.Evaluate();

        var noData = Assert.Single(s.Take());
        Assert.Equal((Ok, NoData, noDataAt), (noData.Previous, noData.Next, noData.TimeMs));
    }

    [Fact]
    public void The_no_data_clock_runs_from_the_end_of_the_delayed_window()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = Scenario.Minute;
            o.EvaluationDelayMs = 2 * Scenario.Minute;
        });

        // Points arriving on time, seen two minutes late, are not "no data".
        s.Hold(5, EngineHarness.Start + (10 * Scenario.Minute));
        Assert.Empty(s.Take());

        var lastPointAt = s.Now;
        s.Write(5);
        s.Idle(lastPointAt + (5 * Scenario.Minute));

        var noData = Assert.Single(s.Take());
        Assert.Equal(s.InstantAtOrAfter(lastPointAt + (3 * Scenario.Minute)), noData.TimeMs);
    }

    [Fact]
    public void An_alerting_group_that_goes_silent_moves_to_no_data()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = 30_000;
        });
        var pointAt = s.Now;
        var alertTick = s.Step(95);
        s.Idle(EngineHarness.Start + (5 * Scenario.Minute));

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, alertTick);
        Expect.Transition(events[1], "m", "*", 2, Alert, NoData, TransitionReason.NoData, true, s.TickIndexAt(s.InstantAtOrAfter(pointAt + 30_000)));
    }

    [Fact]
    public void Without_notify_no_data_a_silent_group_keeps_its_state()
    {
        var s = Scenario.ForMetric(Max, o => o.NoDataTimeframeMs = 30_000);
        s.Step(95);
        s.Idle(EngineHarness.Start + (10 * Scenario.Minute));

        Assert.Equal(Alert, Assert.Single(s.Take()).Next);
        Assert.Equal(Alert, Assert.Single(s.Groups).State);
    }

    [Fact]
    public void An_on_arrival_monitor_still_detects_no_data_on_its_schedule_and_renotifies_it_by_default()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.OnArrival = true;
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = Scenario.Minute;
            o.RenotifyIntervalMs = Scenario.Minute;
        });
        var pointAt = s.Now;
        s.Write(5);
        var noDataAt = s.InstantAtOrAfter(pointAt + Scenario.Minute);
        s.Idle(noDataAt + Scenario.Minute);

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, NoData, TransitionReason.NoData, true, s.TickIndexAt(noDataAt));
        Expect.Transition(events[1], "m", "*", 2, NoData, NoData, TransitionReason.Renotify, true, s.TickIndexAt(noDataAt + Scenario.Minute));
    }
}
