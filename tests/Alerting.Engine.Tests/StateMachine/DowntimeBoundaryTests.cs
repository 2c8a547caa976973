using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Downtime boundaries fire from the timing wheel at the first tick at or after them, whatever the
/// monitors' evaluation intervals; a downtime that names no monitor refreshes mutes in bounded steps
/// that a snapshot carries.
/// </summary>
public sealed class DowntimeBoundaryTests
{
    private const string ByHost = "avg(last_5m):avg:q{*} by {host} > 90";

    [Theory]
    [InlineData("m", "")]
    [InlineData("", "")]
    [InlineData("", "interval every=30s duration=10s")]
    [InlineData("m", "interval every=30s duration=10s")]
    public void A_downtime_boundary_mutes_and_unmutes_at_its_tick_without_an_evaluation(string monitorId, string recurrence)
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", ByHost, o => o.EvaluationIntervalMs = 24L * 60 * 60 * 1000));
        engine.Point("q", ["host:a"], engine.Now, 50);
        var start = engine.Now + 10_000;
        var end = start + 60_000;
        engine.Downtime(new Downtime
        {
            Id = "d", MonitorId = monitorId, Scope = { "host:a" }, StartUnixMs = start, EndUnixMs = end, Recurrence = recurrence,
        });
        var model = DowntimeModel.FromProto(engine.State.DowntimeDefinitions().Single());
        var evaluations = engine.State.Counters.GroupEvaluations;

        for (var t = engine.Now + 100; t <= end + 20_000; t += 100)
        {
            engine.Tick(t);
            var expected = model.IsActiveAt(t);
            Assert.True(expected == engine.State.Monitors.GroupStates("m")[0].Muted, $"at start + {t - start} ms the group should be {(expected ? "muted" : "unmuted")}");
        }

        Assert.Equal(evaluations, engine.State.Counters.GroupEvaluations);
    }

    [Fact]
    public void A_downtime_boundary_between_ticks_takes_effect_at_the_next_tick()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", ByHost, o => o.EvaluationIntervalMs = 60 * 60 * 1000));
        engine.Point("q", ["host:a"], engine.Now, 50);
        var start = engine.Now + 1_050;
        engine.Downtime(new Downtime { Id = "d", Scope = { "host:a" }, StartUnixMs = start });

        engine.Tick(start - 50);
        Assert.False(engine.State.Monitors.GroupStates("m")[0].Muted);
        engine.Tick(start + 50);
        Assert.True(engine.State.Monitors.GroupStates("m")[0].Muted);
    }

    [Fact]
    public void A_downtime_naming_no_monitor_mutes_many_monitors_in_bounded_steps()
    {
        const int monitors = 5_000;
        var engine = new EngineHarness();
        for (var i = 0; i < monitors; i++)
        {
            engine.Upsert(EngineHarness.Metric("m" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), ByHost, o => o.EvaluationIntervalMs = 60 * 60 * 1000));
        }

        engine.Point("q", ["host:a"], engine.Now, 50);
        var state = engine.State.Monitors;
        var before = state.MuteRefreshes;

        // No scope: any group of any monitor may be covered (a scope is looked up by tag; see ScopedDowntimeReachTests).
        engine.Downtime(new Downtime { Id = "d", StartUnixMs = engine.Now - 1 });

        // One slot plus one group per monitor: a step reaches about half of them.
        Assert.InRange(state.MuteRefreshes - before, 1, MuteRefresher.MaxGroupsPerStep);
        Assert.True(state.MuteSweepPending);
        Assert.True(state.GroupStates("m00000")[0].Muted);
        Assert.False(state.GroupStates("m04999")[0].Muted);
        var snapshot = Snapshot.Bytes(engine.State);

        engine.Tick(engine.Now + 100);
        Assert.False(state.MuteSweepPending);
        Assert.All(Enumerable.Range(0, monitors), i => Assert.True(state.GroupStates("m" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture))[0].Muted));
        Assert.Equal(monitors, state.MuteRefreshes - before);

        // A replica restored mid-sweep finishes it the same way.
        var restored = new LogApplier(Snapshot.Restore(snapshot), _ => { });
        Assert.True(restored.State.Monitors.MuteSweepPending);
        restored.Apply(engine.LastIndex, 1, new LogEntry { Tick = new Tick { UnixMs = engine.Now } });
        Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored.State));
    }

    [Fact]
    public void A_version_8_snapshot_reads_with_no_mute_refresh_pending()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", ByHost, o => o.OnArrival = true));
        engine.Point("q", ["host:a"], engine.Now, 50);
        engine.Downtime(new Downtime { Id = "d", Scope = { "host:a" }, StartUnixMs = engine.Now - 1 });
        var bytes = Snapshot.Bytes(engine.State);

        using var section = new MemoryStream();
        using (var writer = new BinaryWriter(section, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            engine.State.Monitors.WriteTo(writer);
        }

        const int header = 6 * 8;
        const int idleMuteRefresh = 18;
        var monitorsEnd = header + (int)section.Length - Snapshot.NoFuturePoints;
        var before16 = Snapshot.WithoutFuturePoints(engine.State, bytes);
        // Version 8 also lacks the series' metric type (version 9) and the group's report time and
        // the series' left-groups mark (version 12).
        var version10 = Snapshot.WithoutGroupRetention(
            [.. before16[..(monitorsEnd - idleMuteRefresh)], .. before16[monitorsEnd..]],
            engine.State.GroupStates("m").Single().Monitor,
            engine.State.GroupStates("m").Single().State,
            engine.State.Monitors.GroupLastEvaluatedMs("m", "host:a")!.Value,
            engine.State.Monitors.GroupLastReportedMs("m", "host:a")!.Value,
            "q",
            "host:a");
        var old = Snapshot.WithoutSeriesType(version10, "q", "host:a");
        BitConverter.TryWriteBytes(old.AsSpan(0, 8), 8UL);

        var restored = Snapshot.Restore(old);

        Assert.Equal(bytes, Snapshot.Bytes(restored));
        Assert.True(restored.Monitors.GroupStates("m")[0].Muted);
    }
}
