using Alerting.Engine.Evaluation;
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

    public static EngineState Restore(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        return EngineState.ReadFrom(reader);
    }

    /// <summary>
    /// The snapshot as a format before 9 laid it out: the metric series of <paramref name="metric"/>
    /// and <paramref name="tags"/> (sorted) without the metric type that follows its tier slots.
    /// </summary>
    public static byte[] WithoutSeriesType(byte[] bytes, string metric, params string[] tags)
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

        var record = stream.ToArray();
        var at = bytes.AsSpan().IndexOf(record);
        Assert.True(at >= 0 && bytes.AsSpan(at + 1).IndexOf(record) < 0, "the series record is in the snapshot once");
        var type = at + record.Length + (StoreTiers.Count * sizeof(int));
        return [.. bytes[..type], .. bytes[(type + sizeof(int))..]];
    }
}
