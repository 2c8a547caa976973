using Alerting.Protocol.Log;
using Google.Protobuf;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Everything the state machine knows. Only <see cref="LogApplier"/> mutates it, on the one
/// state-machine thread, so nothing here is synchronised. Its snapshot bytes are a pure
/// function of the entries applied (DESIGN invariant 1): collections are ordinal-sorted, and
/// nothing depends on process-randomised hashing.
/// </summary>
public sealed class EngineState
{
    private const ulong SnapshotFormatVersion = 1;

    /// <summary>Index of the last applied entry (0 before the first).</summary>
    public long AppliedIndex { get; internal set; }

    /// <summary>The highest term seen in an applied entry.</summary>
    public ulong Term { get; internal set; }

    /// <summary>Logical time: the greatest <c>Tick</c> time applied, in unix ms.</summary>
    public long LogicalTimeMs { get; internal set; }

    public long TicksApplied { get; internal set; }

    public long PointsApplied { get; internal set; }

    public long CheckRunsApplied { get; internal set; }

    public long NotificationsDelivered { get; internal set; }

    internal SortedDictionary<string, Monitor> Monitors { get; } = new(StringComparer.Ordinal);

    internal SortedDictionary<string, Downtime> Downtimes { get; } = new(StringComparer.Ordinal);

    public int MonitorCount => Monitors.Count;

    public int DowntimeCount => Downtimes.Count;

    public bool TryGetMonitor(string id, out Monitor? monitor) => Monitors.TryGetValue(id, out monitor);

    /// <summary>Writes the whole state; equal states write equal bytes.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(SnapshotFormatVersion);
        writer.Write(AppliedIndex);
        writer.Write(Term);
        writer.Write(LogicalTimeMs);
        writer.Write(TicksApplied);
        writer.Write(PointsApplied);
        writer.Write(CheckRunsApplied);
        writer.Write(NotificationsDelivered);
        WriteMessages(writer, Monitors);
        WriteMessages(writer, Downtimes);
    }

    public static EngineState ReadFrom(BinaryReader reader)
    {
        var version = reader.ReadUInt64();
        if (version != SnapshotFormatVersion)
        {
            throw new InvalidDataException($"snapshot format version {version} is not supported (expected {SnapshotFormatVersion})");
        }

        var state = new EngineState
        {
            AppliedIndex = reader.ReadInt64(),
            Term = reader.ReadUInt64(),
            LogicalTimeMs = reader.ReadInt64(),
            TicksApplied = reader.ReadInt64(),
            PointsApplied = reader.ReadInt64(),
            CheckRunsApplied = reader.ReadInt64(),
            NotificationsDelivered = reader.ReadInt64(),
        };
        ReadMessages(reader, state.Monitors, Monitor.Parser, static m => m.Id);
        ReadMessages(reader, state.Downtimes, Downtime.Parser, static d => d.Id);
        return state;
    }

    private static void WriteMessages<T>(BinaryWriter writer, SortedDictionary<string, T> messages)
        where T : IMessage<T>
    {
        writer.Write(messages.Count);
        foreach (var message in messages.Values)
        {
            var bytes = message.ToByteArray();
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
    }

    private static void ReadMessages<T>(BinaryReader reader, SortedDictionary<string, T> into, MessageParser<T> parser, Func<T, string> key)
        where T : IMessage<T>
    {
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var length = reader.ReadInt32();
            var message = parser.ParseFrom(reader.ReadBytes(length));
            into.Add(key(message), message);
        }
    }
}
