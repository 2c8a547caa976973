using Alerting.Engine;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using BenchmarkDotNet.Attributes;

namespace Alerting.Benchmarks.Evaluation;

/// <summary>
/// B5 for formula monitors: one multi-alert monitor
/// <c>sum(last_5m):sum:errors{*} by {g} / sum:requests{*} by {g} * 100</c> over 100 k groups, two
/// queries joined by group (one series each), against the plain <c>sum(last_5m):sum:errors{*} by {g}</c>
/// over the same groups in the same run (bar ≥ 5 M group evaluations/s, 0 B). Every window is
/// full: one point per 15 s bucket. And a rate monitor,
/// <c>avg(last_5m):per_second(sum:requests.total{*} by {g})</c>, over 100 k groups of one growing
/// counter each (a store of their own, laid out as the plain groups' are).
/// </summary>
[MemoryDiagnoser]
public class FormulaEvaluationBenchmarks
{
    private const int GroupCount = 100_000;
    private const long T0 = 1_700_000_000_000;

    private static readonly WindowSpec SumLast5m = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 300_000);
    private static readonly WindowSpec AvgLast5m = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Sum, 300_000);

    private WindowEvaluator _windows = null!;
    private FormulaEvaluator _formulas = null!;
    private FormulaProgram _errorRate = null!;
    private SmallIntList[][] _groups = null!;
    private FormulaEvaluator _counterFormulas = null!;
    private FormulaProgram _requestRate = null!;
    private SmallIntList[][] _counterGroups = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new SeriesStoreOptions();
        var store = new SeriesStore(new SeriesStoreOptions { InitialCapacity = 2 * GroupCount });
        store.AdvanceClock(T0);
        _groups = new SmallIntList[GroupCount][];
        for (var g = 0; g < GroupCount; g++)
        {
            var errors = store.Add();
            var requests = store.Add();
            for (var b = 0; b < options.RetainedBuckets; b++)
            {
                store.AddPoint(errors, T0 - (b * options.ResolutionMs), b % 3);
                store.AddPoint(requests, T0 - (b * options.ResolutionMs), 100 + g + b);
            }

            _groups[g] = [[errors], [requests]];
        }

        // One counter per group, growing 600 a bucket (40/s at 15 s), in a store of its own.
        var counters = new SeriesStore(new SeriesStoreOptions { InitialCapacity = GroupCount });
        counters.AdvanceClock(T0);
        _counterGroups = new SmallIntList[GroupCount][];
        for (var g = 0; g < GroupCount; g++)
        {
            var counter = counters.Add();
            for (var b = 0; b < options.RetainedBuckets; b++)
            {
                counters.AddPoint(counter, T0 - (b * options.ResolutionMs), g + ((options.RetainedBuckets - b) * 600.0));
            }

            _counterGroups[g] = [[counter]];
        }

        _counterFormulas = new FormulaEvaluator(new WindowEvaluator(counters));
        _requestRate = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse(
            "avg(last_5m):per_second(sum:requests.total{*} by {g}) > 100"));

        _windows = new WindowEvaluator(store);
        _formulas = new FormulaEvaluator(_windows);
        _errorRate = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse(
            "sum(last_5m):sum:errors{*} by {g} / sum:requests{*} by {g} * 100 > 5"));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = GroupCount)]
    public double PlainGroups()
    {
        var sum = 0.0;
        foreach (var operands in _groups)
        {
            sum += _windows.Evaluate(operands[0][0], SumLast5m, T0).Value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = GroupCount)]
    public double ErrorRateFormulaGroups()
    {
        var sum = 0.0;
        foreach (var operands in _groups)
        {
            sum += _formulas.Evaluate(_errorRate, operands, SumLast5m, T0).Value;
        }

        return sum;
    }

    /// <summary>What the engine does per formula group: the value and the newest point over both queries.</summary>
    [Benchmark(OperationsPerInvoke = GroupCount)]
    public double ErrorRateFormulaGroupsWithNewestPoint()
    {
        var sum = 0.0;
        foreach (var operands in _groups)
        {
            sum += _formulas.Evaluate(_errorRate, operands, SumLast5m, T0).Value;
            sum += _formulas.NewestPointMs(operands, T0) - T0;
        }

        return sum;
    }

    /// <summary>B5 for a rate monitor: <c>per_second</c> of one counter per group, then the window's average.</summary>
    [Benchmark(OperationsPerInvoke = GroupCount)]
    public double RequestRateGroups()
    {
        var sum = 0.0;
        foreach (var operands in _counterGroups)
        {
            sum += _counterFormulas.Evaluate(_requestRate, operands, AvgLast5m, T0).Value;
        }

        return sum;
    }
}
