extern alias server;

using System.Globalization;
using Alerting.Protocol.V1;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using server::Alerting.Server.Ingest;

namespace Alerting.Benchmarks.Ingest;

/// <summary>
/// The gRPC ingest boundary for M1's request shape: a <c>WriteRequest</c> of 1 000 points, each
/// a different series of one shared metric with one host tag (what the perf harness's
/// <c>ingest</c> scenario sends). Parse of the request bytes (what gRPC does), then
/// <see cref="WriteRequestConverter.ToEntries"/> and the entry's serialization for the journal:
/// everything the server allocates per point before the state machine (which allocates nothing).
/// </summary>
[MemoryDiagnoser]
public class WriteRequestConvertBenchmarks
{
    private const int Points = 1_000;

    private byte[] _body = null!;

    [GlobalSetup]
    public void Setup()
    {
        var request = new WriteRequest { BatchId = 7, ClientId = "perf-stream-0", Sequence = 1 };
        for (var i = 0; i < Points; i++)
        {
            request.Points.Add(new Point { Metric = "perf.ingest", Tags = { "host:h" + (i * 97).ToString(CultureInfo.InvariantCulture) }, UnixMs = 1_800_000_000_000, Value = i % 100 });
        }

        _body = request.ToByteArray();
    }

    [Benchmark(OperationsPerInvoke = Points)]
    public int ParseConvertSerialize()
    {
        var request = WriteRequest.Parser.ParseFrom(_body);
        var (points, _) = WriteRequestConverter.ToEntries(request, 10_000);
        return points!.CalculateSize();
    }

    [Benchmark(OperationsPerInvoke = Points)]
    public int ParseOnly() => WriteRequest.Parser.ParseFrom(_body).Points.Count;
}
