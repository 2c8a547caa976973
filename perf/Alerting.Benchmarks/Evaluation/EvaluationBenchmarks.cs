using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using BenchmarkDotNet.Attributes;

namespace Alerting.Benchmarks.Evaluation;

/// <summary>
/// B5: <c>avg(last_5m)</c> over 1 M single-series windows (bar ≥ 1 M evaluations/s), one
/// multi-alert monitor over 100 k single-series groups, and one group spanning 100 k series
/// (bar ≥ 10 M group evaluations/s). Every window is full: one point per 15 s bucket.
/// <c>SingleSeriesMonitorsWithNewestPoint</c> adds the newest-point lookup the engine makes per
/// group evaluation since the no-data clock runs from the last point.
/// </summary>
[MemoryDiagnoser]
public class EvaluationBenchmarks
{
    private const int SingleSeriesCount = 1_000_000;
    private const int GroupSeriesCount = 100_000;
    private const long T0 = 1_700_000_000_000;

    private static readonly WindowSpec AvgLast5m = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Avg, 300_000);

    private SeriesStore _store = null!;
    private WindowEvaluator _evaluator = null!;
    private int[] _groupSlots = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new SeriesStoreOptions();
        _store = new SeriesStore(new SeriesStoreOptions { InitialCapacity = SingleSeriesCount });
        _store.AdvanceClock(T0);
        for (var i = 0; i < SingleSeriesCount; i++)
        {
            var slot = _store.Add();
            for (var b = 0; b < options.RetainedBuckets; b++)
            {
                _store.AddPoint(slot, T0 - (b * options.ResolutionMs), i + b);
            }
        }

        _evaluator = new WindowEvaluator(_store);
        _groupSlots = Enumerable.Range(0, GroupSeriesCount).ToArray();
    }

    [Benchmark(OperationsPerInvoke = SingleSeriesCount)]
    public double SingleSeriesMonitors()
    {
        var sum = 0.0;
        for (var slot = 0; slot < SingleSeriesCount; slot++)
        {
            sum += _evaluator.Evaluate(slot, AvgLast5m, T0).Value;
        }

        return sum;
    }

    /// <summary>What the monitor engine does per group: the window's value and the newest point time (for the no-data clock).</summary>
    [Benchmark(OperationsPerInvoke = SingleSeriesCount)]
    public double SingleSeriesMonitorsWithNewestPoint()
    {
        var sum = 0.0;
        for (var slot = 0; slot < SingleSeriesCount; slot++)
        {
            sum += _evaluator.Evaluate(slot, AvgLast5m, T0).Value;
            sum += _evaluator.NewestPointMs(new ReadOnlySpan<int>(in slot), T0) - T0;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = GroupSeriesCount)]
    public double MultiAlertGroups()
    {
        var sum = 0.0;
        foreach (var slot in _groupSlots)
        {
            sum += _evaluator.Evaluate(slot, AvgLast5m, T0).Value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = GroupSeriesCount)]
    public double OneGroupOverAllSeries() => _evaluator.Evaluate(_groupSlots, AvgLast5m, T0).Value;
}
