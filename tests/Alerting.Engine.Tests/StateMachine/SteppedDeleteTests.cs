using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Deleting a monitor with more groups than a step frees them in bounded steps (issue 7): the
/// monitor leaves every read in the delete's entry, each group's last word comes with the step that
/// frees it, its slot stays taken until the last group goes, a monitor created meanwhile never sees
/// a leftover, and a snapshot taken mid-drain restores a replica that drains the same way.
/// </summary>
public sealed class SteppedDeleteTests
{
    private const string ByHost = "max(last_1m):max:q{*} by {host} > 10";

    /// <summary>A monitor with <paramref name="groups"/> alerting groups (one series each), and a small one after it.</summary>
    private static EngineHarness WithBigMonitor(int groups, IngestLimits? limits = null)
    {
        var engine = new EngineHarness(limits);
        engine.Upsert(EngineHarness.Metric("big", ByHost, o => o.OnArrival = true));
        engine.Upsert(EngineHarness.Metric("small", "max(last_1m):max:q{host:h0} by {host} > 10", o => o.OnArrival = true));
        for (var from = 0; from < groups; from += 1_000)
        {
            var batch = new PointsBatch();
            for (var i = from; i < Math.Min(groups, from + 1_000); i++)
            {
                var series = new SeriesPoints { Metric = "q", Tags = { "host:h" + i.ToString(CultureInfo.InvariantCulture) } };
                series.UnixMs.Add(engine.Now);
                series.Values.Add(50);
                batch.Series.Add(series);
            }

            engine.Apply(new LogEntry { Points = batch });
        }

        return engine;
    }

    [Fact]
    public void A_deleted_monitor_leaves_reads_at_once_and_its_groups_go_in_bounded_steps_with_their_last_words()
    {
        var groups = (2 * MonitorDrain.MaxGroupsPerStep) + 500;
        var engine = WithBigMonitor(groups);
        var monitors = engine.State.Monitors;
        Assert.Equal(groups, monitors.GroupStates("big").Count);
        engine.Events.Clear();

        engine.Delete("big");

        // Gone from every read in the delete's entry.
        Assert.False(monitors.TryGetMonitor("big", out _));
        Assert.Empty(monitors.GroupStates("big"));
        Assert.DoesNotContain(monitors.AllGroupStates(), g => g.Monitor.Id == "big");
        Assert.Equal(1, monitors.MonitorsDraining);

        // One step's last words per entry: each alerting group goes back to OK as it is freed.
        var perStep = new List<int> { engine.Events.Count };
        Assert.Equal(groups - MonitorDrain.MaxGroupsPerStep, monitors.DrainingGroups);
        while (monitors.MonitorsDraining > 0)
        {
            var before = engine.Events.Count;
            engine.Tick(engine.Now + 100);
            perStep.Add(engine.Events.Count - before);
        }

        Assert.Equal([MonitorDrain.MaxGroupsPerStep, MonitorDrain.MaxGroupsPerStep, 500], perStep);
        Assert.All(engine.Events, e => Assert.Equal(("big", TransitionReason.MonitorDeleted, AlertState.Ok), (e.MonitorId, e.Reason, e.Next)));
        Assert.Equal(groups, engine.Events.Select(e => e.GroupKey).Distinct().Count());
        Assert.Equal(0, monitors.DrainingGroups);

        // The small monitor kept its alerting group, which still evaluates on arrival, alone.
        Assert.Equal(AlertState.Alert, monitors.GroupStates("small").Single().State);
        var arrivals = monitors.Counters.ArrivalEvaluations;
        engine.Point("q", ["host:h0"], engine.Now, 5);
        Assert.Equal(arrivals + 1, monitors.Counters.ArrivalEvaluations);
    }

