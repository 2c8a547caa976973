using Alerting.Engine.State;
using Alerting.Protocol.Log;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>Monitor edits (state kept, or reset when what is measured changes) and deletes.</summary>
public sealed class MonitorEditOptionTests
{
    private const string Last = "last(last_1m):avg:q{*} by {host} > 90";

    [Fact]
    public void Editing_the_threshold_keeps_the_alert_and_applies_at_the_next_evaluation()
    {
        var s = Scenario.ForMetric(Last);
        s.Step(95, "host:a");
        Assert.Single(s.Take());

        var edit = s.Engine.Upsert(Edited(s.Monitor, "last(last_1m):avg:q{*} by {host} > 99"));
        Assert.Empty(s.Take());
        Assert.Equal(Alert, Assert.Single(s.Groups).State);

        var next = s.Step(95, "host:a");
        var ok = Assert.Single(s.Take());
        Expect.Transition(ok, "m", "host:a", 2, Alert, Ok, TransitionReason.Recovered, true, next);
        Assert.Equal(99.0, ok.Threshold);
    }

    [Fact]
    public void Editing_options_reaches_the_processor_at_the_next_evaluation()
    {
        var s = Scenario.ForMetric(Last);
        s.Step(95, "host:a");
        s.Hold(95, s.Now + Scenario.Minute, "host:a");
        Assert.Single(s.Take());

        var monitor = Edited(s.Monitor, Last);
        monitor.Options.RenotifyIntervalMs = 20_000;
        s.Engine.Upsert(monitor);
        s.Hold(95, s.Now + 20_000, "host:a");

        var renotify = Assert.Single(s.Take());
        Assert.Equal((TransitionReason.Renotify, 2UL), (renotify.Reason, renotify.TransitionNumber));
    }

    [Theory]
    [InlineData("last(last_2m):avg:q{*} by {host} > 90")]
    [InlineData("max(last_1m):avg:q{*} by {host} > 90")]
    [InlineData("last(last_1m):sum:q{*} by {host} > 90")]
    [InlineData("last(last_1m):avg:q{env:prod} by {host} > 90")]
    public void Changing_what_the_query_measures_resets_an_alerting_group_with_the_edit_as_reason(string query)
    {
        var s = Scenario.ForMetric(Last);
        s.Step(95, "env:prod", "host:a");
        Assert.Single(s.Take());

        var edit = s.Engine.Upsert(Edited(s.Monitor, query));

        Expect.Transition(Assert.Single(s.Take()), "m", "host:a", 2, Alert, Ok, TransitionReason.MonitorEdited, true, edit);

        // The condition still holds under the new query: it alerts again from the next evaluation.
        var again = s.Step(95, "env:prod", "host:a");
        Expect.Transition(Assert.Single(s.Take()), "m", "host:a", 3, Ok, Alert, TransitionReason.ThresholdCrossed, true, again);
    }

    [Fact]
    public void Deleting_a_monitor_ends_its_open_groups_with_monitor_deleted_and_stops_its_evaluations()
    {
        var s = Scenario.ForMetric(Last, o => o.Thresholds = new Thresholds { Warning = 80 });
        s.Write(95, "host:a");
        s.Write(50, "host:b");
        s.Write(85, "host:c");
        s.Evaluate();
        Assert.Equal([Alert, Warn], s.Take().Select(e => e.Next));

        var delete = s.Engine.Delete("m");

        var events = s.Take();
        Assert.Equal(2, events.Count);
        Expect.Transition(events[0], "m", "host:a", 2, Alert, Ok, TransitionReason.MonitorDeleted, true, delete);
        Expect.Transition(events[1], "m", "host:c", 2, Warn, Ok, TransitionReason.MonitorDeleted, true, delete);

        var evaluations = s.Engine.State.Counters.ScheduledEvaluations;
        s.Engine.Point(Scenario.Metric, ["host:a"], s.Now, 95);
        s.Engine.TickTo(s.Now + Scenario.Minute);
        Assert.Empty(s.Take());
        Assert.Equal(evaluations, s.Engine.State.Counters.ScheduledEvaluations);
        Assert.Equal(0, s.Engine.State.MonitorCount);
    }

    private static Protocol.Log.Monitor Edited(Protocol.Log.Monitor monitor, string query)
    {
        var edited = monitor.Clone();
        edited.Query = query;
        return edited;
    }
}
