using Alerting.Protocol.OpenTelemetry.Collector.Metrics.V1;
using Alerting.Protocol.OpenTelemetry.Common.V1;
using Alerting.Protocol.OpenTelemetry.Metrics.V1;
using Alerting.Protocol.OpenTelemetry.Resource.V1;
using Alerting.Protocol.V1;
using Alerting.Server.Ingest;
using Alerting.Server.Ingest.Otlp;

namespace Alerting.Server.Tests.Ingestion;

public sealed class OtlpConverterTests
{
    private const ulong Second = 1_000_000_000;

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static ExportMetricsServiceRequest Request(params Metric[] metrics)
    {
        var scope = new ScopeMetrics { Scope = new InstrumentationScope { Name = "lib", Attributes = { Attribute("team", "scope"), Attribute("lib", "x") } } };
        scope.Metrics.AddRange(metrics);
        return new ExportMetricsServiceRequest
        {
            ResourceMetrics =
            {
                new ResourceMetrics
                {
                    Resource = new Resource { Attributes = { Attribute("service.name", "api"), Attribute("team", "resource"), new KeyValue { Key = "list", Value = new AnyValue { ArrayValue = new ArrayValue() } } } },
                    ScopeMetrics = { scope },
                },
            },
        };
    }

    [Fact]
    public void Resource_scope_and_point_attributes_become_tags_the_point_winning_and_a_gauge_keeps_its_value()
    {
        var gauge = new Metric { Name = "temperature", Gauge = new Gauge { DataPoints = { new NumberDataPoint { TimeUnixNano = 5 * Second, AsDouble = 21.5, Attributes = { Attribute("team", "point"), new KeyValue { Key = "core", Value = new AnyValue { IntValue = 3 } } } } } } };
        var write = OtlpConverter.ToWriteRequest(Request(gauge), new CumulativeDeltas().Begin());

        var point = Assert.Single(write.Points);
        Assert.Equal("temperature", point.Metric);
        Assert.Equal(5_000, point.UnixMs);
        Assert.Equal(21.5, point.Value);
        Assert.Equal(MetricType.Gauge, point.Type);
        Assert.Equal(["core:3", "lib:x", "service.name:api", "team:point"], point.Tags);
    }

    [Fact]
    public void A_cumulative_monotonic_sum_becomes_count_deltas_a_new_start_time_resets_and_a_delta_sum_is_kept()
    {
        NumberDataPoint At(ulong start, ulong time, long value) => new() { StartTimeUnixNano = start, TimeUnixNano = time, AsInt = value };
        var cumulative = new Metric { Name = "requests", Sum = new Sum { AggregationTemporality = AggregationTemporality.Cumulative, IsMonotonic = true, DataPoints = { At(1, 10 * Second, 100), At(1, 20 * Second, 130), At(25 * Second, 30 * Second, 140) } } };
        var delta = new Metric { Name = "errors", Sum = new Sum { AggregationTemporality = AggregationTemporality.Delta, IsMonotonic = true, DataPoints = { At(1, 10 * Second, 7) } } };
        var upDown = new Metric { Name = "queue", Sum = new Sum { AggregationTemporality = AggregationTemporality.Cumulative, IsMonotonic = false, DataPoints = { At(1, 10 * Second, 12) } } };

        var write = OtlpConverter.ToWriteRequest(Request(cumulative, delta, upDown), new CumulativeDeltas().Begin());

        Assert.Equal([30.0, 140.0], write.Points.Where(p => p.Metric == "requests").Select(p => p.Value));
        Assert.All(write.Points.Where(p => p.Metric is "requests" or "errors"), p => Assert.Equal(MetricType.Count, p.Type));
        Assert.Equal(7, Assert.Single(write.Points, p => p.Metric == "errors").Value);
        var queue = Assert.Single(write.Points, p => p.Metric == "queue");
        Assert.Equal((12.0, MetricType.Gauge), (queue.Value, queue.Type));
    }

    [Fact]
    public void A_histogram_becomes_count_sum_and_cumulative_le_buckets_as_deltas()
    {
        HistogramDataPoint At(ulong time, ulong[] buckets, double sum)
        {
            var p = new HistogramDataPoint { StartTimeUnixNano = 1, TimeUnixNano = time, Count = (ulong)buckets.Sum(b => (long)b), Sum = sum, ExplicitBounds = { 0.1, 1 } };
            p.BucketCounts.AddRange(buckets);
            return p;
        }

        var histogram = new Metric { Name = "latency", Histogram = new Histogram { AggregationTemporality = AggregationTemporality.Cumulative, DataPoints = { At(10 * Second, [1, 2, 3], 5), At(20 * Second, [2, 2, 5], 9) } } };
        var write = OtlpConverter.ToWriteRequest(Request(histogram), new CumulativeDeltas().Begin());

        double Value(string metric, string? le = null) => Assert.Single(write.Points, p => p.Metric == metric && (le is null || p.Tags.Contains("le:" + le))).Value;
        Assert.Equal(3, Value("latency.count"));
        Assert.Equal(4, Value("latency.sum"));
        Assert.Equal(1, Value("latency.bucket", "0.1"));
        Assert.Equal(1, Value("latency.bucket", "1"));
        Assert.Equal(3, Value("latency.bucket", "+Inf"));
        Assert.All(write.Points, p => Assert.Equal(MetricType.Distribution, p.Type));
    }

    [Fact]
    public void Points_flagged_without_a_recorded_value_are_skipped()
    {
        var gauge = new Metric { Name = "g", Gauge = new Gauge { DataPoints = { new NumberDataPoint { TimeUnixNano = Second, AsDouble = 1, Flags = 1 }, new NumberDataPoint { TimeUnixNano = 2 * Second, AsDouble = 2 } } } };
        var write = OtlpConverter.ToWriteRequest(Request(gauge), new CumulativeDeltas().Begin());
        Assert.Equal(2, Assert.Single(write.Points).Value);
    }
}
