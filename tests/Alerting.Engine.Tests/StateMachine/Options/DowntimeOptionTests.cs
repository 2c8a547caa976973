using Alerting.Engine.State;
using Alerting.Protocol.Log;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// Downtimes by monitor, scope and group; one-off and weekly windows; the end notification
/// (notify_end_if_alerting). Muted groups still transition; their events carry Notify = false.
/// </summary>
public sealed class DowntimeOptionTests
{
    private const string ByEnvHost = "last(last_1m):avg:q{*} by {env,host} > 90";
    private const string Last = "last(last_1m):avg:q{*} > 90";

    [Fact]
    public void Downtime_by_monitor_mutes_only_that_monitor()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", Last, o => o.OnArrival = true));
        engine.Upsert(EngineHarness.Metric("other", Last, o => o.OnArrival = true));
        engine.Downtime(new Downtime { Id = "d", MonitorId = "m", StartUnixMs = engine.Now });

        var index = engine.Point(Scenario.Metric, [], engine.Now, 95);

        Assert.Equal(2, engine.Events.Count);
        Expect.Transition(engine.Events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: false, index);
        Assert.True(engine.Events[0].Flags.HasFlag(GroupFlags.Muted));
        Expect.Transition(engine.Events[1], "other", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: true, index);
    }

    [Fact]
    public void A_muted_monitor_notifies_nothing_until_it_is_unmuted()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", Last, o =>
        {
            o.OnArrival = true;
            o.Muted = true;
        }));

        var alert = engine.Point(Scenario.Metric, [], engine.Now, 95);
        engine.Upsert(EngineHarness.Metric("m", Last, o => o.OnArrival = true));
        var recovered = engine.Point(Scenario.Metric, [], engine.Now, 10);

        Assert.Equal(2, engine.Events.Count);
        Expect.Transition(engine.Events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: false, alert);
        Expect.Transition(engine.Events[1], "m", "*", 2, Alert, Ok, TransitionReason.Recovered, notify: true, recovered);
    }

    [Fact]
    public void Downtime_by_scope_mutes_only_groups_carrying_every_scope_tag()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", ByEnvHost, o => o.OnArrival = true));
        engine.Downtime(new Downtime { Id = "d", Scope = { "env:prod" }, StartUnixMs = engine.Now });

        var prod = engine.Point(Scenario.Metric, ["env:prod", "host:a"], engine.Now, 95);
        var dev = engine.Point(Scenario.Metric, ["env:dev", "host:a"], engine.Now, 95);

        Assert.Equal(2, engine.Events.Count);
        Expect.Transition(engine.Events[0], "m", "env:prod,host:a", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: false, prod);
        Expect.Transition(engine.Events[1], "m", "env:dev,host:a", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: true, dev);
    }

    [Fact]
    public void Downtime_by_group_mutes_only_that_group()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", ByEnvHost, o => o.OnArrival = true));
        engine.Downtime(new Downtime { Id = "d", MonitorId = "m", Group = "env:prod,host:b", StartUnixMs = engine.Now });

        var a = engine.Point(Scenario.Metric, ["env:prod", "host:a"], engine.Now, 95);
        var b = engine.Point(Scenario.Metric, ["env:prod", "host:b"], engine.Now, 95);

        Assert.Equal(2, engine.Events.Count);
        Expect.Transition(engine.Events[0], "m", "env:prod,host:a", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: true, a);
        Expect.Transition(engine.Events[1], "m", "env:prod,host:b", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: false, b);
    }

    [Fact]
    public void One_off_downtime_mutes_from_its_start_inclusive_to_its_end_exclusive()
    {
        var s = Scenario.ForMetric(Last);
        var first = s.NextInstant();
        s.Engine.Downtime(new Downtime { Id = "d", StartUnixMs = first + 10_000, EndUnixMs = first + 30_000 });

        var before = s.Step(95);
        var atStart = s.Step(50);
        var inside = s.Step(95);
        var atEnd = s.Step(50);

        var events = s.Take();
        Assert.Equal(4, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: true, before);
        Expect.Transition(events[1], "m", "*", 2, Alert, Ok, TransitionReason.Recovered, notify: false, atStart);
        Expect.Transition(events[2], "m", "*", 3, Ok, Alert, TransitionReason.ThresholdCrossed, notify: false, inside);
        Expect.Transition(events[3], "m", "*", 4, Alert, Ok, TransitionReason.Recovered, notify: true, atEnd);
        Assert.Equal(first + 30_000, events[3].TimeMs);
    }

    /// <summary>Start is Friday 2027-01-15 08:00 UTC; the window is 08:05 to 08:15.</summary>
    [Theory]
    [InlineData("weekly days=mon,fri start=08:05 duration=10m", true)]
    [InlineData("weekly days=thu,sat start=08:05 duration=10m", false)]
    [InlineData("weekly days=fri start=08:20 duration=10m", false)]
    public void Weekly_downtime_mutes_inside_its_weekday_window_only(string recurrence, bool mutesAtEight)
    {
        Assert.Equal(DayOfWeek.Friday, DateTimeOffset.FromUnixTimeMilliseconds(EngineHarness.Start).UtcDateTime.DayOfWeek);
        var s = Scenario.ForMetric(Last);
        s.Engine.Downtime(new Downtime { Id = "d", StartUnixMs = 0, Recurrence = recurrence });
        var start = EngineHarness.Start;

        var before = s.Step(95);
        s.Hold(95, start + (6 * Scenario.Minute));
        var recoverInside = s.Step(50);
        s.Hold(50, start + (8 * Scenario.Minute));
        var alertInside = s.Step(95);
        s.Hold(95, start + (15 * Scenario.Minute));
        var recoverAfter = s.Step(50);

        var events = s.Take();
        Assert.Equal(4, events.Count);
        Expect.Transition(events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: true, before);
        Expect.Transition(events[1], "m", "*", 2, Alert, Ok, TransitionReason.Recovered, notify: !mutesAtEight, recoverInside);
        Expect.Transition(events[2], "m", "*", 3, Ok, Alert, TransitionReason.ThresholdCrossed, notify: !mutesAtEight, alertInside);
        Expect.Transition(events[3], "m", "*", 4, Alert, Ok, TransitionReason.Recovered, notify: true, recoverAfter);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_downtime_ending_while_the_group_alerts_notifies_at_the_next_evaluation_only_if_asked(bool notifyEnd)
    {
        var s = Scenario.ForMetric(Last);
        var end = EngineHarness.Start + Scenario.Minute;
        s.Engine.Downtime(new Downtime { Id = "d", StartUnixMs = s.Now, EndUnixMs = end, NotifyEndIfAlerting = notifyEnd });

        var alert = s.Step(95);
        s.Hold(95, end + (2 * Scenario.Minute));

        var events = s.Take();
        Expect.Transition(events[0], "m", "*", 1, Ok, Alert, TransitionReason.ThresholdCrossed, notify: false, alert);
        if (!notifyEnd)
        {
            Assert.Single(events);
            return;
        }

        Assert.Equal(2, events.Count);
        var endsAt = s.InstantAtOrAfter(end);
        Expect.Transition(events[1], "m", "*", 2, Alert, Alert, TransitionReason.DowntimeEndedWhileAlerting, notify: true, s.TickIndexAt(endsAt));
        Assert.Equal(endsAt, events[1].TimeMs);
    }

    [Fact]
    public void Deleting_a_downtime_while_the_group_alerts_notifies_its_end_in_the_delete_entry()
    {
        var s = Scenario.ForMetric(Last);
        s.Engine.Downtime(new Downtime { Id = "d", StartUnixMs = s.Now, NotifyEndIfAlerting = true });
        s.Step(95);
        Assert.False(Assert.Single(s.Take()).Notify);

        var delete = s.Engine.Apply(new LogEntry { DowntimeDeleted = new DowntimeDeleted { DowntimeId = "d" } });

        Expect.Transition(Assert.Single(s.Take()), "m", "*", 2, Alert, Alert, TransitionReason.DowntimeEndedWhileAlerting, notify: true, delete);
        Assert.False(Assert.Single(s.Groups).Muted);
    }

    [Fact]
    public void Interval_recurrence_mutes_the_first_part_of_each_period()
    {
        var s = Scenario.ForMetric(Last, o => o.RenotifyIntervalMs = 1_000);
        var first = s.NextInstant();
        s.Engine.Downtime(new Downtime { Id = "d", StartUnixMs = first, Recurrence = "interval every=1m duration=20s" });

        s.Hold(95, first + (2 * Scenario.Minute) - 1);

        // One event per evaluation (renotify 1 s); the first 2 of every 6 instants of a minute are muted.
        var events = s.Take();
        Assert.Equal(12, events.Count);
        Assert.Equal(
            Enumerable.Range(0, 12).Select(k => k % 6 >= 2),
            events.Select(e => e.Notify));
    }
}
