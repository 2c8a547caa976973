using Alerting.Engine.StateMachine;
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

    [Fact]
    public void A_rejected_or_given_up_delivery_is_listed_as_failed_until_a_good_outcome_of_it_or_a_newer_event()
    {
        var engine = new EngineHarness();
        Record(engine, "hook", "m", "host:a", 2, DeliveryOutcome.Rejected, detail: "HTTP 400: bad labels");
        Record(engine, "hook", "m", "host:b", 1, DeliveryOutcome.GaveUp);
        Record(engine, "hook", "m", "host:a", 1, DeliveryOutcome.Superseded);

        var ledger = engine.State.Deliveries;
        Assert.Equal(2UL, ledger.Finished("hook", "m", "host:a"));
        Assert.Equal(
            [("host:a", 2UL, DeliveryOutcome.Rejected, "HTTP 400: bad labels"), ("host:b", 1UL, DeliveryOutcome.GaveUp, "")],
            ledger.Failed().Select(f => (f.GroupKey, f.TransitionNumber, f.Outcome, f.Detail)));

        Record(engine, "hook", "m", "host:a", 2, DeliveryOutcome.Delivered);
        Record(engine, "hook", "m", "host:b", 2, DeliveryOutcome.Superseded);

        Assert.Empty(ledger.Failed());
        Assert.Equal(2UL, ledger.Finished("hook", "m", "host:b"));
    }

    [Fact]
    public void The_pin_is_the_lowest_endpoint_cursor_cursors_only_move_forward_and_a_retired_endpoint_holds_nothing()
    {
        var engine = new EngineHarness();
        var ledger = engine.State.Deliveries;
        Assert.Equal(DeliveryLedger.RetiredCursor, ledger.Pin);

        Cursor(engine, "a", 40);
        Cursor(engine, "b", 25);
        Cursor(engine, "b", 10);
        Assert.Equal(25, ledger.Pin);

        Cursor(engine, "b", DeliveryLedger.RetiredCursor);
        Assert.Equal(40, ledger.Pin);
        Assert.Equal(0UL, ledger.Finished("a", "", ""));
        Assert.Equal(0L, engine.State.NotificationsDelivered);
    }

    [Fact]
    public void Failures_and_cursors_survive_a_snapshot_byte_for_byte()
    {
        var engine = new EngineHarness();
        Record(engine, "hook", "m", "host:a", 3, DeliveryOutcome.GaveUp, detail: "HTTP 503", settledBefore: 17);
        Cursor(engine, "pager", 12);

        var bytes = Snapshot.Bytes(engine.State);
        var restored = Snapshot.Restore(bytes);

        Assert.Equal(bytes, Snapshot.Bytes(restored));
        Assert.Equal(12, restored.Deliveries.Pin);
        Assert.Equal(17, restored.Deliveries.Cursor("hook"));
        Assert.Equal((3UL, DeliveryOutcome.GaveUp), restored.Deliveries.Failed().Select(f => (f.TransitionNumber, f.Outcome)).Single());
    }

    [Fact]
    public void A_format_5_snapshot_from_before_the_outbox_still_reads_with_its_history_and_finished_numbers()
    {
        var state = new EngineState();
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(5UL);
            writer.Write(42L); // applied index
            writer.Write(3UL); // term
            writer.Write(0L); // logical time (the monitor engine below is written at 0 too)
            writer.Write(7L); // ticks
            writer.Write(1L); // notifications delivered
            writer.Write(MonitorSectionBeforeFormat8(state));
            writer.Write(100_000); // history capacity
            writer.Write(4L); // dropped
            writer.Write(1); // kept
            writer.Write(3UL);
            writer.Write("cpu high");
            writer.Write("m");
            writer.Write("host:a");
            writer.Write(5UL);
            writer.Write((byte)Alerting.Engine.State.AlertState.Ok);
            writer.Write((byte)Alerting.Engine.State.AlertState.Alert);
            writer.Write(95.0);
            writer.Write(90.0);
            writer.Write(900L);
            writer.Write(40L);
            writer.Write((byte)Alerting.Engine.State.TransitionReason.ThresholdCrossed);
            writer.Write((byte)Alerting.Engine.State.GroupFlags.None);
            writer.Write(true);
            writer.Write(false);
            writer.Write(0L); // ledger overflowed
            writer.Write(1);
            writer.Write("hook\u001fm\u001fhost:a");
            writer.Write(4UL);
        }

        var restored = Snapshot.Restore(stream.ToArray());

        Assert.Equal(42, restored.AppliedIndex);
        Assert.Equal(4UL, restored.Deliveries.Finished("hook", "m", "host:a"));
        Assert.Empty(restored.Deliveries.Failed());
        Assert.Equal(DeliveryLedger.RetiredCursor, restored.Deliveries.Pin);
        Assert.Equal(40, restored.History.NewestIndex);
        Assert.Equal(4, restored.History.OldestSequence);
        Assert.Equal(40, restored.History.ForgottenBeforeIndex);
    }

    /// <summary>The monitor section as formats 5 to 7 wrote it: today's, without the trailing count of pending matches (none here).</summary>
    private static byte[] MonitorSectionBeforeFormat8(EngineState state)
    {
        using var section = new MemoryStream();
        using (var writer = new BinaryWriter(section, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            state.Monitors.WriteTo(writer);
        }

        // The section ends with the pending-match count (format 8), the idle mute refresh (format 10, 18 bytes with no canceled downtime)
        // the empty queue of future points (format 16) and the empty list of draining monitors (format 17).
        const int idleMuteRefresh = 18;
        var bytes = section.ToArray();
        Assert.Equal(0, BitConverter.ToInt32(bytes, bytes.Length - Snapshot.NoFuturePoints));
        Assert.Equal(0, BitConverter.ToInt32(bytes, bytes.Length - Snapshot.NoFuturePoints - idleMuteRefresh - sizeof(int)));

        // No monitors and no series: time (8), started (1) and slot count (4), then format 13's
        // next series id before the series count and its sweep cursor after it, which go too.
        const int nextSeriesId = 13;
        Assert.Equal(0, BitConverter.ToInt32(bytes, nextSeriesId - sizeof(int)));
        return [.. bytes[..nextSeriesId], .. bytes[(nextSeriesId + sizeof(int))..(nextSeriesId + (2 * sizeof(int)))], .. bytes[(nextSeriesId + (3 * sizeof(int)))..^(Snapshot.NoFuturePoints + idleMuteRefresh + sizeof(int))]];
    }

    private static void Record(EngineHarness engine, string endpoint, string monitor, string group, ulong number, DeliveryOutcome outcome, string detail = "", long settledBefore = 0) =>
        engine.Apply(new LogEntry
        {
            NotificationDelivered = new NotificationDelivered
            {
                Endpoint = endpoint, MonitorId = monitor, GroupKey = group, TransitionNumber = number, Outcome = outcome, Detail = detail, SettledBeforeIndex = settledBefore,
            },
        });

    private static void Cursor(EngineHarness engine, string endpoint, long settledBefore) =>
        engine.Apply(new LogEntry { NotificationDelivered = new NotificationDelivered { Endpoint = endpoint, SettledBeforeIndex = settledBefore } });

    private static void Deliver(EngineHarness engine, string endpoint, string monitor, string group, ulong number) =>
        engine.Apply(new LogEntry { NotificationDelivered = new NotificationDelivered { Endpoint = endpoint, MonitorId = monitor, GroupKey = group, TransitionNumber = number } });
}
