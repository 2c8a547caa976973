using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// Random histories and random formulas: the formula evaluator must agree bit for bit with a
/// tree-walking model built on the brute-force oracle's bucket values (the documented definition).
/// </summary>
public sealed class FormulaEvaluatorDifferentialTests
{
    /// <summary>Set to a seed printed by a failure to replay only that case.</summary>
    private const int ReplaySeed = 0;

    private const int CaseCount = 600;

    [Fact]
    public void Formula_evaluator_matches_the_model_on_random_histories_and_formulas()
    {
        var seeds = ReplaySeed != 0 ? [ReplaySeed] : Enumerable.Range(1, CaseCount).ToArray();
        var evaluations = 0;
        var valued = 0;
        foreach (var seed in seeds)
        {
            var (cases, withValue) = RunCase(seed);
            evaluations += cases;
            valued += withValue;
        }

        // Guards against a generator that only produces empty windows or undefined formulas.
        Assert.True(valued > evaluations / 4, $"only {valued} of {evaluations} evaluations had a value");
    }

    [Fact]
    public void Error_rate_is_computed_per_bucket_and_a_bucket_missing_one_side_is_skipped()
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 10_000, RetainedBuckets = 6, FutureBuckets = 0 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(60_000);
        var errors = store.Add();
        var requests = store.Add();
        store.AddPoint(errors, 10_000, 5);
        store.AddPoint(requests, 10_000, 50);
        store.AddPoint(errors, 20_000, 1);
        store.AddPoint(requests, 20_000, 100);
        store.AddPoint(requests, 30_000, 10); // no errors point: undefined, skipped
        var query = (FormulaQuery)QueryParser.Parse("sum(last_1m):sum:errors{*} / sum:requests{*} * 100 > 5");
        var program = FormulaProgram.Compile(query);
        var spec = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 60_000);

        var result = evaluator.Evaluate(program, [[errors], [requests]], spec, 59_999);

        Assert.True(result.HasValue);
        Assert.Equal((5.0 / 50 * 100) + (1.0 / 100 * 100), result.Value);
        Assert.Equal(5, result.PointCount);

        var withDefault = (FormulaQuery)QueryParser.Parse("sum(last_1m):default_zero(sum:errors{*}) / sum:requests{*} * 100 > 5");
        var defaulted = evaluator.Evaluate(FormulaProgram.Compile(withDefault), [[errors], [requests]], spec, 59_999);
        Assert.Equal(result.Value + 0, defaulted.Value);
        Assert.False(evaluator.Evaluate(program, [[errors], []], spec, 59_999).HasValue);
    }

    [Fact]
    public void Evaluating_a_formula_allocates_nothing()
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 10_000, RetainedBuckets = 30, FutureBuckets = 1 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(300_000);
        List<int> a = [store.Add(), store.Add()];
        List<int> b = [store.Add()];
        for (var t = 0L; t < 300_000; t += 5_000)
        {
            store.AddPoint(a[0], t, t);
            store.AddPoint(a[1], t, 1);
            store.AddPoint(b[0], t, 3);
        }

        var program = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("avg(last_5m):abs(sum:a{*} - default_zero(avg:b{*})) / 2 > 1"));
        var spec = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Sum, 300_000);
        List<int>[] operands = [a, b];
        evaluator.Evaluate(program, operands, spec, 299_000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            evaluator.Evaluate(program, operands, spec, 299_000);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static (int Evaluations, int WithValue) RunCase(int seed)
    {
        var rng = new Random(seed);
        long resolutionMs = rng.Next(3) switch { 0 => 7, 1 => 1_000, _ => 10_000 };
        var retained = rng.Next(1, 10);
        var future = rng.Next(0, 3);
        var ringLength = retained + future;
        var store = new SeriesStore(new SeriesStoreOptions
        {
            ResolutionMs = resolutionMs,
            RetainedBuckets = retained,
            FutureBuckets = future,
            InitialCapacity = 2,
        });
        var oracle = new BruteForceEvaluator(resolutionMs, retained, future);
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));

        var nowMs = rng.Next(2) == 0 ? rng.NextInt64(0, 3 * resolutionMs) : 1_700_000_000_000 + rng.NextInt64(0, 10_000_000);
        store.AdvanceClock(nowMs);
        oracle.AdvanceClock(nowMs);

        var series = Enumerable.Range(0, rng.Next(1, 7)).Select(_ => store.Add()).ToList();
        var evaluations = 0;
        var withValue = 0;

        void Check()
        {
            var query = RandomFormula(rng);
            var program = FormulaProgram.Compile(query);

            // Each query reads a random subset (possibly empty, possibly shared) of the series.
            var operandSlots = query.Operands.Select(_ => series.Where(_ => rng.Next(3) != 0).ToList()).ToArray();
            var spec = RandomSpec(rng, resolutionMs, ringLength);
            var t = nowMs + rng.NextInt64(-2 * resolutionMs, 2 * resolutionMs);
            var expected = Model(query, operandSlots, spec, t, oracle);
            var actual = evaluator.Evaluate(program, operandSlots, spec, t);
            var same = expected.HasValue == actual.HasValue
                && expected.FullWindow == actual.FullWindow
                && expected.PointCount == actual.PointCount
                && BitConverter.DoubleToInt64Bits(expected.Value) == BitConverter.DoubleToInt64Bits(actual.Value);
            Assert.True(same, $"seed {seed}: {query} with {spec} at t={t} (clock {nowMs}, resolution {resolutionMs} ms, ring {retained}+{future}) over [{string.Join(" | ", operandSlots.Select(s => string.Join(',', s)))}]: expected {expected}, got {actual}");
            evaluations++;
            withValue += actual.HasValue ? 1 : 0;
        }

        var events = rng.Next(0, 80);
        for (var e = 0; e < events; e++)
        {
            var kind = rng.Next(100);
            if (kind < 10)
            {
                var offered = nowMs + rng.NextInt64(0, 3 * resolutionMs);
                store.AdvanceClock(offered);
                oracle.AdvanceClock(offered);
                nowMs = Math.Max(nowMs, offered);
            }
            else if (kind < 20)
            {
                Check();
            }
            else
            {
                var slot = series[rng.Next(series.Count)];
                var ts = nowMs + rng.NextInt64(-(retained + 1) * resolutionMs, (future + 1) * resolutionMs);
                var value = rng.Next(10) switch
                {
                    0 => 0.0,
                    1 => -rng.Next(1, 20),
                    2 => 1e300,
                    _ => rng.Next(1, 100),
                };
                Assert.Equal(oracle.Add(slot, ts, value), store.AddPoint(slot, ts, value));
            }
        }

        for (var i = 0; i < 5; i++)
        {
            Check();
        }

        return (evaluations, withValue);
    }

    private static FormulaQuery RandomFormula(Random rng)
    {
        while (true)
        {
            var operands = 0;
            var node = RandomNode(rng, rng.Next(2, 12), ref operands);
            if (operands == 0 || node is OperandNode || node.Depth > QueryLimits.MaxFormulaDepth)
            {
                continue;
            }

            return new FormulaQuery(TimeAggregation.Avg, 60_000, node, Comparator.Greater, 0);
        }
    }

    private static FormulaNode RandomNode(Random rng, int budget, ref int operands)
    {
        var choice = budget < 3 ? rng.Next(3) : rng.Next(6);
        if (choice == 2 && budget >= 2)
        {
            return new FunctionNode((FormulaFunction)rng.Next(5), RandomNode(rng, budget - 1, ref operands));
        }

        if (choice >= 3)
        {
            var leftBudget = rng.Next(1, budget - 1);
            var left = RandomNode(rng, leftBudget, ref operands);
            var right = RandomNode(rng, budget - 1 - leftBudget, ref operands);
            return new BinaryNode((FormulaOperator)rng.Next(4), left, right);
        }

        if (choice <= 1 && operands < 4)
        {
            operands++;
            return new OperandNode((SpaceAggregation)rng.Next(4), "m", [TagFilter.Any], []);
        }

        return new ConstantNode(rng.Next(4) switch { 0 => 0, 1 => -2, 2 => 0.5, _ => 100 });
    }

    private static WindowSpec RandomSpec(Random rng, long resolutionMs, int ringLength)
    {
        var windowMs = rng.Next(2) == 0
            ? resolutionMs * rng.Next(1, ringLength + 1)
            : rng.NextInt64(1, (ringLength * resolutionMs) + 1);
        var aggregation = (TimeAggregation)rng.Next(8);
        if (aggregation is not (TimeAggregation.Change or TimeAggregation.PctChange))
        {
            return rng.Next(4) == 0
                ? WindowSpec.Current(aggregation, SpaceAggregation.Sum, resolutionMs * rng.Next(1, ringLength + 1))
                : WindowSpec.Of(aggregation, SpaceAggregation.Sum, windowMs);
        }

        var shiftMs = resolutionMs * rng.Next(1, ringLength + 1);
        return WindowSpec.Change((TimeAggregation)rng.Next(6), SpaceAggregation.Sum, windowMs, shiftMs, aggregation == TimeAggregation.PctChange);
    }

    // ---- The model: the definition in words, as a tree walk over the oracle's bucket values ----

    private static EvaluationResult Model(FormulaQuery query, List<int>[] operandSlots, WindowSpec spec, long t, BruteForceEvaluator oracle)
    {
        var end = oracle.Bucket(t);
        var n = spec.IsCalendar ? end - oracle.CalendarStartBucket(spec.WindowMs, t) + 1 : oracle.Buckets(spec.WindowMs);
        var current = ModelWindow(query, operandSlots, spec.Inner, end - n + 1, end, oracle);
        if (!spec.IsChange)
        {
            return current;
        }

        var shift = oracle.Buckets(spec.ShiftMs);
        var old = ModelWindow(query, operandSlots, spec.Inner, end - shift - n + 1, end - shift, oracle);
        var full = current.FullWindow && old.FullWindow;
        if (!current.HasValue || !old.HasValue)
        {
            return new EvaluationResult(false, 0, full, current.PointCount);
        }

        var change = current.Value - old.Value;
        if (spec.Aggregation == TimeAggregation.Change)
        {
            return new EvaluationResult(true, change, full, current.PointCount);
        }

        return old.Value == 0
            ? new EvaluationResult(false, 0, full, current.PointCount)
            : new EvaluationResult(true, 100 * change / Math.Abs(old.Value), full, current.PointCount);
    }

    private static EvaluationResult ModelWindow(FormulaQuery query, List<int>[] operandSlots, TimeAggregation aggregation, long first, long last, BruteForceEvaluator oracle)
    {
        var points = operandSlots.Sum(slots => oracle.PointsIn(slots, first, last));
        var values = new List<double>();
        var oldest = false;
        for (var bucket = first; bucket <= last; bucket++)
        {
            var inputs = Enumerable.Range(0, operandSlots.Length)
                .Select(k => oracle.BucketValue(operandSlots[k], aggregation, query.Operands[k].Space, bucket))
                .ToArray();
            if (inputs.All(v => v is null))
            {
                continue;
            }

            var operand = 0;
            var value = Compute(query.Expression, inputs, ref operand);
            if (value is null)
            {
                continue;
            }

            oldest |= bucket == first;
            values.Add(value.Value);
        }

        if (values.Count == 0)
        {
            return new EvaluationResult(false, 0, oldest, points);
        }

        var result = aggregation switch
        {
            TimeAggregation.Avg => values.Aggregate((a, b) => a + b) / values.Count,
            TimeAggregation.Min => values.Aggregate(Math.Min),
            TimeAggregation.Max => values.Aggregate(Math.Max),
            TimeAggregation.Last => values[^1],
            _ => values.Aggregate((a, b) => a + b),
        };
        return new EvaluationResult(true, result, oldest, points);
    }

    // null is "undefined". Both sides are always walked so operands are met left to right.
    private static double? Compute(FormulaNode node, double?[] inputs, ref int operand)
    {
        switch (node)
        {
            case OperandNode:
                return Finite(inputs[operand++]);
            case ConstantNode constant:
                return constant.Value;
            case FunctionNode function:
                var x = Compute(function.Argument, inputs, ref operand);
                return function.Function switch
                {
                    FormulaFunction.DefaultZero => x ?? 0,
                    _ when x is null => null,
                    FormulaFunction.Negate => -x,
                    FormulaFunction.Abs => Math.Abs(x.Value),
                    FormulaFunction.Log2 => x > 0 ? Math.Log2(x.Value) : null,
                    _ => x > 0 ? Math.Log10(x.Value) : null,
                };
            case BinaryNode binary:
                var a = Compute(binary.Left, inputs, ref operand);
                var b = Compute(binary.Right, inputs, ref operand);
                if (a is null || b is null)
                {
                    return null;
                }

                return binary.Operator switch
                {
                    FormulaOperator.Add => Finite(a + b),
                    FormulaOperator.Subtract => Finite(a - b),
                    FormulaOperator.Multiply => Finite(a * b),
                    _ => b == 0 ? null : Finite(a / b),
                };
            default:
                throw new ArgumentOutOfRangeException(nameof(node));
        }
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