    [Fact]
    public void A_monitor_created_while_another_drains_takes_another_slot_and_sees_no_leftover()
    {
        var groups = MonitorDrain.MaxGroupsPerStep + 10;
        // A match step that takes every series at once, so the new monitor has its groups in its own entry.
        var engine = WithBigMonitor(groups, new IngestLimits { MatchStepSeries = 100_000 });
        var monitors = engine.State.Monitors;
        engine.Delete("big");
        Assert.Equal(1, monitors.MonitorsDraining);

        // Same name, new id (ids are never reused): it must not meet the draining groups through the series.
        var byName = EngineHarness.Metric("big", ByHost, o => o.OnArrival = true);
        byName.Id = "";
        var created = engine.Answer(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = byName } });
        var fresh = created.MonitorId!;
        Assert.NotEqual("big", fresh);
        Assert.Equal(groups, monitors.GroupStates(fresh).Count);
        Assert.All(monitors.GroupStates(fresh), g => Assert.Equal((AlertState.Ok, 0UL), (g.State, g.TransitionCount)));

        engine.Events.Clear();
        engine.Point("q", ["host:h5"], engine.Now, 99);
        var alert = Assert.Single(engine.Events);
        Assert.Equal((fresh, "host:h5", AlertState.Alert), (alert.MonitorId, alert.GroupKey, alert.Next));

        engine.Tick(engine.Now + 100);
        Assert.Equal(0, monitors.MonitorsDraining);
        Assert.Equal(groups, monitors.GroupStates(fresh).Count);
        Assert.All(monitors.GroupMembers(), m => Assert.NotEqual("big", m.MonitorId));
    }

    [Fact]
    public void A_replica_restored_in_the_middle_of_a_stepped_delete_finishes_it_the_same_way()
    {
        var groups = (2 * MonitorDrain.MaxGroupsPerStep) + 7;
        var live = WithBigMonitor(groups);
        var replica = WithBigMonitor(groups);
        live.Delete("big");
        replica.Delete("big");
        live.Tick(live.Now + 100);
        replica.Tick(replica.Now + 100);
        Assert.Equal(1, live.State.Monitors.MonitorsDraining);

        var bytes = Snapshot.Bytes(live.State);
        Assert.Equal(bytes, Snapshot.Bytes(replica.State));
        Assert.Equal(22UL, BitConverter.ToUInt64(bytes, 0));
        var restoredEvents = new List<TransitionEvent>();
        var restored = new LogApplier(Snapshot.Restore(bytes), restoredEvents.AddRange);
        Assert.Equal(bytes, Snapshot.Bytes(restored.State));

        // The next entries, the same on all three: a point to a draining group's series, a new monitor, the last step.
        var eventsAt = live.Events.Count;
        LogEntry[] next =
        [
            new() { Points = new PointsBatch { Series = { Series("host:h9999", live.Now, 99) } } },
            new() { MonitorUpserted = new MonitorUpserted { Monitor = EngineHarness.Metric("other", ByHost, o => o.OnArrival = true) } },
            RandomLog.Tick(live.Now + 200),
            new() { Points = new PointsBatch { Series = { Series("host:h9999", live.Now + 200, 99) } } },
        ];
        var index = live.LastIndex;
        foreach (var entry in next)
        {
            live.Apply(entry);
            replica.Apply(entry);
            restored.Apply(++index, 1, entry);
        }

        Assert.Equal(0, live.State.Monitors.MonitorsDraining);
        Assert.Equal(live.Events, replica.Events);
        Assert.Equal(live.Events[eventsAt..], restoredEvents);
        Assert.Equal(Snapshot.Bytes(live.State), Snapshot.Bytes(replica.State));
        Assert.Equal(Snapshot.Bytes(live.State), Snapshot.Bytes(restored.State));
    }

    [Fact]
    public void A_version_16_snapshot_reads_with_no_monitor_draining()
    {
        var engine = WithBigMonitor(3);
        engine.Delete("small");
        var bytes = Snapshot.Bytes(engine.State);

        var restored = Snapshot.Restore(Snapshot.WithoutDrains(engine.State, bytes));

        Assert.Equal(bytes, Snapshot.Bytes(restored));
        Assert.Equal(0, restored.Monitors.MonitorsDraining);
    }

    private static SeriesPoints Series(string tag, long unixMs, double value)
    {
        var series = new SeriesPoints { Metric = "q", Tags = { tag } };
        series.UnixMs.Add(unixMs);
        series.Values.Add(value);
        return series;
    }
}
