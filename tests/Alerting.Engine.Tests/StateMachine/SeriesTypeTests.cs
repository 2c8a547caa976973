using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>The metric type from the ingestion protocol, recorded per series through log entries.</summary>
public sealed class SeriesTypeTests
{
    private static LogEntry Points(string metric, string[] tags, SeriesType type, long unixMs, double value)
    {
        var series = new SeriesPoints { Metric = metric, Tags = { tags }, Type = type };
        series.UnixMs.Add(unixMs);
        series.Values.Add(value);
        return new LogEntry { Points = new PointsBatch { Series = { series } } };
    }

    [Fact]
    public void Each_series_records_the_type_of_the_last_batch_that_carried_it_and_snapshots_keep_it()
    {
        var engine = new EngineHarness();
        engine.Apply(Points("requests", ["env:prod"], SeriesType.Count, engine.Now, 3));
        engine.Apply(Points("requests", ["env:dev"], SeriesType.Rate, engine.Now, 1));
        engine.Apply(Points("cpu", [], SeriesType.Unspecified, engine.Now, 50));
        Assert.Equal(SeriesType.Count, engine.State.Monitors.SeriesTypeOf("requests", ["env:prod"]));

        engine.Apply(Points("requests", ["env:prod"], SeriesType.Gauge, engine.Now, 7));

        Assert.Equal(SeriesType.Gauge, engine.State.Monitors.SeriesTypeOf("requests", ["env:prod"]));
        Assert.Equal(SeriesType.Rate, engine.State.Monitors.SeriesTypeOf("requests", ["env:dev"]));
        Assert.Equal(SeriesType.Unspecified, engine.State.Monitors.SeriesTypeOf("cpu", []));
        Assert.Null(engine.State.Monitors.SeriesTypeOf("requests", ["env:qa"]));

        var bytes = Snapshot.Bytes(engine.State);
        var restored = Snapshot.Restore(bytes);
        Assert.Equal(SeriesType.Gauge, restored.Monitors.SeriesTypeOf("requests", ["env:prod"]));
        Assert.Equal(SeriesType.Rate, restored.Monitors.SeriesTypeOf("requests", ["env:dev"]));
        Assert.Equal(bytes, Snapshot.Bytes(restored));
    }

    [Fact]
    public void A_version_8_snapshot_without_series_types_is_still_read_its_series_as_unspecified()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "avg(last_5m):avg:requests{*} > 1"));
        engine.Apply(Points("requests", ["env:prod"], SeriesType.Count, engine.Now, 3));
        var bytes = Snapshot.Bytes(engine.State);
        Assert.Equal(22UL, BitConverter.ToUInt64(bytes, 0));

        // Version 8 is this layout without the series' metric type (version 9) and without the idle
        // mute refresh (18 bytes) that ends the monitor section (version 10) and without the group's
        // report time and the series' left-groups mark (version 12); no match is going here.
        Assert.Equal(0, engine.State.MatchesPending);
        using var section = new MemoryStream();
        using (var writer = new BinaryWriter(section, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            engine.State.Monitors.WriteTo(writer);
        }

        const int header = 6 * 8;
        const int idleMuteRefresh = 18;
        var monitorsEnd = header + (int)section.Length - Snapshot.NoFuturePoints;
        bytes = Snapshot.WithoutFuturePoints(engine.State, bytes);
        var version10 = Snapshot.WithoutGroupRetention([.. bytes[..(monitorsEnd - idleMuteRefresh)], .. bytes[monitorsEnd..]], engine.State.GroupStates("m").Single().Monitor, engine.State.GroupStates("m").Single().State, engine.State.Monitors.GroupLastEvaluatedMs("m", "*")!.Value, engine.State.Monitors.GroupLastReportedMs("m", "*")!.Value, "requests", "env:prod");
        var old = Snapshot.WithoutSeriesType(version10, "requests", "env:prod");
        BitConverter.GetBytes(8UL).CopyTo(old, 0);
        var restored = Snapshot.Restore(old);

        Assert.True(restored.TryGetMonitor("m", out _));
        Assert.Equal(SeriesType.Unspecified, restored.Monitors.SeriesTypeOf("requests", ["env:prod"]));
        Assert.Equal(engine.State.Monitors.GroupMembers(), restored.Monitors.GroupMembers());
        Assert.Equal(22UL, BitConverter.ToUInt64(Snapshot.Bytes(restored), 0));
    }
}
