using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using BenchmarkDotNet.Attributes;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Benchmarks.StateMachine;

/// <summary>
/// B4 with the lookup (issue 7 item 4): the whole <c>PointsBatch</c> apply of
/// <see cref="MonitorEngine.ApplyPoints"/> (admission, finding each series by its name and
/// tags, writing its window) for 100 k known series, each read by one monitor
/// <c>avg(last_5m):avg:cpu{host:hN} &gt; 90</c> (so each has a 5-minute window), in batches of
/// 1 000 series of one point, the series in a shuffled order. Bar ≥ 5 M points/s, 0 B.
/// </summary>
[MemoryDiagnoser]
public class PointsBatchApplyBenchmarks
{
    private const int SeriesCount = 100_000;
    private const int BatchSize = 1_000;
    private const long T0 = 1_800_000_000_000;

    private readonly long[] _rejected = new long[RejectReasonNames.Count];
    private LogApplier _applier = null!;
    private PointsBatch[] _batches = null!;
    private long _index;

    [GlobalSetup]
    public void Setup()
    {
        _applier = new LogApplier(new EngineState());
        Apply(new LogEntry { Tick = new Tick { UnixMs = T0 } });
        for (var i = 0; i < SeriesCount; i++)
        {
            var monitor = new Monitor { Id = "m" + Host(i), Name = "cpu " + Host(i), Type = "metric", Query = $"avg(last_5m):avg:cpu{{host:{Host(i)}}} > 90", Options = new MonitorOptions() };
            Apply(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = monitor } });
        }

        var random = new Random(4);
        var order = Enumerable.Range(0, SeriesCount).OrderBy(_ => random.Next()).ToArray();
        _batches = new PointsBatch[SeriesCount / BatchSize];
        for (var b = 0; b < _batches.Length; b++)
        {
            _batches[b] = new PointsBatch();
            for (var i = b * BatchSize; i < (b + 1) * BatchSize; i++)
            {
                var series = new SeriesPoints { Metric = "cpu", Tags = { "env:prod", "host:" + Host(order[i]) } };
                series.UnixMs.Add(T0 - (i & 255));
                series.Values.Add(i % 100);
                _batches[b].Series.Add(series);
            }

            // The first write creates the series; the benchmark measures the writes after it.
            Apply(new LogEntry { Points = _batches[b] });
        }

        if (_applier.State.SeriesCount != SeriesCount)
        {
            throw new InvalidOperationException($"expected {SeriesCount} series, the state holds {_applier.State.SeriesCount}");
        }
    }

    [Benchmark(OperationsPerInvoke = SeriesCount)]
    public long ApplyKnownSeriesBatches()
    {
        var monitors = _applier.State.Monitors;
        foreach (var batch in _batches)
        {
            monitors.ApplyPoints(batch, ++_index, _rejected);
        }

        return _applier.State.Counters.PointsAccepted;
    }

    private static string Host(int i) => "h" + i.ToString(CultureInfo.InvariantCulture);

    private void Apply(LogEntry entry) => _applier.Apply(++_index, 1, entry);
}
