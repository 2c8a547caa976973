using Alerting.Engine.State;
using Alerting.Protocol.Log;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>Check monitors: last(n) runs per group; n CRITICAL in a row alert, UNKNOWN newest is no data.</summary>
public sealed class CheckMonitorOptionTests
{
    [Fact]
    public void Last_n_consecutive_critical_runs_alert_and_an_ok_run_recovers()
    {
        var s = Scenario.ForCheck(lastRuns: 3);

        s.Step(CheckStatus.Critical);
        s.Step(CheckStatus.Critical);
        Assert.Empty(s.Take());
        var third = s.Step(CheckStatus.Critical);
        var alert = Assert.Single(s.Take());
        Expect.Transition(alert, "c", "host:a", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, third);
        Assert.Equal((2.0, 2.0), (alert.Value, alert.Threshold));

        var ok = s.Step(CheckStatus.Ok);
        Expect.Transition(Assert.Single(s.Take()), "c", "host:a", 2, Alert, Ok, TransitionReason.Recovered, true, ok);
    }

    [Fact]
    public void A_check_running_once_a_minute_alerts_after_its_last_n_critical_runs_with_default_options()
    {
        // Default interval 60 s and staleness max(2 × interval, 2 min): the oldest of the last
        // three runs is more than two minutes old when the third arrives, but it is still one of
        // the last three runs.
        var s = Scenario.ForCheck(lastRuns: 3, o => o.EvaluationIntervalMs = 0);

        s.Step(CheckStatus.Critical);
        s.Step(CheckStatus.Critical);
        Assert.Empty(s.Take());
        var third = s.Step(CheckStatus.Critical);

        Expect.Transition(Assert.Single(s.Take()), "c", "host:a", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, third);
    }

    [Fact]
    public void A_check_that_stopped_running_has_no_data_one_timeframe_after_its_last_run()
    {
        var s = Scenario.ForCheck(lastRuns: 1, o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = 30_000;
        });
        var lastRunAt = s.Now;
        s.Step(CheckStatus.Critical);
        Assert.Single(s.Take());

        // Datadog: NO DATA no_data_timeframe after the last run, not after the last evaluation that saw it.
        s.Idle(lastRunAt + 90_000);

        var noData = Assert.Single(s.Take());
        Assert.Equal((AlertState.NoData, TransitionReason.NoData), (noData.Next, noData.Reason));
        Assert.Equal(s.InstantAtOrAfter(lastRunAt + 30_000), noData.TimeMs);
    }

    [Fact]
    public void A_run_that_is_not_critical_breaks_the_streak()
    {
        var s = Scenario.ForCheck(lastRuns: 3);

        s.Step(CheckStatus.Critical);
        s.Step(CheckStatus.Ok);
        s.Step(CheckStatus.Critical);
        s.Step(CheckStatus.Critical);
        Assert.Empty(s.Take());

        var streak = s.Step(CheckStatus.Critical);
        Expect.Transition(Assert.Single(s.Take()), "c", "host:a", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, streak);
    }

    [Fact]
    public void Last_n_warn_runs_warn_and_groups_follow_the_by_tag()
    {
        var s = Scenario.ForCheck(lastRuns: 2);

        s.Run(CheckStatus.Warn, "a");
        s.Step(CheckStatus.Critical, "b");
        s.Run(CheckStatus.Warn, "a");
        var second = s.Step(CheckStatus.Critical, "b");

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Expect.Transition(events[0], "c", "host:a", 1, Ok, Warn, TransitionReason.ThresholdCrossed, true, second);
        Expect.Transition(events[1], "c", "host:b", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, second);
    }

    [Fact]
    public void An_unknown_newest_run_is_no_data_and_with_notify_no_data_moves_to_no_data_after_the_timeframe()
    {
        var s = Scenario.ForCheck(lastRuns: 3, o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = 30_000;
        });
        s.Step(CheckStatus.Critical);
        s.Step(CheckStatus.Critical);
        var lastKnownRunAt = s.Now;
        s.Step(CheckStatus.Critical);
        Assert.Equal(Alert, Assert.Single(s.Take()).Next);

        // UNKNOWN runs do not reset the no-data clock, which runs from the last run with a verdict.
        s.Step(CheckStatus.Unknown);
        Assert.Empty(s.Take());
        var noDataTick = s.Step(CheckStatus.Unknown);

        var noData = Assert.Single(s.Take());
        Expect.Transition(noData, "c", "host:a", 2, Alert, NoData, TransitionReason.NoData, true, noDataTick);
        Assert.Equal(lastKnownRunAt + 30_000, noData.TimeMs);
    }

    [Fact]
    public void Without_notify_no_data_unknown_runs_keep_the_state()
    {
        var s = Scenario.ForCheck(lastRuns: 3);
        s.Step(CheckStatus.Critical);
        s.Step(CheckStatus.Critical);
        s.Step(CheckStatus.Critical);
        for (var i = 0; i < 30; i++)
        {
            s.Step(CheckStatus.Unknown);
        }

        Assert.Equal(Alert, Assert.Single(s.Take()).Next);
        Assert.Equal(Alert, Assert.Single(s.Groups).State);
    }
}
