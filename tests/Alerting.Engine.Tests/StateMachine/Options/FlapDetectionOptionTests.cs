using Alerting.Engine.State;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// flap_detection with flap_low_percent / flap_high_percent (Nagios weighting over the last 21
/// states). Alternating at every evaluation, the n-th change adds (74 + 2 × (21 − k)) / 19 for
/// its position k from the newest: 6.0 %, 11.9 %, 17.7 %, 23.4 % after 1 to 4 changes.
/// </summary>
public sealed class FlapDetectionOptionTests
{
    private const string Last = "last(last_1m):avg:q{*} > 90";

    [Theory]
    [InlineData(0.0, 0.0, 4)]   // defaults 5 / 20: 23.4 % at the fourth change
    [InlineData(10.0, 15.0, 3)] // 17.7 % at the third
    public void Flapping_group_keeps_transitioning_but_stops_notifying(double low, double high, int firstSilent)
    {
        var s = Scenario.ForMetric(Last, o =>
        {
            o.FlapDetection = true;
            o.FlapLowPercent = low;
            o.FlapHighPercent = high;
        });
        var ticks = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            ticks.Add(s.Step(i % 2 == 0 ? 95 : 50));
        }

        var events = s.Take();
        Assert.Equal(6, events.Count);
        for (var i = 0; i < 6; i++)
        {
            var up = i % 2 == 0;
            var silent = i + 1 >= firstSilent;
            Expect.Transition(
                events[i], "m", "*", (ulong)i + 1, up ? Ok : Alert, up ? Alert : Ok,
                up ? TransitionReason.ThresholdCrossed : TransitionReason.Recovered, notify: !silent, ticks[i]);
            Assert.Equal(silent, events[i].Flags.HasFlag(GroupFlags.Flapping));
        }
    }

    [Fact]
    public void Without_flap_detection_every_alternation_notifies()
    {
        var s = Scenario.ForMetric(Last);
        for (var i = 0; i < 10; i++)
        {
            s.Step(i % 2 == 0 ? 95 : 50);
        }

        var events = s.Take();
        Assert.Equal(10, events.Count);
        Assert.All(events, e => Assert.True(e.Notify));
    }

    [Fact]
    public void A_group_that_settles_stops_flapping_and_notifies_again()
    {
        var s = Scenario.ForMetric(Last, o => o.FlapDetection = true);
        for (var i = 0; i < 6; i++)
        {
            s.Step(i % 2 == 0 ? 95 : 50);
        }

        Assert.False(s.Take()[^1].Notify);
        for (var i = 0; i < FlapHistory.Length; i++)
        {
            s.Step(50);
        }

        Assert.False(Assert.Single(s.Groups).Flapping);
        var alertTick = s.Step(95);
        Expect.Transition(Assert.Single(s.Take()), "m", "*", 7, Ok, Alert, TransitionReason.ThresholdCrossed, true, alertTick);
    }
}
