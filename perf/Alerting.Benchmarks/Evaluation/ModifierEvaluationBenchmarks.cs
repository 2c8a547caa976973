using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Protocol.Log;
using BenchmarkDotNet.Attributes;

namespace Alerting.Benchmarks.Evaluation;

/// <summary>
/// B5 for monitors with modifiers (issue 13): 100 k groups of one COUNT series each, every 15 s
/// bucket of the 5 minute window holding a point, evaluated as a rollup monitor
/// <c>avg(last_5m):sum:requests{*} by {g}.rollup(sum, 60)</c> and as an as_count monitor
/// <c>sum(last_5m):sum:requests{*} by {g}.as_count()</c>, against the plain
/// <c>sum(last_5m):sum:requests{*} by {g}</c> over the same groups in the same run (bar ≥ 5 M group
/// evaluations/s, 0 B).
/// </summary>
[MemoryDiagnoser]
public class ModifierEvaluationBenchmarks
{
    private const int GroupCount = 100_000;
    private const long T0 = 1_700_000_000_000;

    private static readonly WindowSpec SumLast5m = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 300_000);
    private static readonly WindowSpec AvgLast5m = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Sum, 300_000);

    private WindowEvaluator _windows = null!;
    private int[] _slots = null!;
    private SeriesModifiers _rollup;
    private SeriesModifiers _asCount;

    [GlobalSetup]
    public void Setup()
    {
        var options = new SeriesStoreOptions();
        var store = new SeriesStore(new SeriesStoreOptions { InitialCapacity = GroupCount });
        store.AdvanceClock(T0);
        _slots = new int[GroupCount];
        for (var g = 0; g < GroupCount; g++)
        {
            var slot = store.Add();
            store.SetType(slot, SeriesType.Count);
            for (var b = 0; b < options.RetainedBuckets; b++)
            {
                store.AddPoint(slot, T0 - (b * options.ResolutionMs), 100 + (g % 7) + b);
            }

            _slots[g] = slot;
        }

        _windows = new WindowEvaluator(store);
        _rollup = ((MetricQuery)QueryParser.Parse("avg(last_5m):sum:requests{*} by {g}.rollup(sum, 60) > 1")).Modifiers;
        _asCount = ((MetricQuery)QueryParser.Parse("sum(last_5m):sum:requests{*} by {g}.as_count() > 1")).Modifiers;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = GroupCount)]
    public double PlainGroups()
    {
        var sum = 0.0;
        foreach (var slot in _slots)
        {
            sum += _windows.Evaluate(slot, SumLast5m, T0).Value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = GroupCount)]
    public double RollupGroups()
    {
        var sum = 0.0;
        foreach (var slot in _slots)
        {
            sum += _windows.Evaluate(new ReadOnlySpan<int>(in slot), AvgLast5m, T0, _rollup).Value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = GroupCount)]
    public double AsCountGroups()
    {
        var sum = 0.0;
        foreach (var slot in _slots)
        {
            sum += _windows.Evaluate(new ReadOnlySpan<int>(in slot), SumLast5m, T0, _asCount).Value;
        }

        return sum;
    }
}
