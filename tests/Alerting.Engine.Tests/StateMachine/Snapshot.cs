using Alerting.Engine.Monitors;
using Alerting.Engine.Evaluation;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Tests.StateMachine;

internal static class Snapshot
{
    public static byte[] Bytes(EngineState state)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            state.WriteTo(writer);
        }

        return stream.ToArray();
    }

    public static EngineState Restore(byte[] bytes, IngestLimits? limits = null)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        return EngineState.ReadFrom(reader, limits);
    }

    /// <summary>Bytes of the engine settings that end a format 20 snapshot: the retention (a long) and the two step budgets (ints).</summary>
    public const int SettingsBytes = sizeof(long) + sizeof(int) + sizeof(int);

    /// <summary>The snapshot as format 17 laid it out: without the idle tail that formats 18 to 22 append (see <see cref="IdleTail"/>), and with version 17.</summary>
    public static byte[] WithoutSettings(byte[] bytes) => WithoutTail(bytes, 17);

    /// <summary>
    /// Bytes that end the monitor section of a state with no future points, no week-long window and no
    /// monitor being drained: the empty queue of future points (format 16), the empty 2 h tier, an empty
    /// list of draining monitors and a mute sweep at no monitor (format 17). What a format before 16 lacks there.
    /// </summary>
    public const int NoFuturePoints = sizeof(int) + EmptyWeekTier + NoDrains;

    /// <summary>The 2 h tier with no series (format 17): an empty store (version, resolution, retained and future buckets, clock, high water, free count) and a zero series count.</summary>
    public const int EmptyWeekTier = sizeof(int) + sizeof(long) + sizeof(int) + sizeof(int) + sizeof(long) + sizeof(int) + sizeof(int) + sizeof(int);

    /// <summary>Bytes of an empty queue of composite member changes (format 21).</summary>
    public const int NoCompositeQueue = sizeof(int);

    /// <summary>Bytes of an empty list of same-selection edits still re-stamping groups (format 22), the last of the snapshot.</summary>
    public const int NoEditSteps = sizeof(int);

    /// <summary>Bytes of the format-19 step cursors when nothing is stepping: the first queued monitor at its start and no regroup letting go of old groups.</summary>
    public const int NoSteps = sizeof(bool) + sizeof(int);

    /// <summary>
    /// What follows the client sessions in a state where nothing is pending and the settings are the defaults:
    /// no notify_by keys (format 18: no bytes), idle step cursors (19), the settings (20), an empty composite queue (21),
    /// no edit going (22). What every format before 18 lacks at its end.
    /// </summary>
    public const int IdleTail = NoSteps + SettingsBytes + NoCompositeQueue + NoEditSteps;

    /// <summary>The snapshot without its idle tail (see <see cref="IdleTail"/>), with <paramref name="version"/>.</summary>
    public static byte[] WithoutTail(byte[] bytes, ulong version)
    {
        Assert.Equal(0, BitConverter.ToInt32(bytes, bytes.Length - NoEditSteps));
        Assert.Equal(0, BitConverter.ToInt32(bytes, bytes.Length - NoEditSteps - NoCompositeQueue));
        var stepsAt = bytes.Length - IdleTail;
        Assert.Equal(0, bytes[stepsAt]);
        Assert.Equal(0, BitConverter.ToInt32(bytes, stepsAt + sizeof(bool)));
        byte[] old = bytes[..stepsAt];
        BitConverter.TryWriteBytes(old.AsSpan(0, 8), version);
        return old;
    }

    /// <summary>Bytes of an empty list of draining monitors and a mute sweep at no monitor (format 17), the last of the monitor section.</summary>
    public const int NoDrains = sizeof(int) + sizeof(bool);

    /// <summary>
    /// The snapshot as format 16 laid it out: without the engine settings (format 20), the (empty) 2 h tier and the (empty) list of
    /// deleted monitors still being drained that end the monitor section in format 17, and with version 16.
    /// </summary>
    public static byte[] WithoutDrains(EngineState state, byte[] bytes)
    {
        bytes = WithoutTail(bytes, 17);
        using var section = new MemoryStream();
        using var writer = new BinaryWriter(section);
        state.Monitors.WriteTo(writer);
        writer.Flush();
        var monitorsEnd = (6 * sizeof(long)) + (int)section.Length;
        Assert.Equal(0, BitConverter.ToInt32(bytes, monitorsEnd - NoDrains));
        Assert.Equal(0, bytes[monitorsEnd - 1]);
        Assert.Equal(0, BitConverter.ToInt32(bytes, monitorsEnd - NoDrains - sizeof(int)));
        var cut = EmptyWeekTier + NoDrains;
        byte[] old = [.. bytes[..(monitorsEnd - cut)], .. bytes[monitorsEnd..]];
        BitConverter.TryWriteBytes(old.AsSpan(0, 8), 16UL);
        return old;
    }

    /// <summary>
    /// The snapshot as a format before 16 laid it out: without the engine settings (format 20), the (empty) queue of points waiting
    /// for their time, the (empty) 2 h tier and the (empty) list of draining monitors that end the
    /// monitor section (6 header longs, then the section).
    /// </summary>
    public static byte[] WithoutFuturePoints(EngineState state, byte[] bytes)
    {
        bytes = WithoutTail(bytes, 17);
        using var section = new MemoryStream();
        using (var writer = new BinaryWriter(section))
        {
            state.Monitors.WriteTo(writer);
            writer.Flush();
            var monitorsEnd = (6 * sizeof(long)) + (int)section.Length;
            Assert.Equal(0, BitConverter.ToInt32(bytes, monitorsEnd - NoFuturePoints));
            Assert.Equal(0, BitConverter.ToInt32(bytes, monitorsEnd - NoDrains));
            Assert.Equal(0, bytes[monitorsEnd - 1]);
            Assert.Equal(0, BitConverter.ToInt32(bytes, monitorsEnd - NoDrains - sizeof(int)));
            return [.. bytes[..(monitorsEnd - NoFuturePoints)], .. bytes[monitorsEnd..]];
        }
    }

    /// <summary>
    /// The snapshot as a format before 12 laid it out, for one monitor, one group and one series:
    /// without the transition floor (0) that follows the monitor's definition, without the report
    /// time that follows the group's state and last evaluation time (these must occur once), and
    /// without the left-groups mark that follows the metric series' type.
    /// </summary>
    public static byte[] WithoutGroupRetention(byte[] bytes, Protocol.Log.Monitor definition, GroupState state, long lastEvaluatedMs, long lastReportedMs, string metric, params string[] tags)
    {
        var encoded = Google.Protobuf.MessageExtensions.ToByteArray(definition);
        byte[] withFloor = [.. BitConverter.GetBytes(encoded.Length), .. encoded, .. BitConverter.GetBytes(0UL)];
        var monitorAt = bytes.AsSpan().IndexOf(withFloor);
        Assert.True(monitorAt >= 0 && bytes.AsSpan(monitorAt + 1).IndexOf(withFloor) < 0, "the monitor's definition and floor are in the snapshot once");
        var floor = monitorAt + withFloor.Length - sizeof(ulong);
        bytes = [.. bytes[..floor], .. bytes[(floor + sizeof(ulong))..]];

        using var stateBytes = new MemoryStream();
        using (var writer = new BinaryWriter(stateBytes))
        {
            state.WriteTo(writer);
            writer.Write(lastEvaluatedMs);
            writer.Write(lastReportedMs);
        }

        var group = stateBytes.ToArray();
        var at = bytes.AsSpan().IndexOf(group);
        Assert.True(at >= 0 && bytes.AsSpan(at + 1).IndexOf(group) < 0, "the group's state, evaluation and report times are in the snapshot once");
        var reported = at + group.Length - sizeof(long);
        return WithoutLeftGroupsMark([.. bytes[..reported], .. bytes[(reported + sizeof(long))..]], metric, tags);
    }

    /// <summary>
    /// The snapshot without the left-groups mark (format 12) that follows the metric series' type,
    /// and without what format 13 added for series expiry (see <see cref="WithoutSeriesExpiry"/>).
    /// </summary>
    public static byte[] WithoutLeftGroupsMark(byte[] bytes, string metric, params string[] tags)
    {
        bytes = WithoutSeriesExpiry(bytes, metric, tags);
        var record = SeriesRecord(metric, tags);
        var series = bytes.AsSpan().IndexOf(record);
        Assert.True(series >= 0 && bytes.AsSpan(series + 1).IndexOf(record) < 0, "the series record is in the snapshot once");
        var mark = series + record.Length + (StoreTiers.CountBeforeWeekTier * sizeof(int)) + sizeof(int);
        return [.. bytes[..mark], .. bytes[(mark + 1)..]];
    }

    /// <summary>
    /// The snapshot of one series as a format before 13 laid it out: without the next series id
    /// before the series count, the series' id and last-seen time before its record, and the
    /// sweep cursor after the series (after its tier slots, type and left-groups mark).
    /// </summary>
    public static byte[] WithoutSeriesExpiry(byte[] bytes, string metric, params string[] tags)
    {
        var record = SeriesRecord(metric, tags);
        var at = bytes.AsSpan().IndexOf(record);
        Assert.True(at >= 0 && bytes.AsSpan(at + 1).IndexOf(record) < 0, "the series record is in the snapshot once");
        Assert.Equal(1, BitConverter.ToInt32(bytes, at - sizeof(long) - sizeof(int) - sizeof(int)));
        var cursor = at + record.Length + (StoreTiers.CountBeforeWeekTier * sizeof(int)) + sizeof(int) + 1;
        var idAndSeen = at - sizeof(long) - sizeof(int);
        var nextId = idAndSeen - sizeof(int) - sizeof(int);
        return [.. bytes[..nextId], .. bytes[(nextId + sizeof(int))..idAndSeen], .. bytes[at..cursor], .. bytes[(cursor + sizeof(int))..]];
    }

    /// <summary>
    /// The snapshot as a format before 9 laid it out: the metric series of <paramref name="metric"/>
    /// and <paramref name="tags"/> (sorted) without the metric type that follows its tier slots.
    /// </summary>
    public static byte[] WithoutSeriesType(byte[] bytes, string metric, params string[] tags)
    {
        var record = SeriesRecord(metric, tags);
        var at = bytes.AsSpan().IndexOf(record);
        Assert.True(at >= 0 && bytes.AsSpan(at + 1).IndexOf(record) < 0, "the series record is in the snapshot once");
        var type = at + record.Length + (StoreTiers.CountBeforeWeekTier * sizeof(int));
        return [.. bytes[..type], .. bytes[(type + sizeof(int))..]];
    }

    /// <summary>The start of a metric series' record: not a check, its metric, its tags.</summary>
    private static byte[] SeriesRecord(string metric, string[] tags)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(false);
            writer.Write(metric);
            writer.Write(tags.Length);
            foreach (var tag in tags)
            {
                writer.Write(tag);
            }
        }

        return stream.ToArray();
    }
}
