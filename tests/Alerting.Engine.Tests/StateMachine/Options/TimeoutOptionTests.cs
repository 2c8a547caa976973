using Alerting.Engine.State;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>timeout (Datadog timeout_h): an alert left alone resolves itself.</summary>
public sealed class TimeoutOptionTests
{
    private const string Last = "last(last_1m):avg:q{*} > 90";

    [Fact]
    public void Timeout_auto_resolves_an_alert_and_a_still_breaching_value_re_alerts_at_the_next_evaluation()
    {
        var s = Scenario.ForMetric(Last, o => o.TimeoutMs = Scenario.Minute);
        var alertTick = s.Step(95);
        var alertAt = s.Now;
        s.Hold(95, alertAt + Scenario.Minute + s.IntervalMs);

        var events = s.Take();
        Assert.Equal(3, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, alertTick);
        Expect.Transition(events[1], "m", "*", 2, Alert, Ok, TransitionReason.AutoResolved, true, s.TickIndexAt(alertAt + Scenario.Minute));
        var again = alertAt + Scenario.Minute + s.IntervalMs;
        Expect.Transition(events[2], "m", "*", 3, Ok, Alert, TransitionReason.ThresholdCrossed, true, s.TickIndexAt(again));
    }

    [Fact]
    public void Renotifications_do_not_push_the_auto_resolve_back()
    {
        var s = Scenario.ForMetric(Last, o =>
        {
            o.TimeoutMs = Scenario.Minute;
            o.RenotifyIntervalMs = 20_000;
        });
        s.Step(95);
        var alertAt = s.Now;
        s.Hold(95, alertAt + Scenario.Minute);

        var events = s.Take();
        Assert.Equal(
            [TransitionReason.ThresholdCrossed, TransitionReason.Renotify, TransitionReason.Renotify, TransitionReason.AutoResolved],
            events.Select(e => e.Reason));
        Assert.Equal(alertAt + Scenario.Minute, events[^1].TimeMs);
    }
}
