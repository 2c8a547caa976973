using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class MonitorEngineTests
{
    [Fact]
    public void On_arrival_monitor_alerts_in_the_entry_that_brought_the_crossing_point()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("cpu", "avg(last_1m):avg:system.cpu{*} by {host} > 90", o => o.OnArrival = true));

        engine.Point("system.cpu", ["host:a"], engine.Now, 50);
        var crossing = engine.Point("system.cpu", ["host:a"], engine.Now, 200);

        var alert = Assert.Single(engine.Events);
        Assert.Equal(("cpu", "host:a", 1UL), (alert.MonitorId, alert.GroupKey, alert.TransitionNumber));
        Assert.Equal((AlertState.Ok, AlertState.Alert), (alert.Previous, alert.Next));
        Assert.Equal(crossing, alert.LogIndex);
        Assert.Equal(125, alert.Value);
    }

    [Fact]
    public void Scheduled_monitor_is_evaluated_at_its_hash_offset_instants_of_the_interval()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 1", o => o.EvaluationIntervalMs = 10_000));
        engine.TickTo(EngineHarness.Start + 60_000);

        // Six instants of a 10 s interval fit in any 60 s span after the first tick.
        Assert.Equal(6, engine.State.Counters.ScheduledEvaluations);
        Assert.Equal(0, engine.State.Counters.CaughtUpEvaluations);
    }

    [Fact]
    public void A_tick_jump_does_each_missed_evaluation_once_in_order_and_counts_them()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 1", o => o.EvaluationIntervalMs = 1_000));
        engine.Point("q", [], engine.Now, 5);
        engine.Tick(engine.Now + 100);

        engine.Tick(engine.Now + 30_000);

        var counters = engine.State.Counters;
        Assert.InRange(counters.ScheduledEvaluations, 30, 31);
        Assert.True(counters.CaughtUpEvaluations >= 28, $"caught up {counters.CaughtUpEvaluations}");
        var alert = Assert.Single(engine.Events);
        Assert.Equal(AlertState.Alert, alert.Next);
    }

    [Fact]
    public void Within_one_tick_higher_priority_monitors_are_evaluated_first()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("low", "max(last_1m):max:q{*} > 1", o => o.EvaluationIntervalMs = 1_000, priority: 5));
        engine.Upsert(EngineHarness.Metric("high", "max(last_1m):max:q{*} > 1", o => o.EvaluationIntervalMs = 1_000, priority: 1));
        engine.Point("q", [], engine.Now, 5);

        engine.Tick(engine.Now + 5_000);

        Assert.Equal(["high", "low"], engine.Events.Select(e => e.MonitorId));
    }

    [Fact]
    public void Evaluation_delay_ignores_data_newer_than_the_delay()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 10", o =>
        {
            o.OnArrival = true;
            o.EvaluationDelayMs = 120_000;
        }));

        engine.Point("q", [], engine.Now, 50);

        Assert.Empty(engine.Events);
    }

    [Fact]
    public void A_new_monitor_picks_up_existing_series_and_a_new_series_joins_existing_monitors_within_scope()
    {
        var engine = new EngineHarness();
        engine.Point("q", ["env:prod", "host:a"], engine.Now, 50);
        engine.Point("q", ["env:dev", "host:b"], engine.Now, 50);
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{env:prod} by {host} > 10", o => o.OnArrival = true));
        engine.Point("q", ["env:prod", "host:c"], engine.Now, 50);
        engine.Point("q", ["env:prod", "host:a"], engine.Now, 60);

        Assert.Equal(["host:a", "host:c"], engine.Events.Select(e => e.GroupKey).Order(StringComparer.Ordinal));
        Assert.Equal(2, engine.State.Monitors.GroupStates("m").Count);
    }

    [Fact]
    public void Group_key_follows_the_by_clause_and_a_series_missing_a_by_tag_is_left_out()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} by {service,host} > 10", o => o.OnArrival = true));
        engine.Point("q", ["host:a", "service:web"], engine.Now, 50);
        engine.Point("q", ["host:b"], engine.Now, 50);

        Assert.Equal(["service:web,host:a"], engine.Events.Select(e => e.GroupKey));
        Assert.Equal(["service:web,host:a"], engine.State.Monitors.GroupStates("m").Select(g => g.GroupKey));
    }

    [Fact]
    public void A_monitor_created_over_existing_series_leaves_out_those_missing_a_by_tag()
    {
        var engine = new EngineHarness();
        engine.Point("q", ["host:b"], engine.Now, 50);
        engine.Point("q", ["host:a", "service:web"], engine.Now, 50);
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} by {service,host} > 10", o => o.OnArrival = true));

        Assert.Equal(["service:web,host:a"], engine.State.Monitors.GroupStates("m").Select(g => g.GroupKey));
    }

    [Fact]
    public void Points_that_are_not_finite_too_old_or_too_far_ahead_are_rejected_and_counted_by_reason()
    {
        var engine = new EngineHarness(new IngestLimits { MaxPointAgeMs = 60_000, MaxPointFutureMs = 10_000 });
        var series = new SeriesPoints { Metric = "q" };
        series.UnixMs.Add([engine.Now, engine.Now, engine.Now - 60_001, engine.Now + 10_001, engine.Now]);
        series.Values.Add([double.NaN, double.PositiveInfinity, 1, 1, 1]);
        engine.Apply(new LogEntry { Points = new PointsBatch { Series = { series } } });

        var rejected = engine.Applier.LastEntryRejections;
        Assert.Equal(2, rejected[(int)RejectReason.NotFinite]);
        Assert.Equal(1, rejected[(int)RejectReason.TooOld]);
        Assert.Equal(1, rejected[(int)RejectReason.TooFarInFuture]);
        Assert.Equal(1, engine.State.Counters.PointsAccepted);
        Assert.Equal(2, engine.State.Rejected(RejectReason.NotFinite));
    }

    [Fact]
    public void Cardinality_limits_reject_new_series_with_their_reason()
    {
        var engine = new EngineHarness(new IngestLimits { MaxSeriesPerMetric = 2, MaxSeriesTotal = 4, MaxGroupsPerMonitor = 1 });
        engine.Point("a", ["host:1"], engine.Now, 1);
        engine.Point("a", ["host:2"], engine.Now, 1);
        engine.Point("a", ["host:3"], engine.Now, 1);
        Assert.Equal(1, engine.Applier.LastEntryRejections[(int)RejectReason.SeriesPerMetricLimit]);

        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:b{*} by {host} > 10"));
        engine.Point("b", ["host:1"], engine.Now, 1);
        engine.Point("b", ["host:2"], engine.Now, 1);
        Assert.Equal(1, engine.Applier.LastEntryRejections[(int)RejectReason.GroupsPerMonitorLimit]);

        engine.Point("c", ["host:1"], engine.Now, 1);
        engine.Point("d", ["host:1"], engine.Now, 1);
        Assert.Equal(1, engine.Applier.LastEntryRejections[(int)RejectReason.SeriesTotalLimit]);
        Assert.Equal(4, engine.State.SeriesCount);
    }

    [Fact]
    public void Editing_the_threshold_keeps_the_group_state()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 10", o => o.OnArrival = true));
        engine.Point("q", [], engine.Now, 50);
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 20", o => o.OnArrival = true));

        Assert.Single(engine.Events);
        Assert.Equal(AlertState.Alert, Assert.Single(engine.State.Monitors.GroupStates("m")).State);
    }

    [Fact]
    public void Editing_the_metric_resets_an_alerting_group_with_the_edit_as_reason()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 10", o => o.OnArrival = true));
        engine.Point("q", [], engine.Now, 50);
        var edit = engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:other{*} > 10", o => o.OnArrival = true));

        var reset = engine.Events[^1];
        Assert.Equal((AlertState.Alert, AlertState.Ok, TransitionReason.MonitorEdited), (reset.Previous, reset.Next, reset.Reason));
        Assert.Equal(edit, reset.LogIndex);
    }

    [Fact]
    public void Deleting_a_monitor_ends_its_open_alert_with_the_deleted_reason()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 10", o => o.OnArrival = true));
        engine.Point("q", [], engine.Now, 50);
        engine.Delete("m");

        var end = engine.Events[^1];
        Assert.Equal((AlertState.Ok, TransitionReason.MonitorDeleted, 2UL), (end.Next, end.Reason, end.TransitionNumber));
        Assert.Equal(0, engine.State.MonitorCount);
    }

    [Fact]
    public void A_downtime_mutes_the_notification_but_not_the_transition()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} by {host} > 10", o => o.OnArrival = true));
        engine.Downtime(new Downtime { Id = "d", MonitorId = "m", StartUnixMs = engine.Now - 1, EndUnixMs = engine.Now + 60_000 });
        engine.Point("q", ["host:a"], engine.Now, 50);

        var alert = Assert.Single(engine.Events);
        Assert.Equal(AlertState.Alert, alert.Next);
        Assert.False(alert.Notify);
    }

    [Fact]
    public void Check_monitor_alerts_after_n_consecutive_critical_runs()
    {
        var engine = new EngineHarness();
        engine.Upsert(new Protocol.Log.Monitor
        {
            Id = "c",
            Type = "check",
            Query = "\"app.ok\".over(\"*\").by(\"host\").last(3).count_by_status()",
            Options = new MonitorOptions { OnArrival = true },
        });

        engine.Check("app.ok", ["host:a"], engine.Now, CheckStatus.Critical);
        engine.Check("app.ok", ["host:a"], engine.Now, CheckStatus.Critical);
        Assert.DoesNotContain(engine.Events, e => e.Next == AlertState.Alert);
        engine.Check("app.ok", ["host:a"], engine.Now, CheckStatus.Critical);

        Assert.Equal(AlertState.Alert, engine.Events[^1].Next);
        Assert.Equal("host:a", engine.Events[^1].GroupKey);
    }

    [Fact]
    public void An_invalid_monitor_entry_is_refused_and_counted_the_same_way_on_every_replica()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "avg(last_5m):avg:q{*} 90"));

        Assert.Equal(0, engine.State.MonitorCount);
        Assert.Equal(1, engine.State.Rejected(RejectReason.InvalidCommand));
    }

    [Fact]
    public void Validation_names_the_field_and_the_reason()
    {
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(
            EngineHarness.Metric("m", "avg(last_5m):avg:q{*} > 90", o => o.EvaluationIntervalMs = 500)));

        Assert.Equal("options.evaluation_interval", error.Field);
        Assert.Contains("1000 ms", error.Reason, StringComparison.Ordinal);

        var parse = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(EngineHarness.Metric("m", "avg(last_5m):avg:q{*} 90")));
        Assert.Equal("query", parse.Field);
        Assert.Contains("expected comparator", parse.Reason, StringComparison.Ordinal);
    }
}
