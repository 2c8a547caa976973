using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>anomalies() monitors through log entries: alert when the whole alert window is outside the band, recover when none of it is.</summary>
public sealed class AnomalyMonitorTests
{
    private const string Query = "avg(last_1h):anomalies(avg:app.requests{*} by {service}, 'basic', 2, direction='both', alert_window='last_5m', interval=60) >= 1";

    [Fact]
    public void A_spike_alerts_once_the_whole_alert_window_is_anomalous_and_recovers_once_none_of_it_is()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("anomaly", Query, o =>
        {
            o.OnArrival = true;
            o.Thresholds = new Thresholds { Critical = 1, CriticalRecovery = 0 };
        }));

        var start = EngineHarness.Start;
        for (var minute = 0; minute < 55; minute++)
        {
            var value = minute is >= 40 and < 45 ? 200 : minute % 2 == 0 ? 100 : 104;
            engine.TickTo(start + (minute * 60_000));
            engine.Point("app.requests", ["service:checkout"], engine.Now, value);
        }

        var changes = engine.Events.Where(e => e.Previous != e.Next).Select(e => ((e.TimeMs - start) / 60_000, e.Next, e.Value)).ToList();
        Assert.Equal([(44L, AlertState.Alert, 1.0), (49L, AlertState.Ok, 0.0)], changes);
    }
}
