using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class DeliveryLedgerTests
{
    [Fact]
    public void Delivered_entries_advance_the_finished_number_per_endpoint_and_key_and_never_move_it_back()
    {
        var engine = new EngineHarness();
        Deliver(engine, "webhook", "m", "host:a", 3);
        Deliver(engine, "webhook", "m", "host:a", 2);
        Deliver(engine, "pagerduty", "m", "host:a", 1);

        var ledger = engine.State.Deliveries;
        Assert.Equal(3UL, ledger.Finished("webhook", "m", "host:a"));
        Assert.Equal(1UL, ledger.Finished("pagerduty", "m", "host:a"));
        Assert.Equal(0UL, ledger.Finished("webhook", "m", "host:b"));
    }

    [Fact]
    public void The_ledger_survives_a_snapshot()
    {
        var engine = new EngineHarness();
        Deliver(engine, "webhook", "m", "*", 7);

        var restored = Snapshot.Restore(Snapshot.Bytes(engine.State));

        Assert.Equal(7UL, restored.Deliveries.Finished("webhook", "m", "*"));
    }

    private static void Deliver(EngineHarness engine, string endpoint, string monitor, string group, ulong number) =>
        engine.Apply(new LogEntry { NotificationDelivered = new NotificationDelivered { Endpoint = endpoint, MonitorId = monitor, GroupKey = group, TransitionNumber = number } });
}
