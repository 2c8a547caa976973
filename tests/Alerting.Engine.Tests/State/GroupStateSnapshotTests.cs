using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.State;

public sealed class GroupStateSnapshotTests
{
    private const long Minute = GroupRun.Minute;

    [Fact]
    public void A_format_1_group_state_reads_its_notify_end_bit_as_alert_on_expiry_and_cancel()
    {
        var rules = MonitorRules.FromProto("m1", MonitorKind.Metric, 1, Comparator.Greater, GroupRun.Options(critical: 90));
        var state = GroupState.Create("host:a", GroupRun.T0);
        var sink = new ListSink();
        StateProcessor.UpdateMute(rules, ref state, GroupRun.T0, new MuteStatus(true, notifyEndIfAlerting: true), 1, ref sink);
        byte[] v2 = StateProcessorDifferentialTests.Serialize(state);

        // Format 1: the same fields, with bit 2 of the flags byte for the end notification and no mask bytes.
        int flags = 1 + 1 + "host:a".Length + 3;
        byte[] v1 = [1, .. v2[1..flags], (byte)(v2[flags] | 2), .. v2[(flags + 3)..]];
        var read = GroupState.ReadFrom(new BinaryReader(new MemoryStream(v1)));

        Assert.True(read.Muted);
        Assert.Equal((DowntimeEndStates.Alert, DowntimeEndStates.Alert), (read.EndNotifyOnExpire, read.EndNotifyOnCancel));
        Assert.Equal(v2, StateProcessorDifferentialTests.Serialize(read));
    }

    [Fact]
    public void Snapshot_round_trip_is_byte_identical_and_processing_continues_identically()
    {
        var options = GroupRun.Options(critical: 90, warning: 80, criticalRecovery: 85, warningRecovery: 70);
        options.ForMs = 2 * Minute;
        options.KeepFiringForMs = 3 * Minute;
        options.RenotifyIntervalMs = 5 * Minute;
        options.FlapDetection = true;
        options.NotifyNoData = true;
        options.NoDataTimeframeMs = 10 * Minute;
        var rules = MonitorRules.FromProto("m1", MonitorKind.Metric, 1, Comparator.Greater, options);
        var original = GroupState.Create("host:a", GroupRun.T0);
        var sink = new ListSink();
        var rng = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            Step(rules, ref original, ref sink, i, rng.Next(60, 100));
        }

        byte[] bytes = StateProcessorDifferentialTests.Serialize(original);
        using var reader = new BinaryReader(new MemoryStream(bytes));
        var restored = GroupState.ReadFrom(reader);
        Assert.Equal(bytes, StateProcessorDifferentialTests.Serialize(restored));
        Assert.Equal(reader.BaseStream.Length, reader.BaseStream.Position);

        var restoredSink = new ListSink();
        var continued = new ListSink();
        for (int i = 200; i < 400; i++)
        {
            double value = rng.Next(60, 100);
            Step(rules, ref original, ref continued, i, value);
            Step(rules, ref restored, ref restoredSink, i, value);
        }

        Assert.NotEmpty(continued.Events);
        Assert.Equal(continued.Events, restoredSink.Events);
        Assert.Equal(StateProcessorDifferentialTests.Serialize(original), StateProcessorDifferentialTests.Serialize(restored));
    }

    [Fact]
    public void Unknown_format_version_is_rejected()
    {
        byte[] bytes = StateProcessorDifferentialTests.Serialize(GroupState.Create("host:a", GroupRun.T0));
        bytes[0] = GroupState.FormatVersion + 1;
        using var reader = new BinaryReader(new MemoryStream(bytes));
        Assert.Throws<InvalidDataException>(() => GroupState.ReadFrom(reader));
    }

    private static void Step(MonitorRules rules, ref GroupState state, ref ListSink sink, int i, double value)
    {
        var outcome = i % 13 == 0 ? EvaluationOutcome.NoData : EvaluationOutcome.Of(value, GroupRun.T0 + (i * Minute));
        StateProcessor.Evaluate(rules, ref state, GroupRun.T0 + (i * Minute), in outcome, new MuteStatus(i % 40 < 4, true), i, ref sink);
    }
}
