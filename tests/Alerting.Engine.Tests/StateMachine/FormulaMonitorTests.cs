using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>Formula monitors through log entries: groups joined by their tags, one side missing, edits, snapshots.</summary>
public sealed class FormulaMonitorTests
{
    private const string ErrorRate = "sum(last_1m):sum:http.errors{svc:api} by {env} / sum:http.requests{svc:api} by {env} * 100 > 5";

    [Fact]
    public void Error_rate_alerts_per_group_joined_by_its_tags()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("rate", ErrorRate, o => o.OnArrival = true));

        engine.Point("http.requests", ["svc:api", "env:prod", "host:a"], engine.Now, 60);
        engine.Point("http.requests", ["svc:api", "env:prod", "host:b"], engine.Now, 40);
        engine.Point("http.requests", ["svc:api", "env:dev"], engine.Now, 100);
        engine.Point("http.errors", ["svc:api", "env:dev"], engine.Now, 1);
        engine.Point("http.errors", ["svc:api", "env:prod", "host:a"], engine.Now, 10);

        var alert = Assert.Single(engine.Events);
        Assert.Equal(("rate", "env:prod", AlertState.Alert), (alert.MonitorId, alert.GroupKey, alert.Next));
        Assert.Equal(10.0 / (60 + 40) * 100, alert.Value);
        Assert.Equal(["env:dev", "env:prod"], engine.State.GroupStates("rate").Select(g => g.State.GroupKey));
    }

    [Fact]
    public void A_group_missing_on_one_side_has_no_value_unless_that_side_is_default_zero()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("plain", "max(last_1m):sum:errs{*} by {env} + sum:reqs{*} by {env} > 5", o => o.OnArrival = true));
        engine.Upsert(EngineHarness.Metric("zeroed", "max(last_1m):default_zero(sum:errs{*} by {env}) + sum:reqs{*} by {env} > 5", o => o.OnArrival = true));

        engine.Point("reqs", ["env:prod"], engine.Now, 10);

        var alert = Assert.Single(engine.Events);
        Assert.Equal(("zeroed", "env:prod", 10.0), (alert.MonitorId, alert.GroupKey, alert.Value));
        Assert.Single(engine.State.GroupStates("plain"));

        engine.Point("errs", ["env:prod"], engine.Now, 1);

        Assert.Equal(("plain", 11.0), (engine.Events[^1].MonitorId, engine.Events[^1].Value));
    }

    [Fact]
    public void A_series_both_queries_select_feeds_both_and_deleting_the_monitor_unlinks_it()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("ratio", "max(last_1m):max:q{*} / min:q{*} > 1.5", o => o.OnArrival = true));

        engine.Point("q", ["host:a"], engine.Now, 2);
        engine.Point("q", ["host:b"], engine.Now, 4);

        var alert = Assert.Single(engine.Events);
        Assert.Equal(2.0, alert.Value);

        engine.Delete("ratio");
        var afterDelete = engine.Events.Count;
        engine.Point("q", ["host:a"], engine.Now, 9);

        Assert.Equal(afterDelete, engine.Events.Count);
        Assert.Empty(engine.State.GroupStates("ratio"));
        Assert.Equal(2, engine.State.SeriesCount);
    }

    [Fact]
    public void Editing_one_query_of_a_formula_resets_the_group_and_then_reads_the_new_query()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("f", "max(last_1m):sum:a{*} by {env} / sum:b{*} by {env} > 3", o => o.OnArrival = true));
        engine.Point("b", ["env:prod"], engine.Now, 1);
        engine.Point("a", ["env:prod"], engine.Now, 10);
        Assert.Equal(AlertState.Alert, Assert.Single(engine.Events).Next);

        engine.Upsert(EngineHarness.Metric("f", "max(last_1m):sum:a{*} by {env} / sum:c{*} by {env} > 3", o => o.OnArrival = true));
        engine.Point("c", ["env:prod"], engine.Now, 2);

        // As for a plain monitor whose metric changes: the old state is no longer meaningful.
        Assert.Equal(
            [(AlertState.Alert, AlertState.Ok, TransitionReason.MonitorEdited), (AlertState.Ok, AlertState.Alert, TransitionReason.ThresholdCrossed)],
            engine.Events.Skip(1).Select(e => (e.Previous, e.Next, e.Reason)));
        Assert.Equal(10.0 / 2, engine.Events[^1].Value);

        // max(last_1m) rolls each series up by its max in a bucket: c reads 100.
        engine.Point("c", ["env:prod"], engine.Now, 100);

        var recovery = engine.Events[^1];
        Assert.Equal((AlertState.Alert, AlertState.Ok, 10.0 / 100), (recovery.Previous, recovery.Next, recovery.Value));
    }

    [Fact]
    public void Editing_a_plain_query_into_a_formula_of_the_same_query_and_back_regroups_and_keeps_evaluating()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):sum:q{*} by {env} > 3", o => o.OnArrival = true));
        engine.Point("q", ["env:prod"], engine.Now, -5);

        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):abs(sum:q{*} by {env}) > 3", o => o.OnArrival = true));
        engine.Point("q", ["env:prod"], engine.Now, -5);
        Assert.Equal((AlertState.Alert, 5.0), (engine.Events[^1].Next, engine.Events[^1].Value));

        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):sum:q{*} by {env} > 3", o => o.OnArrival = true));
        engine.Point("q", ["env:prod"], engine.Now, -5);

        Assert.Equal(AlertState.Ok, engine.State.GroupStates("m").Single().State.State);
        Assert.Equal(["env:prod"], engine.State.GroupStates("m").Select(g => g.State.GroupKey));
    }

    [Fact]
    public void A_snapshot_of_formula_groups_restores_to_the_same_bytes_and_keeps_evaluating()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("rate", ErrorRate, o => o.EvaluationIntervalMs = 1_000));
        engine.Point("http.requests", ["svc:api", "env:prod"], engine.Now, 100);
        engine.Point("http.errors", ["svc:api", "env:prod"], engine.Now, 1);

        var bytes = Snapshot.Bytes(engine.State);
        var restored = Snapshot.Restore(bytes);

        Assert.Equal(bytes, Snapshot.Bytes(restored));
        var events = new List<TransitionEvent>();
        var applier = new Alerting.Engine.StateMachine.LogApplier(restored, e => events.AddRange(e));
        var index = engine.LastIndex;
        var errors = new SeriesPoints { Metric = "http.errors", Tags = { "svc:api", "env:prod" } };
        errors.UnixMs.Add(engine.Now);
        errors.Values.Add(50);
        applier.Apply(++index, 1, new LogEntry { Points = new PointsBatch { Series = { errors } } });
        applier.Apply(++index, 1, new LogEntry { Tick = new Tick { UnixMs = engine.Now + 2_000 } });

        var alert = Assert.Single(events);
        Assert.Equal(51.0, alert.Value);
    }

    [Fact]
    public void A_rate_monitor_alerts_on_a_counter_growing_fast_and_reads_a_reset_as_a_restart()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("rps", "max(last_1m):per_second(sum:requests.total{*} by {env}) > 5", o => o.OnArrival = true));

        // 15 s buckets: 100, then 160 one bucket later (60 over 15 s = 4/s: not above 5).
        engine.Point("requests.total", ["env:prod", "host:a"], engine.Now, 100);
        engine.Tick(engine.Now + 15_000);
        engine.Point("requests.total", ["env:prod", "host:a"], engine.Now, 160);
        Assert.Empty(engine.Events);

        // The process restarts and counts 90 in the next bucket: a reset, so 90 / 15 s = 6/s, not −70 / 15 s.
        engine.Tick(engine.Now + 15_000);
        engine.Point("requests.total", ["env:prod", "host:a"], engine.Now, 90);

        var alert = Assert.Single(engine.Events);
        Assert.Equal(("env:prod", AlertState.Alert, 6.0), (alert.GroupKey, alert.Next, alert.Value));
    }

    [Fact]
    public void A_formula_monitor_validates_like_a_metric_monitor()
    {
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(
            EngineHarness.Metric("f", "avg(last_5m):sum:a{*} by {env} / sum:b{*} by {host} > 1")));

        Assert.Equal("query", error.Field);
        Assert.Contains("groups differently", error.Message, StringComparison.Ordinal);
    }
}
