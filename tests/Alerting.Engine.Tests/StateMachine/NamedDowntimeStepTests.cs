using System.Globalization;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Xunit.Abstractions;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Issue 7 item 3: a downtime that names one monitor with more groups than a step refreshes its
/// groups over several entries (at most <see cref="MuteRefresher.MaxGroupsPerStep"/> each, in key
/// order), the same after a restore mid-way; a group not refreshed yet still notifies muted.
/// </summary>
public sealed class NamedDowntimeStepTests(ITestOutputHelper output)
{
    private static readonly int Hosts = (2 * MuteRefresher.MaxGroupsPerStep) + 300;

    [Fact]
    public void A_downtime_naming_a_monitor_with_more_groups_than_a_step_refreshes_them_over_bounded_entries()
    {
        var engine = Wide(onArrival: false);
        var monitors = engine.State.Monitors;
        var before = monitors.MuteRefreshes;

        engine.Downtime(new Downtime { Id = "d", MonitorId = "wide", StartUnixMs = engine.Now - 1 });
        var entries = 1;
        var most = monitors.MuteRefreshes - before;
        Assert.Equal(MuteRefresher.MaxGroupsPerStep - 1, most);
        Assert.True(monitors.MuteRefreshPending);
        Assert.False(monitors.MuteSweepPending);

        var bytes = Snapshot.Bytes(engine.State);
        var restored = new EngineHarness(Snapshot.Restore(bytes));
        Assert.Equal(bytes, Snapshot.Bytes(restored.State));
        while (monitors.MuteRefreshPending)
        {
            var step = monitors.MuteRefreshes;
            var at = engine.Now + 100;
            engine.Tick(at);
            restored.Tick(at);
            entries++;
            most = Math.Max(most, monitors.MuteRefreshes - step);
            Assert.InRange(monitors.MuteRefreshes - step, 1, MuteRefresher.MaxGroupsPerStep);
            Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored.State));
        }

        output.WriteLine($"{Hosts} groups refreshed in {entries} entries, at most {most} per entry");
        Assert.Equal(3, entries);
        Assert.Equal(Hosts, monitors.MuteRefreshes - before);
        Assert.All(engine.State.GroupStates("wide"), g => Assert.True(g.State.Muted));
        Assert.All(engine.State.GroupStates("other"), g => Assert.False(g.State.Muted));
        Assert.All(restored.State.GroupStates("wide"), g => Assert.True(g.State.Muted));
    }

    [Fact]
    public void A_group_the_refresh_has_not_reached_yet_notifies_muted()
    {
        var engine = Wide(onArrival: true);
        engine.Downtime(new Downtime { Id = "d", MonitorId = "wide", StartUnixMs = engine.Now - 1 });
        Assert.True(engine.State.Monitors.MuteRefreshPending);

        // The last host in key order is refreshed two entries from now; it alerts in this one.
        var last = engine.State.GroupStates("wide").Select(g => g.State.GroupKey).Max(StringComparer.Ordinal)!;
        Assert.False(engine.State.GroupStates("wide").Single(g => g.State.GroupKey == last).State.Muted);
        var events = engine.Events.Count;
        engine.Point("q", [last], engine.Now, 95);

        var alert = Assert.Single(engine.Events.Skip(events));
        Assert.Equal(AlertState.Alert, alert.Next);
        Assert.False(alert.Notify);
        Assert.True(engine.State.Monitors.MuteRefreshPending);
    }

    [Fact]
    public void A_new_request_for_the_monitor_being_refreshed_starts_it_again_from_its_first_group()
    {
        var engine = Wide(onArrival: false);
        var monitors = engine.State.Monitors;
        engine.Downtime(new Downtime { Id = "d", MonitorId = "wide", StartUnixMs = engine.Now - 1 });
        engine.Tick(engine.Now + 100);
        Assert.True(monitors.MuteRefreshPending);

        // Canceled part way: the groups already refreshed must see the cancel too.
        var before = monitors.MuteRefreshes;
        engine.Apply(new LogEntry { DowntimeDeleted = new DowntimeDeleted { DowntimeId = "d" } });
        while (monitors.MuteRefreshPending)
        {
            engine.Tick(engine.Now + 100);
        }

        Assert.Equal(Hosts, monitors.MuteRefreshes - before);
        Assert.All(engine.State.GroupStates("wide"), g => Assert.False(g.State.Muted));
    }

    /// <summary>A monitor by host over <see cref="Hosts"/> series at 50 (and a small other monitor), evaluated once.</summary>
    private static EngineHarness Wide(bool onArrival)
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("wide", "max(last_1m):max:q{*} by {host} > 90", o => { o.EvaluationIntervalMs = 1_000; o.OnArrival = onArrival; }));
        engine.Upsert(EngineHarness.Metric("other", "max(last_1m):max:q{*} > 90", o => o.EvaluationIntervalMs = 1_000));
        for (var from = 0; from < Hosts; from += 5_000)
        {
            var batch = new PointsBatch();
            for (var h = from; h < Math.Min(Hosts, from + 5_000); h++)
            {
                var series = new SeriesPoints { Metric = "q", Tags = { "host:h" + h.ToString(CultureInfo.InvariantCulture) } };
                series.UnixMs.Add(engine.Now);
                series.Values.Add(50);
                batch.Series.Add(series);
            }

            engine.Apply(new LogEntry { Points = batch });
        }

        engine.TickTo(engine.Now + 1_000);
        Assert.Equal(Hosts, engine.State.GroupStates("wide").Count());
        return engine;
    }
}
