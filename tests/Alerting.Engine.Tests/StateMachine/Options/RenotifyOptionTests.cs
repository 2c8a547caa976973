using Alerting.Engine.State;
using Alerting.Protocol.Log;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>renotify_interval, renotify_occurrences and renotify_statuses.</summary>
public sealed class RenotifyOptionTests
{
    private const string Last = "last(last_1m):avg:q{*} > 90";

    [Fact]
    public void Renotify_interval_repeats_the_alert_on_the_evaluation_grid()
    {
        var s = Scenario.ForMetric(Last, o => o.RenotifyIntervalMs = 30_000);
        var alertTick = s.Step(95);
        var alertAt = s.Now;
        s.Hold(95, alertAt + 95_000);

        var events = s.Take();
        Assert.Equal(4, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, alertTick);
        for (var k = 1; k <= 3; k++)
        {
            var at = alertAt + (k * 30_000);
            Expect.Transition(events[k], "m", "*", (ulong)k + 1, Alert, Alert, TransitionReason.Renotify, true, s.TickIndexAt(at));
            Assert.True(events[k].IsRenotification);
            Assert.Equal(at, events[k].TimeMs);
        }
    }

    [Fact]
    public void Renotify_occurrences_caps_each_episode_and_a_new_episode_starts_again()
    {
        var s = Scenario.ForMetric(Last, o =>
        {
            o.RenotifyIntervalMs = 20_000;
            o.RenotifyOccurrences = 2;
        });
        s.Step(95);
        var firstAlert = s.Now;
        s.Hold(95, firstAlert + (3 * Scenario.Minute));

        var first = s.Take();
        Assert.Equal([TransitionReason.ThresholdCrossed, TransitionReason.Renotify, TransitionReason.Renotify], first.Select(e => e.Reason));
        Assert.Equal([firstAlert, firstAlert + 20_000, firstAlert + 40_000], first.Select(e => e.TimeMs));

        s.Step(50);
        s.Step(95);
        var secondAlert = s.Now;
        s.Hold(95, secondAlert + (3 * Scenario.Minute));

        var second = s.Take();
        Assert.Equal(
            [TransitionReason.Recovered, TransitionReason.ThresholdCrossed, TransitionReason.Renotify, TransitionReason.Renotify],
            second.Select(e => e.Reason));
        Assert.Equal([4UL, 5UL, 6UL, 7UL], second.Select(e => e.TransitionNumber));
        Assert.Equal(secondAlert + 40_000, second[^1].TimeMs);
    }

    [Fact]
    public void Renotify_statuses_limit_renotification_to_the_listed_states()
    {
        var s = Scenario.ForMetric(Last, o =>
        {
            o.Thresholds = new Thresholds { Warning = 80 };
            o.RenotifyIntervalMs = 30_000;
            o.RenotifyStatuses.Add("warn");
        });
        s.Step(95);
        s.Hold(95, s.Now + (2 * Scenario.Minute));
        Assert.Equal(Alert, Assert.Single(s.Take()).Next);

        var warnTick = s.Step(85);
        var warnAt = s.Now;
        s.Hold(85, warnAt + 30_000);

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Expect.Transition(events[0], "m", "*", 2, Alert, Warn, TransitionReason.Recovered, true, warnTick);
        Expect.Transition(events[1], "m", "*", 3, Warn, Warn, TransitionReason.Renotify, true, s.TickIndexAt(warnAt + 30_000));
    }
}
