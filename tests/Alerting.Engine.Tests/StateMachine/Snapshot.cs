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
}
