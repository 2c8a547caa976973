using Alerting.Engine.State;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>new_group_delay: a group is not evaluated into anything until it has existed for the delay.</summary>
public sealed class NewGroupDelayOptionTests
{
    [Fact]
    public void Each_new_group_alerts_only_once_its_own_delay_from_its_first_point_has_passed()
    {
        var s = Scenario.ForMetric("max(last_1m):avg:q{*} by {host} > 90", o => o.NewGroupDelayMs = 60_000);
        var firstA = s.Now;
        var firstB = EngineHarness.Start + 30_000;
        var end = EngineHarness.Start + (3 * Scenario.Minute);
        long? seenB = null;
        while (s.NextInstant() <= end)
        {
            s.Write(95, "host:a");
            if (s.Now >= firstB)
            {
                seenB ??= s.Now;
                s.Write(95, "host:b");
            }

            s.Evaluate();
        }

        var alertA = s.InstantAtOrAfter(firstA + 60_000);
        var alertB = s.InstantAtOrAfter(seenB!.Value + 60_000);
        var events = s.Take();
        Assert.Equal(2, events.Count);
        Expect.Transition(events[0], "m", "host:a", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, s.TickIndexAt(alertA));
        Expect.Transition(events[1], "m", "host:b", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, s.TickIndexAt(alertB));
        Assert.Equal((alertA, alertB), (events[0].TimeMs, events[1].TimeMs));
    }

    [Fact]
    public void Without_the_delay_a_new_group_alerts_at_its_first_evaluation()
    {
        var s = Scenario.ForMetric("max(last_1m):avg:q{*} by {host} > 90");

        var first = s.Step(95, "host:a");

        Expect.Transition(Assert.Single(s.Take()), "m", "host:a", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, first);
    }
}
