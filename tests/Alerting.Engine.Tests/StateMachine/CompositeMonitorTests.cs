using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Composite monitors through log entries: groups are the members' shared groups, a member's
/// state change evaluates only the composites that use it, Datadog's WARN and NO DATA rules,
/// renotification and downtimes through the state processor, validation of members, and the
/// refusal to delete a member.
/// </summary>
public sealed class CompositeMonitorTests
{
    private const long Minute = 60_000;

    [Fact]
    public void A_composite_alerts_per_shared_group_when_both_members_alert()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c", "cpu && load"));

        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        engine.Point("load", ["host:h1"], engine.Now, 10);
        engine.Point("cpu", ["host:h2"], engine.Now, 90);

        var composite = Of(engine, "c");
        var alert = Assert.Single(composite);
        Assert.Equal(("host:h1", AlertState.Ok, AlertState.Alert), (alert.GroupKey, alert.Previous, alert.Next));

        // h2 is not a group the members share (no load series for it): the composite has no h2 group.
        Assert.False(engine.State.TryGetGroupState("c", "host:h2", out _));
    }

    [Fact]
    public void A_warn_member_makes_a_warn_composite_and_recovery_follows_the_members()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c", "cpu && load"));

        engine.Point("load", ["host:h1"], engine.Now, 10);
        engine.Point("cpu", ["host:h1"], engine.Now, 70);
        engine.Point("cpu", ["host:h1"], engine.Now + 1, 95);
        engine.Point("load", ["host:h1"], engine.Now + 2, 1);

        Assert.Equal(
            [(AlertState.Ok, AlertState.Warn), (AlertState.Warn, AlertState.Alert), (AlertState.Alert, AlertState.Ok)],
            Of(engine, "c").Select(e => (e.Previous, e.Next)));
    }

    [Fact]
    public void A_no_data_expression_is_no_data_with_notify_no_data_and_the_last_known_state_without()
    {
        var engine = new EngineHarness();
        engine.Upsert(Member("cpu", "max(last_1m):max:cpu{*} by {host} > 80", o =>
        {
            o.Thresholds = new Thresholds { Warning = 60 };
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = 2 * Minute;
        }));
        engine.Upsert(Member("load", "last(last_1m):max:load{*} by {host} > 5", o => o.Thresholds = new Thresholds { Warning = 3 }));
        engine.Upsert(Composite("notify", "cpu && load", o => o.NotifyNoData = true));
        engine.Upsert(Composite("silent", "cpu && load"));

        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        engine.Point("load", ["host:h1"], engine.Now, 4);
        Assert.Equal(AlertState.Warn, StateOf(engine, "notify", "host:h1"));
        Assert.Equal(AlertState.Warn, StateOf(engine, "silent", "host:h1"));

        // cpu goes NO DATA (its points stop); load keeps WARN (a window without points holds the state).
        engine.TickTo(engine.Now + (4 * Minute));
        Assert.Equal(AlertState.NoData, StateOf(engine, "cpu", "host:h1"));
        Assert.Equal(AlertState.Warn, StateOf(engine, "load", "host:h1"));

        // Datadog: NO DATA && WARN is NO DATA; with notify_no_data the composite shows it, without it keeps its last state.
        Assert.Equal(AlertState.NoData, StateOf(engine, "notify", "host:h1"));
        Assert.Equal(AlertState.Warn, StateOf(engine, "silent", "host:h1"));
        Assert.Equal(AlertState.NoData, Of(engine, "notify").Last().Next);
        Assert.Single(Of(engine, "silent"));
    }

    [Fact]
    public void A_member_without_group_by_goes_with_every_group_of_the_others()
    {
        var engine = WithMembers();
        engine.Upsert(Member("queue", "max(last_1m):max:queue{*} > 5"));
        engine.Upsert(Composite("c", "cpu && queue"));
        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        engine.Point("cpu", ["host:h2"], engine.Now, 90);
        Assert.Empty(Of(engine, "c"));

        engine.Point("queue", ["region:eu"], engine.Now, 50);

        Assert.Equal(["host:h1", "host:h2"], Of(engine, "c").Where(e => e.Next == AlertState.Alert).Select(e => e.GroupKey));
    }

    [Fact]
    public void A_check_monitor_is_a_member_like_a_metric_monitor()
    {
        var engine = WithMembers();
        engine.Upsert(new Monitor
        {
            Id = "svc",
            Name = "svc",
            Type = "check",
            Query = "\"svc.up\".over(\"*\").by(\"host\").last(1).count_by_status()",
            Options = new MonitorOptions { OnArrival = true },
        });
        engine.Upsert(Composite("c", "cpu && svc"));

        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        engine.Check("svc.up", ["host:h1"], engine.Now, CheckStatus.Critical);

        Assert.Equal(AlertState.Alert, StateOf(engine, "svc", "host:h1"));
        Assert.Equal(AlertState.Alert, StateOf(engine, "c", "host:h1"));
    }

    [Fact]
    public void A_state_change_evaluates_only_the_composites_that_use_the_member()
    {
        var engine = WithMembers();
        engine.Upsert(Member("other", "max(last_1m):max:other{*} by {host} > 1"));
        engine.Upsert(Composite("c", "cpu && load"));
        for (var i = 0; i < 20; i++)
        {
            engine.Upsert(Composite($"unrelated{i}", "other || !other"));
        }

        engine.Point("load", ["host:h1"], engine.Now, 10);
        engine.Point("other", ["host:h1"], engine.Now, 0);
        var before = engine.State.Counters.GroupEvaluations;

        engine.Point("cpu", ["host:h1"], engine.Now, 90);

        // cpu's group (on arrival), then c's group: nothing of the 20 composites over "other".
        Assert.Equal(2, engine.State.Counters.GroupEvaluations - before);
        Assert.Equal(AlertState.Alert, StateOf(engine, "c", "host:h1"));
    }

    [Fact]
    public void Groups_the_members_come_to_share_without_a_transition_appear_at_the_composite_scheduled_evaluation()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c", "cpu && !load"));
        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        engine.Point("load", ["host:h1"], engine.Now, 0);
        Assert.False(engine.State.TryGetGroupState("c", "host:h1", out _));

        // load's h1 group formed OK (no transition): the composite's next scheduled evaluation finds it.
        engine.TickTo(engine.Now + Minute + 1_000);
        Assert.Equal(AlertState.Alert, StateOf(engine, "c", "host:h1"));

        // Regrouping load (here by region, every composite member by region too) is refused while c uses it.
        Assert.Equal(MonitorOutcome.Rejected, engine.Answer(Upsert(Member("load", "last(last_1m):max:load{*} by {region} > 5"))).Monitor);
    }

    [Fact]
    public void The_composite_renotifies_on_its_own_interval()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c", "cpu && load", o => o.RenotifyIntervalMs = 2 * Minute));
        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        engine.Point("load", ["host:h1"], engine.Now, 10);

        // The members' windows keep their points for the minute; the composite keeps ALERT after (no value holds the state).
        engine.TickTo(engine.Now + (5 * Minute));

        var renotifications = Of(engine, "c").Where(e => e.IsRenotification).ToList();
        Assert.Equal(2, renotifications.Count);
        Assert.All(renotifications, e => Assert.Equal(AlertState.Alert, e.Next));
    }

    [Fact]
    public void A_downtime_on_a_member_does_not_mute_the_composite_and_one_on_the_composite_does()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c", "cpu && load"));
        engine.Upsert(Composite("muted", "cpu && load"));
        engine.Downtime(new Downtime { Id = "d1", MonitorId = "cpu", StartUnixMs = engine.Now, EndUnixMs = engine.Now + (60 * Minute) });
        engine.Downtime(new Downtime { Id = "d2", MonitorId = "muted", StartUnixMs = engine.Now, EndUnixMs = engine.Now + (60 * Minute) });

        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        engine.Point("load", ["host:h1"], engine.Now, 10);

        Assert.False(Of(engine, "cpu").Single().Notify);
        Assert.True(Of(engine, "c").Single().Notify);
        var muted = Of(engine, "muted").Single();
        Assert.Equal((AlertState.Alert, false), (muted.Next, muted.Notify));
    }

    [Fact]
    public void A_scoped_downtime_naming_no_monitor_mutes_the_composite_groups_that_carry_its_scope_and_a_restore_keeps_them_reachable()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c", "cpu && load"));
        foreach (var host in new[] { "host:h1", "host:h2" })
        {
            engine.Point("cpu", [host], engine.Now, 90);
            engine.Point("load", [host], engine.Now, 10);
        }

        Assert.Equal(AlertState.Alert, StateOf(engine, "c", "host:h1"));
        Assert.Equal(AlertState.Alert, StateOf(engine, "c", "host:h2"));

        // Reached through the group tag index (no monitor named): the composite's own groups are filed there too.
        var restored = new EngineHarness(Snapshot.Restore(Snapshot.Bytes(engine.State)));
        foreach (var harness in new[] { engine, restored })
        {
            harness.Downtime(new Downtime { Id = "d", Scope = { "host:h1" }, StartUnixMs = harness.Now, EndUnixMs = harness.Now + (60 * Minute) });

            // Muted by the downtime's own entry, not only at the group's next evaluation.
            Assert.True(harness.State.TryGetGroupState("c", "host:h1", out var h1));
            Assert.True(harness.State.TryGetGroupState("c", "host:h2", out var h2));
            Assert.Equal((true, false), (h1!.Value.Muted, h2!.Value.Muted));
            harness.Events.Clear();
            harness.Point("cpu", ["host:h1"], harness.Now, 10);
            harness.Point("cpu", ["host:h2"], harness.Now, 10);

            var recoveries = Of(harness, "c").ToDictionary(e => e.GroupKey);
            Assert.Equal((AlertState.Ok, false), (recoveries["host:h1"].Next, recoveries["host:h1"].Notify));
            Assert.Equal((AlertState.Ok, true), (recoveries["host:h2"].Next, recoveries["host:h2"].Notify));
        }
    }

    [Fact]
    public void Deleting_a_member_is_refused_naming_the_composites_until_they_are_gone()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c1", "cpu && load"));
        engine.Upsert(Composite("c2", "!cpu"));

        var refused = engine.Answer(new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = "cpu" } });
        Assert.Equal(MonitorOutcome.InUse, refused.Monitor);
        Assert.Equal("monitor \"cpu\" is used by composite monitors \"c1\", \"c2\"; edit or delete them first", refused.Error);
        Assert.True(engine.State.TryGetMonitor("cpu", out _));

        engine.Delete("c1");
        engine.Delete("c2");
        Assert.Equal(MonitorOutcome.Deleted, engine.Answer(new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = "cpu" } }).Monitor);
    }

    [Theory]
    [InlineData("cpu && nope", "query: member \"nope\" is not a monitor")]
    [InlineData("cpu && inner", "query: member \"inner\" is a composite monitor; composites cannot use other composites (as in Datadog)")]
    [InlineData("cpu || env", "query: members \"cpu\" (by {host}) and \"env\" (by {env}) are grouped too differently")]
    [InlineData("cpu && c", "query: a composite monitor cannot use itself (\"c\")")]
    public void A_composite_over_members_it_cannot_use_is_rejected(string query, string error)
    {
        var engine = WithMembers();
        engine.Upsert(Member("env", "max(last_1m):max:cpu{*} by {env} > 1"));
        engine.Upsert(Composite("inner", "cpu"));

        var result = engine.Answer(Upsert(Composite("c", query)));

        Assert.Equal(MonitorOutcome.Rejected, result.Monitor);
        Assert.StartsWith(error, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_member_edit_that_would_break_a_composite_is_rejected_and_no_monitor_changes_to_or_from_composite()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c", "cpu && load"));

        var regrouped = engine.Answer(Upsert(Member("cpu", "max(last_1m):max:cpu{*} by {env} > 80")));
        Assert.Equal(MonitorOutcome.Rejected, regrouped.Monitor);
        Assert.StartsWith("monitor \"cpu\" is a member of composite \"c\", which would then be invalid: query: members", regrouped.Error, StringComparison.Ordinal);

        var toMetric = engine.Answer(Upsert(Member("c", "max(last_1m):max:cpu{*} > 1")));
        Assert.Equal(MonitorOutcome.Rejected, toMetric.Monitor);
        Assert.StartsWith("type: a monitor cannot change between composite and", toMetric.Error, StringComparison.Ordinal);

        var toComposite = engine.Answer(Upsert(Composite("load", "cpu")));
        Assert.Equal(MonitorOutcome.Rejected, toComposite.Monitor);

        var thresholds = engine.Answer(Upsert(Composite("t", "cpu", o => o.Thresholds = new Thresholds { Critical = 1 })));
        Assert.Equal("options.thresholds: a composite monitor has no thresholds: its state is its expression's", thresholds.Error);
    }

    [Fact]
    public void Editing_the_expression_reevaluates_the_composite_at_once()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c", "cpu && load"));
        engine.Point("load", ["host:h1"], engine.Now, 0);
        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        Assert.Equal(AlertState.Ok, StateOf(engine, "c", "host:h1"));

        engine.Upsert(Composite("c", "cpu && !load"));

        Assert.Equal(AlertState.Alert, StateOf(engine, "c", "host:h1"));
    }

    [Fact]
    public void A_restored_engine_rebuilds_the_member_index()
    {
        var engine = WithMembers();
        engine.Upsert(Composite("c", "cpu && load"));
        engine.Point("load", ["host:h1"], engine.Now, 10);
        engine.Point("cpu", ["host:h1"], engine.Now, 10);

        var events = new List<TransitionEvent>();
        var restored = new LogApplier(Snapshot.Restore(Snapshot.Bytes(engine.State)), events.AddRange);
        var index = engine.LastIndex;
        var point = new SeriesPoints { Metric = "cpu", Tags = { "host:h1" }, UnixMs = { engine.Now }, Values = { 95 } };
        restored.Apply(++index, 1, new LogEntry { Points = new PointsBatch { Series = { point } } });
        var refused = restored.Apply(++index, 1, new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = "load" } });

        Assert.Contains(events, e => e.MonitorId == "c" && e.Next == AlertState.Alert);
        Assert.Equal(MonitorOutcome.InUse, refused.Monitor);
    }

    private static EngineHarness WithMembers()
    {
        var engine = new EngineHarness();
        engine.Upsert(Member("cpu", "last(last_1m):max:cpu{*} by {host} > 80", o => o.Thresholds = new Thresholds { Warning = 60 }));
        engine.Upsert(Member("load", "last(last_1m):max:load{*} by {host} > 5", o => o.Thresholds = new Thresholds { Warning = 3 }));
        return engine;
    }

    private static Monitor Member(string id, string query, Action<MonitorOptions>? options = null) =>
        EngineHarness.Metric(id, query, o =>
        {
            o.OnArrival = true;
            options?.Invoke(o);
        });

    internal static Monitor Composite(string id, string query, Action<MonitorOptions>? options = null)
    {
        var monitor = new Monitor { Id = id, Name = id, Type = "composite", Query = query, Options = new MonitorOptions() };
        options?.Invoke(monitor.Options);
        return monitor;
    }

    private static LogEntry Upsert(Monitor monitor) => new() { MonitorUpserted = new MonitorUpserted { Monitor = monitor } };

    private static List<TransitionEvent> Of(EngineHarness engine, string monitorId) =>
        engine.Events.Where(e => e.MonitorId == monitorId).ToList();

    private static AlertState StateOf(EngineHarness engine, string monitorId, string groupKey)
    {
        Assert.True(engine.State.TryGetGroupState(monitorId, groupKey, out var state), $"{monitorId} has no group {groupKey}");
        return state!.Value.State;
    }
}
