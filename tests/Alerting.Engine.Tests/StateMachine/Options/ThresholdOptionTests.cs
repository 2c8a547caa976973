using Alerting.Engine.State;
using Alerting.Protocol.Log;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>critical (from the query), warning, critical_recovery, warning_recovery and the four comparators.</summary>
public sealed class ThresholdOptionTests
{
    // "last" reads the newest bucket, so each step's value is what the next instant evaluates.
    private const string Last = "last(last_1m):avg:q{*}";

    [Fact]
    public void Critical_threshold_of_the_query_alerts_at_the_instant_after_the_crossing_value_and_recovers_at_it()
    {
        var s = Scenario.ForMetric(Last + " > 90");

        s.Step(50);
        Assert.Empty(s.Take());
        var crossing = s.Step(95);
        var alert = Assert.Single(s.Take());
        Expect.Transition(alert, "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: true, crossing);
        Assert.Equal((95.0, 90.0, s.Now), (alert.Value, alert.Threshold, alert.TimeMs));

        var back = s.Step(90);
        var ok = Assert.Single(s.Take());
        Expect.Transition(ok, "m", "*", 2, Alert, Ok, TransitionReason.Recovered, notify: true, back);
        Assert.Equal((90.0, 90.0), (ok.Value, ok.Threshold));
    }

    [Fact]
    public void Warning_threshold_goes_ok_warn_alert_and_back_down_through_warn()
    {
        var s = Scenario.ForMetric(Last + " > 90", o => o.Thresholds = new Thresholds { Warning = 80 });

        var warn = s.Step(85);
        var alert = s.Step(95);
        var down = s.Step(85);
        var ok = s.Step(50);

        var events = s.Take();
        Assert.Equal(4, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, Warn, TransitionReason.ThresholdCrossed, true, warn);
        Expect.Transition(events[1], "m", "*", 2, Warn, Alert, TransitionReason.ThresholdCrossed, true, alert);
        Expect.Transition(events[2], "m", "*", 3, Alert, Warn, TransitionReason.Recovered, true, down);
        Expect.Transition(events[3], "m", "*", 4, Warn, Ok, TransitionReason.Recovered, true, ok);
        Assert.Equal([80.0, 90.0, 90.0, 80.0], events.Select(e => e.Threshold));
    }

    [Fact]
    public void Critical_recovery_keeps_the_alert_until_the_value_reaches_it_inclusive()
    {
        var s = Scenario.ForMetric(Last + " > 90", o => o.Thresholds = new Thresholds { CriticalRecovery = 70 });

        s.Step(95);
        Assert.Single(s.Take());
        s.Step(80);
        s.Step(70.5);
        Assert.Empty(s.Take());
        Assert.Equal(Alert, Assert.Single(s.Groups).State);

        var recovered = s.Step(70);
        var ok = Assert.Single(s.Take());
        Expect.Transition(ok, "m", "*", 2, Alert, Ok, TransitionReason.Recovered, true, recovered);
        Assert.Equal(70.0, ok.Threshold);

        // Hysteresis only holds an alert: from OK, a value between recovery and critical stays OK.
        s.Step(85);
        Assert.Empty(s.Take());
    }

    [Fact]
    public void Warning_recovery_keeps_the_warning_until_the_value_reaches_it_inclusive()
    {
        var s = Scenario.ForMetric(Last + " > 90", o => o.Thresholds = new Thresholds { Warning = 80, WarningRecovery = 60 });

        s.Step(85);
        Assert.Equal(Warn, Assert.Single(s.Take()).Next);
        s.Step(65);
        s.Step(60.5);
        Assert.Empty(s.Take());

        var recovered = s.Step(60);
        var ok = Assert.Single(s.Take());
        Expect.Transition(ok, "m", "*", 2, Warn, Ok, TransitionReason.Recovered, true, recovered);
        Assert.Equal(60.0, ok.Threshold);
    }

    [Fact]
    public void Below_comparator_mirrors_warning_and_recovery_thresholds()
    {
        var s = Scenario.ForMetric(Last + " < 10", o => o.Thresholds = new Thresholds { Warning = 20, CriticalRecovery = 15 });

        s.Step(25);
        var warn = s.Step(18);
        var alert = s.Step(5);
        s.Step(12);
        s.Step(14.5);
        var up = s.Step(15);

        var events = s.Take();
        Assert.Equal(3, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, Warn, TransitionReason.ThresholdCrossed, true, warn);
        Expect.Transition(events[1], "m", "*", 2, Warn, Alert, TransitionReason.ThresholdCrossed, true, alert);
        Expect.Transition(events[2], "m", "*", 3, Alert, Warn, TransitionReason.Recovered, true, up);
        Assert.Equal(15.0, events[2].Threshold);
    }

    [Theory]
    [InlineData(">", 11.0, false)]
    [InlineData(">=", 11.0, true)]
    [InlineData("<", 9.0, false)]
    [InlineData("<=", 9.0, true)]
    public void Comparator_decides_the_alerting_side_and_whether_the_threshold_itself_alerts(string comparator, double beyond, bool thresholdAlerts)
    {
        var safe = 20 - beyond;
        var s = Scenario.ForMetric($"{Last} {comparator} 10");

        s.Step(safe);
        Assert.Empty(s.Take());

        var atThreshold = s.Step(10);
        var beyondIndex = s.Step(beyond);
        var recovered = s.Step(safe);

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, thresholdAlerts ? atThreshold : beyondIndex);
        Assert.Equal(thresholdAlerts ? 10 : beyond, events[0].Value);
        Expect.Transition(events[1], "m", "*", 2, Alert, Ok, TransitionReason.Recovered, true, recovered);
    }
}
