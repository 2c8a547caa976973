using Alerting.Engine.State;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>notify_no_data with no_data_timeframe.</summary>
public sealed class NoDataOptionTests
{
    private const string Max = "max(last_1m):avg:q{*} > 90";

    [Fact]
    public void A_silent_group_goes_to_no_data_one_timeframe_after_its_last_value_and_back_on_data()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = Scenario.Minute;
        });
        s.Write(5);

        // The point (on a second boundary) stays in the 1-minute window at instants before Start + 60 s.
        var lastWithValue = s.InstantAtOrAfter(EngineHarness.Start + Scenario.Minute) - s.IntervalMs;
        var noDataAt = lastWithValue + Scenario.Minute;
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
    public void An_alerting_group_that_goes_silent_moves_to_no_data()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = 30_000;
        });
        var alertTick = s.Step(95);
        s.Idle(EngineHarness.Start + (5 * Scenario.Minute));

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, alertTick);
        var lastWithValue = s.InstantAtOrAfter(EngineHarness.Start + Scenario.Minute) - s.IntervalMs;
        Expect.Transition(events[1], "m", "*", 2, Alert, NoData, TransitionReason.NoData, true, s.TickIndexAt(lastWithValue + 30_000));
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
        s.Write(5);
        var lastWithValue = s.InstantAtOrAfter(EngineHarness.Start + Scenario.Minute) - s.IntervalMs;
        s.Idle(lastWithValue + (2 * Scenario.Minute));

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, NoData, TransitionReason.NoData, true, s.TickIndexAt(lastWithValue + Scenario.Minute));
        Expect.Transition(events[1], "m", "*", 2, NoData, NoData, TransitionReason.Renotify, true, s.TickIndexAt(lastWithValue + (2 * Scenario.Minute)));
    }
}
