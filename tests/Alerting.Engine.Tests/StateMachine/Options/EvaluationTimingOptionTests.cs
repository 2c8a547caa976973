using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>evaluation_interval (scheduled instants), on_arrival, and evaluation_delay.</summary>
public sealed class EvaluationTimingOptionTests
{
    private const string Max = "max(last_1m):avg:q{*} > 90";

    [Fact]
    public void Scheduled_monitor_alerts_at_the_first_instant_after_the_crossing_point_and_not_before()
    {
        var s = Scenario.ForMetric(Max, o => o.EvaluationIntervalMs = 30_000);
        s.Engine.TickTo(s.NextInstant());
        s.Write(95);
        var due = s.NextInstant();

        s.Engine.TickTo(due - 1);
        Assert.Empty(s.Take());

        var tick = s.Engine.Tick(due);
        var alert = Assert.Single(s.Take());
        Expect.Transition(alert, "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, tick);
        Assert.Equal(due, alert.TimeMs);
    }

    [Fact]
    public void Scheduled_evaluations_are_exactly_one_interval_apart()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.EvaluationIntervalMs = 20_000;
            o.RenotifyIntervalMs = 20_000;
        });

        // Renotifying at every evaluation makes each evaluation visible as an event.
        s.Engine.Point(Scenario.Metric, [], s.Now, 95);
        s.Engine.TickTo(s.Now + (3 * Scenario.Minute));

        var times = s.Take().Select(e => e.TimeMs).ToList();
        var first = Scenario.InstantAfter("m", 20_000, EngineHarness.Start);
        Assert.Equal(Enumerable.Range(0, 9).Select(k => first + (k * 20_000L)), times);
    }

    [Fact]
    public void An_unset_interval_evaluates_every_60_seconds()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.EvaluationIntervalMs = 0;
            o.RenotifyIntervalMs = 1_000;
        });

        s.Hold(95, EngineHarness.Start + (4 * Scenario.Minute));

        var times = s.Take().Select(e => e.TimeMs).ToList();
        var first = Scenario.InstantAfter("m", 60_000, EngineHarness.Start);
        Assert.Equal(Enumerable.Range(0, 4).Select(k => first + (k * 60_000L)), times);
        Assert.Equal(4, s.Engine.State.Counters.ScheduledEvaluations);
    }

    [Fact]
    public void On_arrival_monitor_alerts_and_recovers_in_the_entries_that_bring_the_points()
    {
        var s = Scenario.ForMetric("last(last_1m):avg:q{*} > 90", o =>
        {
            o.EvaluationIntervalMs = 60_000;
            o.OnArrival = true;
        });
        s.Engine.TickTo(EngineHarness.Start + 1_500);

        var crossing = s.Write(95);
        var alert = Assert.Single(s.Take());
        Expect.Transition(alert, "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, crossing);
        Assert.Equal(s.Now, alert.TimeMs);

        var back = s.Write(50);
        Expect.Transition(Assert.Single(s.Take()), "m", "*", 2, Alert, Ok, TransitionReason.Recovered, true, back);
    }

    [Fact]
    public void On_arrival_evaluates_a_point_ahead_of_logical_time_when_logical_time_reaches_it()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.EvaluationIntervalMs = 60_000;
            o.OnArrival = true;
        });

        var ahead = s.Now + 30_000;
        s.Engine.Point(Scenario.Metric, [], ahead, 95);
        Assert.Empty(s.Take());
        Assert.True(s.Engine.State.Monitors.GroupLastEvaluatedMs("m", "*") <= s.Now, "the group's clock stays at logical time");

        s.Engine.TickTo(ahead - 1);
        Assert.Empty(s.Take());

        var tick = s.Engine.Tick(ahead);
        var alert = Assert.Single(s.Take());
        Expect.Transition(alert, "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, tick);
        Assert.Equal(ahead, alert.TimeMs);
    }

    [Fact]
    public void On_arrival_evaluates_a_point_within_the_arrival_skew_in_its_own_entry_at_its_time()
    {
        var s = Scenario.ForMetric(Max, o =>
        {
            o.EvaluationIntervalMs = 60_000;
            o.OnArrival = true;
        });

        // Logical time lags a client's clock by up to a tick period: such a point is not made to wait.
        var ahead = s.Now + FuturePoints.ArrivalSkewMs;
        var index = s.Engine.Point(Scenario.Metric, [], ahead, 95);

        var alert = Assert.Single(s.Take());
        Expect.Transition(alert, "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, index);
        Assert.Equal(ahead, alert.TimeMs);
    }

    [Fact]
    public void A_point_ahead_of_logical_time_neither_resolves_a_live_alert_nor_hides_fresh_breaches()
    {
        var s = Scenario.ForMetric("last(last_1m):avg:q{*} > 90", o =>
        {
            o.EvaluationIntervalMs = 60_000;
            o.OnArrival = true;
            o.RenotifyIntervalMs = 1_000;
        });
        s.Engine.TickTo(EngineHarness.Start + 1_500);
        s.Write(95);
        Expect.Transition(Assert.Single(s.Take()), "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, s.Engine.LastIndex);

        // A recovering value stamped 50 s ahead waits; a breach at logical time is still seen, dated now.
        var ahead = s.Now + 50_000;
        s.Engine.Point(Scenario.Metric, [], ahead, 10);
        Assert.Empty(s.Take());
        s.Engine.TickTo(s.Now + 2_000);
        s.Write(96);
        var renotified = Assert.Single(s.Take());
        Assert.Equal(Alert, renotified.Next);
        Assert.True(renotified.IsRenotification);
        Assert.Equal(s.Now, renotified.TimeMs);

        // Its time comes: it is the newest value and recovers, at its own time.
        s.Engine.TickTo(ahead - 1);
        Assert.DoesNotContain(s.Take(), e => e.Next == Ok);
        var tick = s.Engine.Tick(ahead);
        var recovery = Assert.Single(s.Take(), e => e.Next == Ok);
        Assert.Equal(ahead, recovery.TimeMs);
        Assert.Equal(tick, recovery.LogIndex);
    }

    [Fact]
    public void Evaluation_delay_ignores_a_point_until_it_is_older_than_the_delay()
    {
        var s = Scenario.ForMetric(Max, o => o.EvaluationDelayMs = 30_000);
        var pointMs = s.Now; // on a bucket boundary, so the window reaches it exactly when it is delay old
        s.Write(95);

        var expected = s.InstantAtOrAfter(pointMs + 30_000);
        s.Idle(expected - 1);
        Assert.Empty(s.Take());

        var tick = s.Evaluate();
        var alert = Assert.Single(s.Take());
        Expect.Transition(alert, "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, tick);
        Assert.Equal(expected, alert.TimeMs);
    }

    [Fact]
    public void Evaluation_delay_reads_the_window_ending_delay_before_the_instant()
    {
        var s = Scenario.ForMetric("last(last_1m):avg:q{*} > 90", o => o.EvaluationDelayMs = 30_000);
        s.Engine.Point(Scenario.Metric, [], s.Now - 40_000, 95);
        s.Engine.Point(Scenario.Metric, [], s.Now, 50);

        // Window + delay is 90 s: the monitor reads 15 s buckets. Without the delay the newest value
        // (50) would decide; with it, the window ends 30 s back, before that point's bucket.
        var first = s.Evaluate();
        Expect.Transition(Assert.Single(s.Take()), "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, true, first);

        var expected = s.InstantAtOrAfter(EngineHarness.Start + 30_000);
        s.Idle(expected - 1);
        Assert.Empty(s.Take());
        var recovered = s.Evaluate();
        var ok = Assert.Single(s.Take());
        Expect.Transition(ok, "m", "*", 2, Alert, Ok, TransitionReason.Recovered, true, recovered);
        Assert.Equal(50, ok.Value);
    }
}
