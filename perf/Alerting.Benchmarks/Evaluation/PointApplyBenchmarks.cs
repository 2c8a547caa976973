using Alerting.Engine.Evaluation;
using BenchmarkDotNet.Attributes;

namespace Alerting.Benchmarks.Evaluation;

/// <summary>
/// B4: the state machine applying points to 100 k series windows on one thread
/// (bar ≥ 5 M points/s). Points arrive in a shuffled series order, one point per series
/// per second, with the store clock advancing each second as the tick entries would.
/// <see cref="Shuffled"/> = false applies them in slot order, the cache-friendly best case.
/// Points go through <see cref="SeriesStore.AddPoints"/> in batches of 1 000, as the state
/// machine applies a points-batch log entry.
/// </summary>
[MemoryDiagnoser]
public class PointApplyBenchmarks
{
    private const int SeriesCount = 100_000;
    private const int PointsPerInvoke = 1_000_000;
    private const long T0 = 1_700_000_000_000;
    private const int BatchSize = 1_000;

    private SeriesStore _store = null!;
    private int[] _order = null!;
    private long _nowMs;
    private long[] _times = null!;
    private double[] _values = null!;
    private PointResult[] _results = null!;

    /// <summary>Whether each round visits the series in a shuffled (cache-hostile) order.</summary>
    [Params(true, false)]
    public bool Shuffled { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _store = new SeriesStore(new SeriesStoreOptions { InitialCapacity = SeriesCount });
        for (var i = 0; i < SeriesCount; i++)
        {
            _store.Add();
        }

        var rng = new Random(4);
        _order = Shuffled
            ? Enumerable.Range(0, SeriesCount).OrderBy(_ => rng.Next()).ToArray()
            : Enumerable.Range(0, SeriesCount).ToArray();
        _times = new long[SeriesCount];
        _values = Enumerable.Range(0, SeriesCount).Select(i => (double)i).ToArray();
        _results = new PointResult[BatchSize];
        _nowMs = T0;
        _store.AdvanceClock(_nowMs);
    }

    /// <summary>Baseline in the same run: the same points through <see cref="SeriesStore.AddPoint"/> one by one.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = PointsPerInvoke)]
    public int ApplyPointsOneByOne()
    {
        var accepted = 0;
        var store = _store;
        var order = _order;
        for (var round = 0; round < PointsPerInvoke / SeriesCount; round++)
        {
            _nowMs += 1_000;
            store.AdvanceClock(_nowMs);
            for (var i = 0; i < order.Length; i++)
            {
                if (store.AddPoint(order[i], _nowMs - (i & 255), _values[i]) == PointResult.Accepted)
                {
                    accepted++;
                }
            }
        }

        return accepted;
    }

    [Benchmark(OperationsPerInvoke = PointsPerInvoke)]
    public int ApplyPointBatches()
    {
        var accepted = 0;
        var store = _store;
        for (var round = 0; round < PointsPerInvoke / SeriesCount; round++)
        {
            _nowMs += 1_000;
            store.AdvanceClock(_nowMs);
            for (var i = 0; i < _times.Length; i++)
            {
                _times[i] = _nowMs - (i & 255);
            }

            for (var start = 0; start < SeriesCount; start += BatchSize)
            {
                store.AddPoints(_order.AsSpan(start, BatchSize), _times.AsSpan(start, BatchSize), _values.AsSpan(start, BatchSize), _results);
                accepted += _results[^1] == PointResult.Accepted ? 1 : 0;
            }
        }

        return accepted;
    }
}
