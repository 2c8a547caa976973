using Alerting.Protocol.V1;
using Alerting.Server.Ingest;
using Alerting.Server.Ingest.Prometheus;
using Grpc.Core;
using Prom = Alerting.Protocol.Prometheus;

namespace Alerting.Server.Tests.Ingestion;

public sealed class RemoteWriteConverterTests
{
    internal static Prom.TimeSeries Series(string name, IEnumerable<(string Name, string Value)> labels, params (long Ms, double Value)[] samples)
    {
        var series = new Prom.TimeSeries();
        series.Labels.Add(new Prom.Label { Name = "__name__", Value = name });
        foreach (var (n, v) in labels)
        {
            series.Labels.Add(new Prom.Label { Name = n, Value = v });
        }

        foreach (var (ms, value) in samples)
        {
            series.Samples.Add(new Prom.Sample { Timestamp = ms, Value = value });
        }

        return series;
    }

    [Fact]
    public void Labels_become_tags_the_name_the_metric_and_a_gauge_keeps_its_values()
    {
        var request = new Prom.WriteRequest { Timeseries = { Series("temperature", [("instance", "127.0.0.1:9100"), ("job", "node"), ("empty", "")], (1_000, 21.5), (2_000, 22)) } };
        var write = RemoteWriteConverter.ToWriteRequest(request, new CumulativeDeltas().Begin());

        Assert.Equal(2, write.Points.Count);
        Assert.All(write.Points, p => Assert.Equal("temperature", p.Metric));
        Assert.All(write.Points, p => Assert.Equal(["instance:127.0.0.1:9100", "job:node"], p.Tags));
        Assert.All(write.Points, p => Assert.Equal(MetricType.Gauge, p.Type));
        Assert.Equal([1_000L, 2_000L], write.Points.Select(p => p.UnixMs));
        Assert.Equal([21.5, 22], write.Points.Select(p => p.Value));
    }

    [Fact]
    public void A_total_counter_becomes_deltas_of_type_count_and_histogram_parts_deltas_of_type_distribution()
    {
        var request = new Prom.WriteRequest
        {
            Timeseries =
            {
                Series("http_requests_total", [("code", "200")], (1_000, 100), (2_000, 130), (3_000, 4)),
                Series("latency_seconds_bucket", [("le", "0.5")], (1_000, 7), (2_000, 9)),
            },
        };
        var write = RemoteWriteConverter.ToWriteRequest(request, new CumulativeDeltas().Begin());

        var counter = write.Points.Where(p => p.Metric == "http_requests_total").ToList();
        Assert.Equal([30.0, 4.0], counter.Select(p => p.Value));
        Assert.Equal([2_000L, 3_000L], counter.Select(p => p.UnixMs));
        Assert.All(counter, p => Assert.Equal(MetricType.Count, p.Type));
        var bucket = Assert.Single(write.Points, p => p.Metric == "latency_seconds_bucket");
        Assert.Equal(2, bucket.Value);
        Assert.Equal(MetricType.Distribution, bucket.Type);
        Assert.Equal(["le:0.5"], bucket.Tags);
    }

    [Theory]
    [InlineData("up", MetricType.Gauge)]
    [InlineData("process_cpu_seconds_total", MetricType.Count)]
    [InlineData("rpc_duration_seconds_count", MetricType.Distribution)]
    [InlineData("rpc_duration_seconds_sum", MetricType.Distribution)]
    [InlineData("total_things", MetricType.Gauge)]
    public void The_name_decides_the_type(string metric, MetricType type) => Assert.Equal(type, RemoteWriteConverter.TypeOf(metric));

    [Fact]
    public void Staleness_markers_are_skipped()
    {
        var stale = BitConverter.UInt64BitsToDouble(RemoteWriteConverter.StaleNaNBits);
        var request = new Prom.WriteRequest { Timeseries = { Series("up", [], (1_000, 1), (2_000, stale)) } };
        var write = RemoteWriteConverter.ToWriteRequest(request, new CumulativeDeltas().Begin());
        Assert.Equal(1_000, Assert.Single(write.Points).UnixMs);
    }

    [Fact]
    public void A_series_without_a_name_is_invalid_and_named()
    {
        var series = new Prom.TimeSeries { Labels = { new Prom.Label { Name = "job", Value = "x" } }, Samples = { new Prom.Sample { Timestamp = 1, Value = 1 } } };
        var request = new Prom.WriteRequest { Timeseries = { Series("up", [], (1, 1)), series } };
        var e = Assert.Throws<RpcException>(() => RemoteWriteConverter.ToWriteRequest(request, new CumulativeDeltas().Begin()));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("timeseries[1]", e.Status.Detail, StringComparison.Ordinal);
    }
}
