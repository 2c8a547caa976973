namespace Alerting.Engine.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Tick_entry_round_trips_through_protobuf()
    {
        var entry = new Alerting.Protocol.Log.LogEntry { Tick = new Alerting.Protocol.Log.Tick { UnixMs = 42 } };
        var back = Alerting.Protocol.Log.LogEntry.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(entry));
        Assert.Equal(42, back.Tick.UnixMs);
    }
}
