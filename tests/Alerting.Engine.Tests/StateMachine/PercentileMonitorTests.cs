using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Percentile monitors through log entries: the distribution's bucket series (<c>M.bucket</c>,
/// <c>le</c> tags, cumulative counts as deltas, as OTLP histograms are ingested) feed one group per
/// group-by value whatever their bound, matched through the series index before or after the monitor.
/// </summary>
public sealed class PercentileMonitorTests
{
    private const string P90 = "percentile(last_5m):p90:request.latency{service:api} by {host} > 0.5";

    [Fact]
    public void P90_alerts_per_host_from_its_bucket_series_and_le_never_splits_a_group()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("p90", P90, o => o.OnArrival = true));

        // host a: 50 at or below 0.1 s, 80 at or below 0.5 s, all 100 at or below 1 s: p90 = 0.5 + 0.5 × 10/20.
        Histogram(engine, ["service:api", "host:a"], engine.Now, (0.1, 50), (0.5, 80), (1, 100), (double.PositiveInfinity, 100));

        // host b: 90 at or below 0.1 s: p90 = 0.1.
        Histogram(engine, ["service:api", "host:b"], engine.Now, (0.1, 90), (0.5, 100), (1, 100), (double.PositiveInfinity, 100));

        // Another service, and the distribution's own count series: not read.
        Histogram(engine, ["service:web", "host:a"], engine.Now, (0.1, 0), (double.PositiveInfinity, 100));
        engine.Point("request.latency.count", ["service:api", "host:a"], engine.Now, 100);

        var alert = Assert.Single(engine.Events);
        Assert.Equal(("p90", "host:a", AlertState.Alert), (alert.MonitorId, alert.GroupKey, alert.Next));
        Assert.Equal(0.75, alert.Value);
        Assert.Equal(["host:a", "host:b"], engine.State.GroupStates("p90").Select(g => g.State.GroupKey));
    }

    [Fact]
    public void Counts_add_up_over_the_window_across_flushes_and_series_of_a_group()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("p50", "percentile(last_5m):p50:request.latency{*} > 0.3", o => o.OnArrival = true));

        // Two pods of one (ungrouped) service, two flushes: 40 of 80 at or below 0.2, all at or below 0.4.
        Histogram(engine, ["pod:1"], engine.Now, (0.2, 30), (0.4, 30), (double.PositiveInfinity, 30));
        engine.Tick(engine.Now + 10_000);
        Histogram(engine, ["pod:2"], engine.Now, (0.2, 10), (0.4, 50), (double.PositiveInfinity, 50));

        // rank 40 = the top of [0, 0.2]: 0.2, no alert yet.
        Assert.Empty(engine.Events);

        engine.Tick(engine.Now + 10_000);
        Histogram(engine, ["pod:1"], engine.Now, (0.2, 0), (0.4, 40), (double.PositiveInfinity, 40));

        // 40 of 120 at or below 0.2: rank 60 is 20 of the 80 in (0.2, 0.4]: 0.25.
        Assert.Empty(engine.Events);
        engine.Tick(engine.Now + 10_000);
        Histogram(engine, ["pod:2"], engine.Now, (0.2, 0), (0.4, 80), (double.PositiveInfinity, 80));

        // 40 of 200: rank 100 is 60 of the 160 in (0.2, 0.4]: 0.275; then a slow flush past 0.4.
        Assert.Empty(engine.Events);
        engine.Tick(engine.Now + 10_000);
        Histogram(engine, ["pod:1"], engine.Now, (0.2, 0), (0.4, 0), (double.PositiveInfinity, 200));

        // 40, 200, 400: rank 200 is the top of (0.2, 0.4]: 0.4 > 0.3.
        var alert = Assert.Single(engine.Events);
        Assert.Equal((AlertState.Alert, 0.4), (alert.Next, alert.Value));
    }

    [Fact]
    public void A_monitor_created_after_its_series_finds_them_and_a_window_without_counts_has_no_value()
    {
        var engine = new EngineHarness();
        Histogram(engine, ["service:api", "host:a"], engine.Now, (0.1, 0), (1, 0), (double.PositiveInfinity, 10));
        engine.Upsert(EngineHarness.Metric("p90", P90, o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = 600_000;
        }));
        Assert.Single(engine.State.GroupStates("p90"));

        // Points are kept from when a monitor reads the series on.
        engine.Tick(engine.Now + 1_000);
        Histogram(engine, ["service:api", "host:a"], engine.Now, (0.1, 0), (1, 0), (double.PositiveInfinity, 10));
        engine.TickTo(engine.Now + 61_000);

        // Every observation above the highest finite bound: the value is that bound.
        var alert = Assert.Single(engine.Events);
        Assert.Equal(("host:a", AlertState.Alert, 1.0), (alert.GroupKey, alert.Next, alert.Value));

        // No count for ten minutes: no value, so NO DATA.
        engine.TickTo(engine.Now + 660_000);
        Assert.Equal(AlertState.NoData, engine.Events[^1].Next);
    }

    [Fact]
    public void A_drained_histogram_whose_exporter_keeps_sending_zero_deltas_goes_to_no_data()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("p90", P90, o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = 600_000;
        }));
        Histogram(engine, ["service:api", "host:a"], engine.Now, (0.1, 0), (1, 0), (double.PositiveInfinity, 10));
        engine.TickTo(engine.Now + 61_000);
        Assert.Equal(AlertState.Alert, Assert.Single(engine.Events).Next);

        // The service is drained; the exporter keeps sending its unchanged cumulative buckets (zero deltas) every 10 s.
        for (var i = 0; i < 100; i++)
        {
            engine.TickTo(engine.Now + 10_000);
            Histogram(engine, ["service:api", "host:a"], engine.Now, (0.1, 0), (1, 0), (double.PositiveInfinity, 0));
        }

        // Zero deltas are not observations: once the window holds none, the group is silent, so NO DATA.
        Assert.Equal(AlertState.NoData, engine.Events[^1].Next);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("NaN")]
    public void Only_plus_Inf_and_Inf_spell_an_infinite_bound(string le)
    {
        Assert.True(double.IsNaN(Alerting.Engine.Evaluation.PercentileEvaluator.ParseBound(le)));
        Assert.Equal(double.PositiveInfinity, Alerting.Engine.Evaluation.PercentileEvaluator.ParseBound("+Inf"));
    }

    [Theory]
    [InlineData("percentile(last_5m):p99:m{*} > 1", "evaluate_as_zero")]
    public void Evaluate_as_zero_is_refused_for_a_percentile(string query, string option)
    {
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(EngineHarness.Metric("m", query, o => o.EvaluateAsZero = true)));

        Assert.Equal("options." + option, error.Field);
    }

    [Fact]
    public void A_percentile_over_a_check_is_refused_naming_query()
    {
        var monitor = EngineHarness.Metric("m", "percentile(last_5m):p99:m{*} > 1");
        monitor.Type = "check";

        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(monitor));
        Assert.Equal("query", error.Field);
    }

    // One flush of a histogram: the delta of each bound's cumulative count, in one points entry.
    private static void Histogram(EngineHarness engine, string[] tags, long unixMs, params (double Le, double Count)[] buckets)
    {
        var batch = new PointsBatch();
        foreach (var (le, count) in buckets)
        {
            var series = new SeriesPoints
            {
                Metric = "request.latency.bucket",
                Type = SeriesType.Distribution,
                Tags = { tags, "le:" + (double.IsPositiveInfinity(le) ? "+Inf" : le.ToString("R", System.Globalization.CultureInfo.InvariantCulture)) },
            };
            series.UnixMs.Add(unixMs);
            series.Values.Add(count);
            batch.Series.Add(series);
        }

        engine.Apply(new LogEntry { Points = batch });
    }
}
