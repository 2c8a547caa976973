using Alerting.Engine.State;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>for (Prometheus pending): the condition must hold for a duration before the state changes.</summary>
public sealed class ForOptionTests
{
    private const string Last = "last(last_1m):avg:q{*} > 90";

    [Fact]
    public void For_holds_the_group_pending_until_the_condition_has_lasted_the_duration()
    {
        var s = Scenario.ForMetric(Last, o => o.ForMs = 30_000);
        s.Step(95);
        var pendingFrom = s.Now;
        Assert.Empty(s.Take());
        var group = Assert.Single(s.Groups);
        Assert.Equal((Ok, true), (group.State, group.IsPending));

        s.Hold(95, pendingFrom + 30_000);

        var alert = Assert.Single(s.Take());
        Expect.Transition(alert, "m", "*", 1, Ok, Alert, TransitionReason.PendingElapsed, true, s.TickIndexAt(pendingFrom + 30_000));
        Assert.False(Assert.Single(s.Groups).IsPending);
    }

    [Fact]
    public void A_breach_shorter_than_for_never_alerts_and_the_next_one_waits_the_full_duration()
    {
        var s = Scenario.ForMetric(Last, o => o.ForMs = 30_000);
        s.Step(95);
        s.Step(95);
        s.Step(95);
        s.Step(50);
        Assert.Empty(s.Take());
        Assert.False(Assert.Single(s.Groups).IsPending);

        s.Step(95);
        var pendingFrom = s.Now;
        s.Hold(95, pendingFrom + 30_000);

        var alert = Assert.Single(s.Take());
        Assert.Equal((pendingFrom + 30_000, TransitionReason.PendingElapsed), (alert.TimeMs, alert.Reason));
    }
}
