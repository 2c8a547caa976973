using Alerting.Engine.State;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>Calendar-aligned windows through log entries.</summary>
public sealed class CalendarWindowMonitorTests
{
    [Fact]
    public void Current_1h_counts_only_points_since_the_start_of_the_utc_hour()
    {
        const long hour = 3_600_000;
        var engine = new EngineHarness();
        Assert.Equal(0, EngineHarness.Start % hour);
        engine.Upsert(EngineHarness.Metric("orders", "sum(current_1h):sum:orders{*} > 10", o => o.OnArrival = true));
        engine.Upsert(EngineHarness.Metric("rolling", "sum(last_1h):sum:orders{*} > 10", o => o.OnArrival = true));

        engine.Tick(EngineHarness.Start + (50 * 60_000));
        engine.Point("orders", [], engine.Now, 8);
        engine.Tick(EngineHarness.Start + (59 * 60_000));
        engine.Point("orders", [], engine.Now, 5);
        Assert.Equal(AlertState.Alert, engine.State.GroupStates("orders").Single().State.State);

        engine.Tick(EngineHarness.Start + hour + 60_000);
        engine.Point("orders", [], engine.Now, 1);

        Assert.Equal(AlertState.Ok, engine.State.GroupStates("orders").Single().State.State);
        Assert.Equal(1.0, engine.Events.Last(e => e.MonitorId == "orders").Value);
        Assert.Equal(AlertState.Alert, engine.State.GroupStates("rolling").Single().State.State);
    }
}
