using Alerting.Engine.Monitors;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>Issue 7 item 4: a point's series is found from its name and tags as they arrive.</summary>
public sealed class SeriesLookupTests
{
    [Fact]
    public void A_batch_of_points_for_known_series_allocates_nothing()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "avg(last_5m):avg:cpu{env:prod} by {host} > 90"));
        var batch = new PointsBatch();
        for (var i = 0; i < 100; i++)
        {
            var series = new SeriesPoints { Metric = "cpu", Tags = { "env:prod", $"host:h{i:D3}" } };
            series.UnixMs.Add(engine.Now);
            series.Values.Add(i);
            batch.Series.Add(series);
        }

        var rejected = new long[RejectReasonNames.Count];
        var index = engine.Apply(new LogEntry { Points = batch });
        Assert.Equal(100, engine.State.SeriesCount);
        Assert.Equal(100, engine.State.GroupStates("m").Count());

        var bytes = AllocationProbe.SteadyBytes(() => engine.State.Monitors.ApplyPoints(batch, ++index, rejected));

        Assert.Equal(0, bytes);
        Assert.Equal(100, engine.State.SeriesCount);
        Assert.True(engine.State.Counters.PointsAccepted > 100, "the measured batches were accepted, not refused");
    }

    [Fact]
    public void Tags_out_of_order_or_repeated_find_the_same_series()
    {
        var engine = new EngineHarness();
        engine.Point("cpu", ["host:a", "env:prod"], engine.Now, 1);
        engine.Point("cpu", ["env:prod", "host:a"], engine.Now, 2);
        engine.Point("cpu", ["host:a", "env:prod", "host:a"], engine.Now, 3);
        engine.Point("cpu", ["env:prod", "host:b"], engine.Now, 4);
        engine.Point("mem", ["env:prod", "host:a"], engine.Now, 5);

        Assert.Equal(
            ["cpu env:prod,host:a", "cpu env:prod,host:b", "mem env:prod,host:a"],
            engine.State.Monitors.AllSeries.Select(s => $"{s.Source} {string.Join(',', s.Tags)}"));
    }
}
