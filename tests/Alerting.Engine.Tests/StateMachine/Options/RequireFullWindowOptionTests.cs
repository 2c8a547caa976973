using Alerting.Engine.State;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// require_full_window: a value from a window the data does not cover yet asserts nothing. The
/// window (T − 1 min, T] is covered when the series has a point in its first 15 s (the alignment
/// interval, docs/evaluation.md): 45 s after the first point.
/// </summary>
public sealed class RequireFullWindowOptionTests
{
    [Theory]
    [InlineData(true, 45_000)]
    [InlineData(false, 1)]
    public void A_window_not_yet_covered_does_not_alert_and_alerts_once_covered(bool requireFullWindow, long alertsFromMs)
    {
        var s = Scenario.ForMetric("avg(last_1m):avg:q{*} > 90", o => o.RequireFullWindow = requireFullWindow);
        var ticks = new Dictionary<long, long>();

        // One point per second from Start, the Agent's way; each tick evaluates the instants it passes.
        for (var t = EngineHarness.Start; t <= EngineHarness.Start + (2 * Scenario.Minute); t += 1_000)
        {
            if (t > s.Now)
            {
                ticks[t] = s.Engine.Tick(t);
            }

            s.Write(95);
        }

        var expected = s.InstantAtOrAfter(EngineHarness.Start + alertsFromMs);
        var alert = Assert.Single(s.Take());
        var tickSecond = (expected + 999) / 1_000 * 1_000;
        Expect.Transition(alert, "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, ticks[tickSecond]);
        Assert.Equal(expected, alert.TimeMs);
    }

    [Theory]
    [InlineData(true, 45_000)]
    [InlineData(false, 1)]
    public void A_window_not_yet_covered_does_not_recover_an_alert_either(bool requireFullWindow, long recoversFromMs)
    {
        var s = Scenario.ForMetric("avg(last_1m):avg:q{*} > 90", o => o.RequireFullWindow = requireFullWindow);
        var ticks = new Dictionary<long, long>();
        var resumed = EngineHarness.Start + (3 * Scenario.Minute);

        // 95 for 70 s (the alert), silence for 110 s (no value: the state is kept), then 0.
        for (var t = EngineHarness.Start; t <= resumed + (2 * Scenario.Minute); t += 1_000)
        {
            if (t > s.Now)
            {
                ticks[t] = s.Engine.Tick(t);
            }

            if (t <= EngineHarness.Start + 70_000)
            {
                s.Write(95);
            }
            else if (t >= resumed)
            {
                s.Write(0);
            }
        }

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Assert.Equal(Alert, events[0].Next);
        var expected = s.InstantAtOrAfter(resumed + recoversFromMs);
        Expect.Transition(events[1], "m", "*", 2, Alert, Ok, TransitionReason.Recovered, true, ticks[(expected + 999) / 1_000 * 1_000]);
        Assert.Equal(expected, events[1].TimeMs);
    }
}
