using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// group_retention_ms (Datadog group_retention_duration): a group none of whose series reported
/// for the retention period is dropped at a scheduled evaluation, silently, on log time only.
/// </summary>
public sealed class GroupRetentionOptionTests
{
    private const long Hour = 60 * 60 * 1000;
    private const string ByHost = "avg(last_5m):avg:cpu{*} by {host} > 90";

    private static EngineHarness WithRetention(long retentionMs)
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", ByHost, o => o.GroupRetentionMs = retentionMs));
        return engine;
    }

    private static string[] GroupKeys(EngineHarness engine) => [.. engine.State.GroupStates("m").Select(g => g.State.GroupKey)];

    /// <summary>Writes one point for host b every minute (so its group keeps reporting) while ticking to <paramref name="untilMs"/>.</summary>
    private static void KeepBReporting(EngineHarness engine, long untilMs)
    {
        while (engine.Now + Scenario.Minute <= untilMs)
        {
            engine.TickTo(engine.Now + Scenario.Minute);
            engine.Point("cpu", ["host:b"], engine.Now, 10);
        }

        engine.TickTo(untilMs);
    }

    [Fact]
    public void A_silent_group_is_dropped_once_the_retention_has_passed_and_not_before()
    {
        var engine = WithRetention(Hour);
        var silentSince = engine.Now;
        engine.Point("cpu", ["host:a"], silentSince, 95);
        engine.Point("cpu", ["host:b"], silentSince, 10);

        KeepBReporting(engine, silentSince + Hour - 1);
        Assert.Equal(["host:a", "host:b"], GroupKeys(engine));
        Assert.Equal(AlertState.Alert, engine.State.GroupStates("m").Single(g => g.State.GroupKey == "host:a").State.State);
        var eventsBefore = engine.Events.Count;

        // Every evaluation instant is one interval (60 s) apart: one falls in the next minute.
        KeepBReporting(engine, silentSince + Hour + Scenario.Minute);
        Assert.Equal(["host:b"], GroupKeys(engine));

        // Datadog drops the group from the monitor state: no resolve (nor any event) is invented for it.
        Assert.DoesNotContain(engine.Events.Skip(eventsBefore), e => e.GroupKey == "host:a");
    }

    [Fact]
    public void A_group_that_keeps_reporting_is_never_dropped()
    {
        var engine = WithRetention(Hour);
        engine.Point("cpu", ["host:b"], engine.Now, 10);
        var start = engine.Now;

        KeepBReporting(engine, start + (3 * Hour));

        Assert.Equal(["host:b"], GroupKeys(engine));
        Assert.Equal(engine.Now, engine.State.Monitors.GroupLastReportedMs("m", "host:b"));
    }

    [Fact]
    public void A_group_fed_by_several_series_stays_while_any_of_them_reports()
    {
        var engine = WithRetention(Hour);
        engine.Point("cpu", ["dev:x", "host:b"], engine.Now, 10);
        var start = engine.Now;

        // Only a second series of the same group reports from now on.
        KeepBReporting(engine, start + (2 * Hour));

        Assert.Equal(["host:b"], GroupKeys(engine));
        var members = engine.State.Monitors.GroupMembers().Single(g => g.GroupKey == "host:b");
        Assert.Equal([0, 1], members.SeriesIds);
    }

    [Fact]
    public void Without_retention_a_silent_group_stays()
    {
        var engine = WithRetention(0);
        engine.Point("cpu", ["host:a"], engine.Now, 10);

        engine.TickTo(engine.Now + (73 * Hour));

        Assert.Equal(["host:a"], GroupKeys(engine));
    }

    [Fact]
    public void A_series_that_reports_again_after_its_group_was_dropped_rejoins_a_new_group_in_creation_order()
    {
        var engine = WithRetention(Hour);
        engine.Point("cpu", ["dev:x", "host:a"], engine.Now, 95);
        engine.Point("cpu", ["dev:y", "host:a"], engine.Now, 95);
        engine.TickTo(engine.Now + Hour + Scenario.Minute);
        Assert.Empty(GroupKeys(engine));

        // The younger series reports first, then the older one: the group lists them by creation order.
        engine.Point("cpu", ["dev:y", "host:a"], engine.Now, 10);
        engine.Point("cpu", ["dev:x", "host:a"], engine.Now, 10);

        // A fresh state, whose transition numbers go on from the one the dropped group reached (its ALERT).
        var group = Assert.Single(engine.State.GroupStates("m")).State;
        Assert.Equal(("host:a", AlertState.Ok, 1UL, engine.Now), (group.GroupKey, group.State, group.TransitionCount, group.FirstSeenMs));
        Assert.Equal([0, 1], engine.State.Monitors.GroupMembers().Single().SeriesIds);
        Assert.Equal(engine.Now, engine.State.Monitors.GroupLastReportedMs("m", "host:a"));
        Assert.Equal(2, engine.State.SeriesCount);

        // The recreated group matches what a fresh engine builds from the same series.
        var fresh = WithRetention(Hour);
        fresh.Point("cpu", ["dev:x", "host:a"], fresh.Now, 10);
        fresh.Point("cpu", ["dev:y", "host:a"], fresh.Now, 10);
        Assert.Equal(fresh.State.Monitors.GroupMembers(), engine.State.Monitors.GroupMembers());
    }

    [Fact]
    public void A_group_key_that_comes_back_never_repeats_a_transition_id()
    {
        var engine = WithRetention(Hour);
        engine.Point("cpu", ["host:a"], engine.Now, 95);
        engine.TickTo(engine.Now + (2 * Scenario.Minute));
        var first = Assert.Single(engine.Events);
        Assert.Equal(("host:a", AlertState.Alert, 1UL), (first.GroupKey, first.Next, first.TransitionNumber));

        engine.TickTo(engine.Now + Hour + Scenario.Minute);
        Assert.Empty(GroupKeys(engine));

        // A new series of the same group key forms the group again and alerts again.
        engine.Point("cpu", ["dev:z", "host:a"], engine.Now, 95);
        engine.TickTo(engine.Now + (2 * Scenario.Minute));

        var again = Assert.Single(engine.Events.Skip(1));
        Assert.Equal(("host:a", AlertState.Ok, AlertState.Alert, 2UL), (again.GroupKey, again.Previous, again.Next, again.TransitionNumber));
    }

    [Fact]
    public void A_new_monitor_gives_a_group_of_a_quiet_series_a_whole_retention_period()
    {
        var engine = new EngineHarness();
        engine.Point("cpu", ["host:a"], engine.Now, 10);
        engine.TickTo(engine.Now + (2 * Hour));

        engine.Upsert(EngineHarness.Metric("m", ByHost, o => o.GroupRetentionMs = Hour));
        var createdAt = engine.Now;
        engine.TickTo(createdAt + Hour - 1);
        Assert.Equal(["host:a"], GroupKeys(engine));

        engine.TickTo(createdAt + Hour + Scenario.Minute);
        Assert.Empty(GroupKeys(engine));
    }

    [Theory]
    [InlineData(Hour - 1)]
    [InlineData((72 * Hour) + 1)]
    [InlineData(-Hour)]
    public void A_retention_outside_Datadogs_bounds_is_refused(long retentionMs)
    {
        var engine = WithRetention(retentionMs);

        Assert.Equal(0, engine.State.MonitorCount);
    }

    [Fact]
    public void A_snapshot_taken_after_a_drop_restores_byte_identical_and_rejoins_the_same_way()
    {
        var engine = WithRetention(Hour);
        engine.Point("cpu", ["host:a"], engine.Now, 95);
        engine.Point("cpu", ["host:b"], engine.Now, 10);
        KeepBReporting(engine, engine.Now + Hour + Scenario.Minute);
        Assert.Equal(["host:b"], GroupKeys(engine));

        var bytes = Snapshot.Bytes(engine.State);
        Assert.Equal(22UL, BitConverter.ToUInt64(bytes, 0));
        var restored = new LogApplierHarness(Snapshot.Restore(bytes));
        Assert.Equal(bytes, Snapshot.Bytes(restored.State));

        // The same entries on both: host a rejoins on each, at the same place.
        var at = engine.Now + 100;
        foreach (var target in new Action<LogEntry>[] { e => engine.Apply(e), restored.Apply })
        {
            target(new LogEntry { Tick = new Tick { UnixMs = at } });
            target(new LogEntry { Points = new PointsBatch { Series = { new SeriesPoints { Metric = "cpu", Tags = { "host:a" }, UnixMs = { at }, Values = { 10 } } } } });
        }

        Assert.Equal(["host:a", "host:b"], GroupKeys(engine));
        Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored.State));
    }

    [Fact]
    public void A_version_10_snapshot_is_still_read_its_groups_retained_from_the_snapshot_time()
    {
        var engine = WithRetention(Hour);
        engine.Point("cpu", ["host:a"], engine.Now, 10);
        var pointAt = engine.Now;
        engine.Tick(pointAt + (30 * Scenario.Minute));
        var bytes = Snapshot.Bytes(engine.State);
        Assert.Equal(pointAt, engine.State.Monitors.GroupLastReportedMs("m", "host:a"));

        var version10 = Snapshot.WithoutGroupRetention(Snapshot.WithoutFuturePoints(engine.State, bytes), engine.State.GroupStates("m").Single().Monitor, engine.State.GroupStates("m").Single().State, engine.State.Monitors.GroupLastEvaluatedMs("m", "host:a")!.Value, pointAt, "cpu", "host:a");
        // Format 12's report time and floor and left-groups mark, format 13's series id, last-seen time, next id and cursor, format 16's empty queue of future points with format 17's empty list of draining monitors, and the idle tail of formats 18 to 22.
        Assert.Equal(bytes.Length - (2 * sizeof(long)) - 1 - (3 * sizeof(int)) - sizeof(long) - Snapshot.NoFuturePoints - Snapshot.IdleTail, version10.Length);
        BitConverter.GetBytes(10UL).CopyTo(version10, 0);
        var restored = new LogApplierHarness(Snapshot.Restore(version10));

        // Before format 12 no report time was kept: the group's retention restarts at the snapshot's time.
        Assert.Equal(engine.Now, restored.State.Monitors.GroupLastReportedMs("m", "host:a"));
        Assert.Equal(22UL, BitConverter.ToUInt64(Snapshot.Bytes(restored.State), 0));
    }

    /// <summary>Applies entries to a restored state at the indexes after its own.</summary>
    private sealed class LogApplierHarness
    {
        private readonly Alerting.Engine.StateMachine.LogApplier _applier;

        public LogApplierHarness(Alerting.Engine.StateMachine.EngineState state)
        {
            _applier = new Alerting.Engine.StateMachine.LogApplier(state, _ => { });
        }

        public Alerting.Engine.StateMachine.EngineState State => _applier.State;

        public void Apply(LogEntry entry) => _applier.Apply(State.AppliedIndex + 1, 1, entry);
    }
}
