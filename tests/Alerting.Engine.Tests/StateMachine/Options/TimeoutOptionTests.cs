using Alerting.Engine.State;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>timeout (Datadog timeout_h): a triggered group whose data stopped resolves itself.</summary>
public sealed class TimeoutOptionTests
{
    private const string Last = "last(last_1m):avg:q{*} > 90";

    [Fact]
    public void Timeout_keeps_an_alert_while_the_group_still_reports_breaching_values()
    {
        var s = Scenario.ForMetric(Last, o => o.TimeoutMs = Scenario.Minute);
        var alertTick = s.Step(95);
        s.Hold(95, EngineHarness.Start + (10 * Scenario.Minute));

        Expect.Transition(Assert.Single(s.Take()), "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, alertTick);
        Assert.Equal(Alert, Assert.Single(s.Groups).State);
    }

    [Fact]
    public void Timeout_resolves_an_alert_one_timeout_after_its_last_point_once_data_stops()
    {
        var s = Scenario.ForMetric(Last, o => o.TimeoutMs = 2 * Scenario.Minute);
        s.Hold(95, EngineHarness.Start + (3 * Scenario.Minute));
        var lastPointAt = s.Now;
        s.Write(95);
        s.Idle(lastPointAt + (10 * Scenario.Minute));

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Assert.Equal((Ok, Alert), (events[0].Previous, events[0].Next));
        var resolvedAt = s.InstantAtOrAfter(lastPointAt + (2 * Scenario.Minute));
        Expect.Transition(events[1], "m", "*", 2, Alert, Ok, TransitionReason.AutoResolved, true, s.TickIndexAt(resolvedAt));
    }

    [Fact]
    public void Points_older_than_the_timeout_do_not_re_trigger_what_it_resolved()
    {
        var s = Scenario.ForMetric("max(last_5m):avg:q{*} > 90", o => o.TimeoutMs = Scenario.Minute);
        var pointAt = s.Now;
        s.Step(95);
        s.Idle(pointAt + (4 * Scenario.Minute));

        var events = s.Take();
        Assert.Equal([TransitionReason.ThresholdCrossed, TransitionReason.AutoResolved], events.Select(e => e.Reason));
        Assert.Equal(s.InstantAtOrAfter(pointAt + Scenario.Minute), events[1].TimeMs);
        Assert.Equal(Ok, Assert.Single(s.Groups).State);
    }

    [Fact]
    public void Renotifications_do_not_push_the_auto_resolve_back()
    {
        var s = Scenario.ForMetric(Last, o =>
        {
            o.TimeoutMs = Scenario.Minute;
            o.RenotifyIntervalMs = 20_000;
        });
        var pointAt = s.Now;
        s.Step(95);
        s.Idle(pointAt + (2 * Scenario.Minute));

        var events = s.Take();
        Assert.Equal(
            [TransitionReason.ThresholdCrossed, TransitionReason.Renotify, TransitionReason.Renotify, TransitionReason.AutoResolved],
            events.Select(e => e.Reason));
        Assert.Equal(s.InstantAtOrAfter(pointAt + Scenario.Minute), events[^1].TimeMs);
    }
}
