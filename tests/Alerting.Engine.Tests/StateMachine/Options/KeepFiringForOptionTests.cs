using Alerting.Engine.State;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>keep_firing_for (Prometheus): an alert stays after recovery for a duration.</summary>
public sealed class KeepFiringForOptionTests
{
    private const string Last = "last(last_1m):avg:q{*} > 90";

    [Fact]
    public void Keep_firing_for_holds_the_alert_after_the_value_recovers_for_the_duration()
    {
        var s = Scenario.ForMetric(Last, o => o.KeepFiringForMs = 30_000);
        s.Step(95);
        Assert.Single(s.Take());

        s.Step(50);
        var recoveringFrom = s.Now;
        s.Hold(50, recoveringFrom + 30_000);

        var ok = Assert.Single(s.Take());
        Expect.Transition(ok, "m", "*", 2, Alert, Ok, TransitionReason.KeepFiringForElapsed, true, s.TickIndexAt(recoveringFrom + 30_000));
    }

    [Fact]
    public void A_breach_while_keeping_firing_restarts_the_duration()
    {
        var s = Scenario.ForMetric(Last, o => o.KeepFiringForMs = 30_000);
        s.Step(95);
        s.Step(50);
        s.Step(50);
        s.Step(95);
        s.Step(50);
        var recoveringFrom = s.Now;
        s.Hold(50, recoveringFrom + 30_000);

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Assert.Equal((recoveringFrom + 30_000, TransitionReason.KeepFiringForElapsed), (events[1].TimeMs, events[1].Reason));
    }
}
