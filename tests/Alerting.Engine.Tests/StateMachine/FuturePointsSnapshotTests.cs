using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>Points and check runs stamped ahead of logical time wait in the state, and in its snapshots (format 16).</summary>
public sealed class FuturePointsSnapshotTests
{
    [Fact]
    public void A_snapshot_with_points_waiting_restores_byte_identical_and_releases_them_the_same_way()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "last(last_1m):avg:q{*} by {host} > 90", o => o.OnArrival = true));
        engine.Upsert(new Protocol.Log.Monitor
        {
            Id = "c",
            Name = "c",
            Type = "check",
            Query = "\"app.ok\".over(\"*\").by(\"host\").last(1).count_by_status()",
            Options = new MonitorOptions { OnArrival = true, EvaluationIntervalMs = 10_000 },
        });
        var start = engine.Now;
        engine.Point("q", ["host:a"], start + 20_000, 95);
        engine.Point("q", ["host:b"], start + 10_000, 99);
        engine.Point("q", ["host:a"], start + 10_000, 50);
        engine.Check("app.ok", ["host:a"], start + 15_000, CheckStatus.Critical);
        Assert.Empty(engine.Events);

        var bytes = Snapshot.Bytes(engine.State);
        Assert.Equal(22UL, BitConverter.ToUInt64(bytes, 0));
        var restoredEvents = new List<Alerting.Engine.State.TransitionEvent>();
        var restoredApplier = new LogApplier(Snapshot.Restore(bytes), restoredEvents.AddRange);
        Assert.Equal(bytes, Snapshot.Bytes(restoredApplier.State));

        for (var t = start + 1_000; t <= start + 30_000; t += 1_000)
        {
            var tick = new LogEntry { Tick = new Tick { UnixMs = t } };
            engine.Apply(tick);
            restoredApplier.Apply(engine.LastIndex, 1, tick);
        }

        // Released in time order at the ticks that reach them: b's breach at +10 s, the check's
        // CRITICAL at +15 s, a's breach at +20 s (a's 50 at +10 s came first, so no alert then).
        var released = engine.Events.Select(e => (e.MonitorId, e.GroupKey, e.Next, e.TimeMs)).ToList();
        Assert.Equal(
            [
                ("m", "host:b", Alerting.Engine.State.AlertState.Alert, start + 10_000),
                ("c", "host:a", Alerting.Engine.State.AlertState.Alert, start + 15_000),
                ("m", "host:a", Alerting.Engine.State.AlertState.Alert, start + 20_000),
            ],
            released);
        Assert.Equal(released, restoredEvents.Select(e => (e.MonitorId, e.GroupKey, e.Next, e.TimeMs)));
        Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restoredApplier.State));
    }
}
