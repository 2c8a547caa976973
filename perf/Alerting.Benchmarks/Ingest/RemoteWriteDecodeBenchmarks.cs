extern alias server;

using BenchmarkDotNet.Attributes;
using server::Alerting.Server.Ingest;
using server::Alerting.Server.Ingest.Prometheus;
using Google.Protobuf;
using Prom = Alerting.Protocol.Prometheus;

namespace Alerting.Benchmarks.Ingest;

/// <summary>
/// The ingestion boundary's cost for one Prometheus remote_write request of 2 000 samples (its
/// default <c>max_samples_per_send</c>): 200 series of 10 samples, 6 labels each, half of them
/// <c>_total</c> counters. Snappy decode + protobuf parse + conversion (with counter deltas) +
/// the common <see cref="WriteRequestConverter"/> that groups points into a log entry.
/// </summary>
[MemoryDiagnoser]
public class RemoteWriteDecodeBenchmarks
{
    private const int SeriesCount = 200;
    private const int SamplesPerSeries = 10;

    private byte[] _body = null!;

    [GlobalSetup]
    public void Setup()
    {
        var request = new Prom.WriteRequest();
        for (var s = 0; s < SeriesCount; s++)
        {
            var series = new Prom.TimeSeries();
            series.Labels.Add(new Prom.Label { Name = "__name__", Value = s % 2 == 0 ? "http_requests_total" : "node_load1" });
            series.Labels.Add(new Prom.Label { Name = "code", Value = (200 + s % 5).ToString(System.Globalization.CultureInfo.InvariantCulture) });
            series.Labels.Add(new Prom.Label { Name = "instance", Value = $"10.0.{s / 250}.{s % 250}:9100" });
            series.Labels.Add(new Prom.Label { Name = "job", Value = "node" });
            series.Labels.Add(new Prom.Label { Name = "method", Value = "GET" });
            series.Labels.Add(new Prom.Label { Name = "series", Value = s.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            for (var i = 0; i < SamplesPerSeries; i++)
            {
                series.Samples.Add(new Prom.Sample { Timestamp = 1_700_000_000_000 + (i * 15_000), Value = (s * 100) + i });
            }

            request.Timeseries.Add(series);
        }

        _body = Snappier.Snappy.CompressToArray(request.ToByteArray());
    }

    /// <summary>One request, decoded and converted into its log entry; a fresh delta table each time so counters give deltas after their first sample.</summary>
    [Benchmark(OperationsPerInvoke = SeriesCount * SamplesPerSeries)]
    public int DecodeAndConvert()
    {
        var decoded = Snappier.Snappy.DecompressToArray(_body);
        var request = Prom.WriteRequest.Parser.ParseFrom(decoded);
        var write = RemoteWriteConverter.ToWriteRequest(request, new CumulativeDeltas().Begin());
        var (points, _) = WriteRequestConverter.ToEntries(write, 10_000);
        return points!.Points.Series.Count;
    }
}
