namespace Alerting.Perf.Tests;

public sealed class ReportTests
{
    [Fact]
    public async Task Compare_prints_the_change_of_each_figure_in_both_runs()
    {
        var a = Path.GetTempFileName();
        var b = Path.GetTempFileName();
        try
        {
            Run("ingest", ("M1.throughput", 400_000), ("M1.ack.p99", 20), ("only.in.a", 1)).Save(a);
            Run("ingest", ("M1.throughput", 600_000), ("M1.ack.p99", 5)).Save(b);
            var output = new StringWriter();

            var exit = await PerfApp.RunAsync(["compare", a, b], output);

            var text = output.ToString();
            Assert.Equal(PerfApp.Ok, exit);
            Assert.Contains("+50.0 %", text, StringComparison.Ordinal);
            Assert.Contains("-75.0 %", text, StringComparison.Ordinal);
            Assert.DoesNotContain("only.in.a", text, StringComparison.Ordinal);
            Assert.Contains("2 figures compared", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(a);
            File.Delete(b);
        }
    }

    [Fact]
    public void Json_round_trips_figures_checks_and_machine()
    {
        var path = Path.GetTempFileName();
        try
        {
            var run = Run("latency", ("M2.p99", 12.5));
            run.Scenarios[0].Check("one transition per crossing write", false, "19 of 20");
            run.Save(path);

            var back = RunReport.Load(path);

            Assert.Equal(run.Cores, back.Cores);
            Assert.Equal(run.Commit, back.Commit);
            Assert.Equal(12.5, back.Scenarios[0].Figures[0].Value);
            Assert.False(back.Passed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Prometheus_text_sums_each_name_over_its_labels()
    {
        var parsed = MetricsClient.Parse("""
            # TYPE alerting_ingest_accepted_total counter
            alerting_ingest_accepted_total{otel_scope_name="Alerting"} 1234 1700000000000
            dotnet_gc_last_collection_heap_size_bytes{gc_heap_generation="gen0"} 10
            dotnet_gc_last_collection_heap_size_bytes{gc_heap_generation="gen2",x="a}b"} 32.5
            alerting_series 7
            """);

        Assert.Equal(1234, parsed["alerting_ingest_accepted_total"]);
        Assert.Equal(42.5, parsed["dotnet_gc_last_collection_heap_size_bytes"]);
        Assert.Equal(7, parsed["alerting_series"]);
        Assert.Equal(3, parsed.Count);
    }

    [Fact]
    public void Histogram_buckets_are_kept_per_bound_and_read_in_bound_order()
    {
        var scrape = new Scrape(MetricsClient.Parse("""
            # TYPE alerting_evaluations_lateness_milliseconds histogram
            alerting_evaluations_lateness_milliseconds_bucket{otel_scope_name="Alerting",le="+Inf"} 10
            alerting_evaluations_lateness_milliseconds_bucket{otel_scope_name="Alerting",le="10"} 4
            alerting_evaluations_lateness_milliseconds_bucket{otel_scope_name="Alerting",le="0"} 1
            alerting_evaluations_lateness_milliseconds_bucket{otel_scope_name="Alerting",le="100"} 9
            alerting_evaluations_lateness_milliseconds_sum{otel_scope_name="Alerting"} 400
            alerting_evaluations_lateness_milliseconds_count{otel_scope_name="Alerting"} 10
            """));

        var (bounds, cumulative) = scrape.Histogram(MetricsClient.Lateness);

        Assert.Equal([0.0, 10, 100], bounds);
        Assert.Equal([1.0, 4, 9, 10], cumulative);
        Assert.Equal(10, scrape["alerting_evaluations_lateness_milliseconds_count"]);
        Assert.Empty(new Scrape(MetricsClient.Parse("alerting_series 7")).Histogram(MetricsClient.Lateness).Bounds);
    }

    [Fact]
    public void Quantiles_interpolate_inside_the_bucket_as_histogram_quantile_does()
    {
        double[] bounds = [0, 10, 100];
        double[] cumulative = [1, 4, 9, 10];

        // Rank 5 of 10 is the first of 5 in (10, 100]: 10 + 90 × 1/5.
        Assert.Equal(28, Scrape.Quantile(bounds, cumulative, 0.5), 9);
        // Rank 2.5 is halfway through the 3 in (0, 10].
        Assert.Equal(5, Scrape.Quantile(bounds, cumulative, 0.25), 9);
        // Rank 9.9 falls in +Inf: the last finite bound.
        Assert.Equal(100, Scrape.Quantile(bounds, cumulative, 0.99));
        Assert.Equal(0, Scrape.Quantile(bounds, cumulative, 0.1));
        Assert.True(double.IsNaN(Scrape.Quantile(bounds, [0, 0, 0, 0], 0.5)));
    }

    [Fact]
    public void Median_of_per_second_samples()
    {
        Assert.Equal(3, Scenarios.OpenLoop.Median([5, 1, 3]));
        Assert.Equal(2.5, Scenarios.OpenLoop.Median([4, 1, 2, 3]));
        Assert.Equal(0, Scenarios.OpenLoop.Median([]));
    }

    private static RunReport Run(string scenario, params (string Id, double Value)[] figures)
    {
        var run = RunReport.Describe(["test"]);
        var result = new ScenarioResult { Scenario = scenario };
        foreach (var (id, value) in figures)
        {
            result.Add(id, id, value, "ms");
        }

        run.Scenarios.Add(result);
        return run;
    }
}
