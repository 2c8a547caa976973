using System.Runtime.Intrinsics;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Protocol.Log;
using Xunit.Abstractions;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// Random histories and random formulas: the formula evaluator must agree bit for bit with a
/// tree-walking model built on the brute-force oracle's bucket values (the documented definition).
/// </summary>
public sealed class FormulaEvaluatorDifferentialTests(ITestOutputHelper output)
{
    /// <summary>Set to a seed printed by a failure to replay only that case.</summary>
    private const int ReplaySeed = 0;

    private const int CaseCount = 600;

    private static readonly int FunctionCount = Enum.GetValues<FormulaFunction>().Length;

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
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 10_000, RetainedBuckets = 7, FutureBuckets = 0 });
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
    public void Per_second_is_the_growth_of_a_counter_per_second_with_a_reset_read_as_a_restart_from_zero()
    {
        // 10 s buckets: a counter at 100, 150, (no point), 250, then reset to 30, then 90.
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 10_000, RetainedBuckets = 7, FutureBuckets = 0 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(59_999);
        var counter = store.Add();
        store.AddPoint(counter, 0, 100);
        store.AddPoint(counter, 10_000, 150);
        store.AddPoint(counter, 30_000, 250);
        store.AddPoint(counter, 40_000, 30);
        store.AddPoint(counter, 50_000, 90);
        var spec = WindowSpec.Of(TimeAggregation.Max, SpaceAggregation.Sum, 60_000);
        double Evaluate(string function, TimeAggregation aggregation) =>
            evaluator.Evaluate(FormulaProgram.Compile((FormulaQuery)QueryParser.Parse($"max(last_1m):{function}(sum:c{{*}}) > 1")), [[counter]], WindowSpec.Of(aggregation, SpaceAggregation.Sum, 60_000), 59_999).Value;

        // Growth per bucket: 50 over 10 s, 100 over 20 s, 30 (the reset) over 10 s, 60 over 10 s.
        Assert.Equal(6.0, Evaluate("per_second", TimeAggregation.Max));
        Assert.Equal(3.0, Evaluate("per_second", TimeAggregation.Min));
        Assert.Equal((5.0 + 5 + 3 + 6) / 4, Evaluate("per_second", TimeAggregation.Avg));
        Assert.Equal(360.0, Evaluate("per_minute", TimeAggregation.Max));

        // diff keeps the fall: 50, 100, −220, 60.
        Assert.Equal(-220.0, Evaluate("diff", TimeAggregation.Min));
        Assert.Equal(50.0 + 100 - 220 + 60, Evaluate("diff", TimeAggregation.Sum));

        // One point in the window: nothing to compare it with.
        var lone = store.Add();
        store.AddPoint(lone, 50_000, 7);
        Assert.False(evaluator.Evaluate(FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("max(last_1m):per_second(sum:c{*}) > 1")), [[lone]], spec, 59_999).HasValue);
    }

    [Fact]
    public void Evaluating_a_formula_allocates_nothing()
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 10_000, RetainedBuckets = 30, FutureBuckets = 1 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(300_000);
        SmallIntList a = [store.Add(), store.Add()];
        SmallIntList b = [store.Add()];
        for (var t = 0L; t < 300_000; t += 5_000)
        {
            store.AddPoint(a[0], t, t);
            store.AddPoint(a[1], t, 1);
            store.AddPoint(b[0], t, 3);
        }

        var program = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("avg(last_5m):abs(sum:a{*} - default_zero(avg:b{*})) / 2 + per_second(sum:a{*}) - diff(avg:b{*}) > 1"));
        var spec = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Sum, 300_000);
        SmallIntList[] operands = [a, b, a, b];
        evaluator.Evaluate(program, operands, spec, 299_000);

        // Least of a few attempts: a one-off runtime allocation (tiering, OSR) under load is not the work's.
        Assert.Equal(0, AllocationProbe.SteadyBytes(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                evaluator.Evaluate(program, operands, spec, 299_000);
            }
        }));
    }

    /// <summary>
    /// Random formulas whose operands carry <c>.as_count()</c>/<c>.as_rate()</c>, <c>.rollup()</c>
    /// (one interval per formula) and <c>.fill()</c>, over series of random metric types; an
    /// operand read as_count makes the formula aggregate each operand first.
    /// </summary>
    [Fact]
    public void Formula_evaluator_with_modifiers_matches_the_model()
    {
        var evaluations = 0;
        var valued = 0;
        foreach (var seed in Enumerable.Range(1, 1_000))
        {
            var (cases, withValue) = RunCase(seed, modifiers: true);
            evaluations += cases;
            valued += withValue;
        }

        Assert.True(valued > evaluations / 4, $"only {valued} of {evaluations} evaluations had a value");
    }

    /// <summary>
    /// The paths the B5 work made for the common case (issue 13): each query reading exactly one
    /// series (a group's single-series fill, the first series of an as_count group), over rings of
    /// 8–40 buckets so that the formula's operators and rates run their 4-bucket vector loops and
    /// their scalar tails; with and without modifiers.
    /// </summary>
    [Fact]
    public void Formula_evaluator_matches_the_model_over_long_windows_of_one_series_per_query()
    {
        // Without 256-bit vectors the operators run only their scalar loops: say which ran.
        output.WriteLine(Vector256.IsHardwareAccelerated
            ? $"Vector256 is hardware accelerated: the {Vector256<double>.Count}-bucket vector loops and their scalar tails ran"
            : "Vector256 is not hardware accelerated here: only the scalar loops ran, the vector path is not covered");
        var evaluations = 0;
        var valued = 0;
        foreach (var seed in Enumerable.Range(1, 400))
        {
            var (cases, withValue) = RunCase(seed, modifiers: seed % 2 == 0, oneSeriesPerQuery: true);
            evaluations += cases;
            valued += withValue;
        }

        Assert.True(valued > evaluations / 4, $"only {valued} of {evaluations} evaluations had a value");
    }

    [Fact]
    public void Evaluating_with_rollup_fill_and_as_count_allocates_nothing()
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 10_000, RetainedBuckets = 30, FutureBuckets = 1 });
        var windows = new WindowEvaluator(store);
        var evaluator = new FormulaEvaluator(windows);
        store.AdvanceClock(300_000);
        SmallIntList a = [store.Add(), store.Add()];
        SmallIntList b = [store.Add()];
        store.SetType(a[0], SeriesType.Count);
        store.SetType(a[1], SeriesType.Rate);
        for (var t = 0L; t < 300_000; t += 25_000)
        {
            store.AddPoint(a[0], t, t);
            store.AddPoint(a[1], t, 1);
            store.AddPoint(b[0], t, 3);
        }

        var plain = (MetricQuery)QueryParser.Parse("avg(last_5m):sum:a{*}.as_rate().rollup(max,60).fill(last,120) > 1");
        var spec = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Sum, 300_000);
        var rate = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("avg(last_5m):per_second(sum:a{*}.rollup(sum,60)) / avg:b{*}.fill(zero) > 1"));
        var count = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("sum(last_5m):sum:a{*}.as_count() / sum:b{*}.as_count() > 1"));
        SmallIntList[] operands = [a, b];
        void EvaluateAll()
        {
            windows.Evaluate(a.AsSpan(), spec, 299_000, plain.Modifiers);
            evaluator.Evaluate(rate, operands, spec, 299_000);
            evaluator.Evaluate(count, operands, spec, 299_000);
        }

        EvaluateAll();
        // Least of a few attempts: a one-off runtime allocation (tiering, OSR) under load is not the work's.
        Assert.Equal(0, AllocationProbe.SteadyBytes(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                EvaluateAll();
            }
        }));
        Assert.True(windows.Evaluate(a.AsSpan(), spec, 299_000, plain.Modifiers).HasValue);
    }

    private static (int Evaluations, int WithValue) RunCase(int seed, bool modifiers = false, bool oneSeriesPerQuery = false)
    {
        var rng = new Random(seed);
        long resolutionMs = rng.Next(3) switch { 0 => 7, 1 => 1_000, _ => 10_000 };
        var retained = oneSeriesPerQuery ? rng.Next(8, 41) : rng.Next(1, 10);
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
        if (modifiers)
        {
            foreach (var slot in series)
            {
                var type = (SeriesType)rng.Next(5);
                store.SetType(slot, type);
                oracle.SetType(slot, type);
            }
        }

        var evaluations = 0;
        var withValue = 0;

        void Check()
        {
            var query = RandomFormula(rng, modifiers);
            var program = FormulaProgram.Compile(query);

            // Each query reads a random subset (possibly empty, possibly shared) of the series.
            var operandSlots = oneSeriesPerQuery
                ? query.Operands.Select(_ => SmallIntList.Create([series[rng.Next(series.Count)]])).ToArray()
                : query.Operands.Select(_ => SmallIntList.Create([.. series.Where(_ => rng.Next(3) != 0)])).ToArray();
            var spec = RandomSpec(rng, resolutionMs, ringLength);
            var t = nowMs + rng.NextInt64(-2 * resolutionMs, 2 * resolutionMs);
            var expected = Model(query, operandSlots, spec, t, oracle, resolutionMs);
            var actual = evaluator.Evaluate(program, operandSlots, spec, t);
            var same = expected.HasValue == actual.HasValue
                && expected.FullWindow == actual.FullWindow
                && expected.PointCount == actual.PointCount
                && BitConverter.DoubleToInt64Bits(expected.Value) == BitConverter.DoubleToInt64Bits(actual.Value);
            Assert.True(same, $"seed {seed}: {query} with {spec} at t={t} (clock {nowMs}, resolution {resolutionMs} ms, ring {retained}+{future}) over [{string.Join(" | ", operandSlots.Select(s => string.Join(',', s)))}]: expected {expected}, got {actual}");
            evaluations++;
            withValue += actual.HasValue ? 1 : 0;
        }

        var events = oneSeriesPerQuery ? rng.Next(0, 400) : rng.Next(0, 80);
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

    internal static FormulaQuery RandomFormula(Random rng, bool modifiers = false)
    {
        var rollupSeconds = rng.Next(3) == 0 ? 0 : rng.Next(1, 61);
        while (true)
        {
            var operands = 0;
            var node = RandomNode(rng, rng.Next(2, 12), ref operands, modifiers ? rollupSeconds : -1);
            if (operands == 0 || node is OperandNode || node.Depth > QueryLimits.MaxFormulaDepth)
            {
                continue;
            }

            return new FormulaQuery(TimeAggregation.Avg, 60_000, node, Comparator.Greater, 0);
        }
    }

    // rollupSeconds: −1 for no modifiers, else the formula's rollup interval (0: none written).
    private static FormulaNode RandomNode(Random rng, int budget, ref int operands, int rollupSeconds = -1)
    {
        var choice = budget < 3 ? rng.Next(3) : rng.Next(6);
        if (choice == 2 && budget >= 2)
        {
            return new FunctionNode((FormulaFunction)rng.Next(FunctionCount), RandomNode(rng, budget - 1, ref operands, rollupSeconds));
        }

        if (choice >= 3)
        {
            var leftBudget = rng.Next(1, budget - 1);
            var left = RandomNode(rng, leftBudget, ref operands, rollupSeconds);
            var right = RandomNode(rng, budget - 1 - leftBudget, ref operands, rollupSeconds);
            return new BinaryNode((FormulaOperator)rng.Next(4), left, right);
        }

        if (choice <= 1 && operands < 4)
        {
            operands++;
            SeriesModifiers with = default;
            if (rollupSeconds >= 0)
            {
                var method = rng.Next(3) == 0 ? (TimeAggregation?)null : new[] { TimeAggregation.Avg, TimeAggregation.Sum, TimeAggregation.Min, TimeAggregation.Max, TimeAggregation.Count }[rng.Next(5)];
                var fill = (FillMode)rng.Next(4);
                with = new SeriesModifiers(
                    rng.Next(4) == 0 ? TypeConversion.AsCount : (TypeConversion)(rng.Next(2) * 2),
                    method,
                    method is not null && rng.Next(2) == 0 ? rollupSeconds : 0,
                    fill,
                    fill is FillMode.Zero or FillMode.Last && rng.Next(2) == 0 ? rng.Next(1, 120) : 0);
            }

            return new OperandNode((SpaceAggregation)rng.Next(4), "m", [TagFilter.Any], [], with);
        }

        return new ConstantNode(rng.Next(4) switch { 0 => 0, 1 => -2, 2 => 0.5, _ => 100 });
    }

    private static WindowSpec RandomSpec(Random rng, long resolutionMs, int ringLength)
    {
        // An exact window touches up to ⌈(W − 1) / r⌉ + 1 buckets (WindowRange.MaxBuckets), all in the ring.
        var windowMs = rng.Next(2) == 0 && ringLength > 1
            ? resolutionMs * rng.Next(1, ringLength)
            : rng.NextInt64(1, ((ringLength - 1) * resolutionMs) + 2);
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

    private static EvaluationResult Model(FormulaQuery query, SmallIntList[] operandSlots, WindowSpec spec, long t, BruteForceEvaluator oracle, long resolutionMs)
    {
        var current = ModelWindow(query, operandSlots, spec.Inner, BruteForceEvaluator.StartOf(spec, t), t, oracle, resolutionMs);
        if (!spec.IsChange)
        {
            return current;
        }

        var oldEnd = t - spec.ShiftMs;
        var old = ModelWindow(query, operandSlots, spec.Inner, BruteForceEvaluator.StartOf(spec, oldEnd), oldEnd, oracle, resolutionMs);
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

    private static EvaluationResult ModelWindow(FormulaQuery query, SmallIntList[] operandSlots, TimeAggregation aggregation, long startMs, long endMs, BruteForceEvaluator oracle, long resolutionMs)
    {
        var points = operandSlots.Sum(slots => oracle.PointsIn(slots, startMs, endMs));
        var early = operandSlots.Any(slots => oracle.HasEarlyPoint(slots, startMs, endMs));
        var first = oracle.Bucket(startMs);
        var n = (int)(oracle.Bucket(endMs) - first + 1);

        // inputs[k][i]: operand k's value in the window's bucket i (null: none of its series has a point there).
        var inputs = Enumerable.Range(0, operandSlots.Length)
            .Select(k => Enumerable.Range(0, n).Select(i => oracle.BucketValue(operandSlots[k], aggregation, query.Operands[k].Space, first + i, startMs, endMs)).ToArray())
            .ToArray();
        if (query.Operands.Any(o => !o.Modifiers.IsNone))
        {
            // With modifiers: each operand per rollup interval (all share the formula's interval; the
            // window's edges cut the edge intervals); with an operand read as_count, each operand
            // reduced over the window first.
            var read = query.Operands.Select((o, k) => oracle.IntervalValues(operandSlots[k], aggregation, o.Space, o.Modifiers with { RollupSeconds = query.RollupSeconds }, startMs, endMs)).ToArray();
            points = read.Sum(r => r.Points);
            inputs = [.. read.Select(r => r.Values)];
            n = inputs[0].Length;
            resolutionMs *= oracle.IntervalBuckets(query.Operands[0].Modifiers with { RollupSeconds = query.RollupSeconds });
            if (query.Operands.Any(o => o.Modifiers.Conversion == TypeConversion.AsCount))
            {
                inputs = [.. inputs.Select(row => new[] { Fold(row, aggregation) })];
                n = 1;
            }
        }

        var operand = 0;
        var formula = Compute(query.Expression, inputs, n, resolutionMs, ref operand);

        var values = new List<double>();
        var oldest = false;
        for (var i = 0; i < n; i++)
        {
            if (inputs.All(row => row[i] is null) || formula[i] is not { } value)
            {
                continue;
            }

            // Full: a value in the oldest bucket, or in the next one with a point in the window's first r ms.
            oldest |= i == 0 || (i == 1 && early);
            values.Add(value);
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

    // The node's value in each bucket of the window; null is "undefined". Both sides are always
    // walked so operands are met left to right.
    internal static double?[] Compute(FormulaNode node, double?[][] inputs, int n, long resolutionMs, ref int operand)
    {
        switch (node)
        {
            case OperandNode:
                return [.. inputs[operand++].Select(Finite)];
            case ConstantNode constant:
                return [.. Enumerable.Repeat<double?>(constant.Value, n)];
            case FunctionNode { Function: FormulaFunction.PerSecond or FormulaFunction.PerMinute or FormulaFunction.Diff } derivative:
                return Derivative(derivative.Function, Compute(derivative.Argument, inputs, n, resolutionMs, ref operand), resolutionMs);
            case FunctionNode function:
                return [.. Compute(function.Argument, inputs, n, resolutionMs, ref operand).Select(x => function.Function switch
                {
                    FormulaFunction.DefaultZero => x ?? 0,
                    _ when x is null => null,
                    FormulaFunction.Negate => -x,
                    FormulaFunction.Abs => Math.Abs(x.Value),
                    FormulaFunction.Log2 => x > 0 ? Math.Log2(x.Value) : null,
                    _ => x > 0 ? Math.Log10(x.Value) : (double?)null,
                })];
            case BinaryNode binary:
                var left = Compute(binary.Left, inputs, n, resolutionMs, ref operand);
                var right = Compute(binary.Right, inputs, n, resolutionMs, ref operand);
                return [.. left.Zip(right, (a, b) => a is null || b is null ? null : binary.Operator switch
                {
                    FormulaOperator.Add => Finite(a + b),
                    FormulaOperator.Subtract => Finite(a - b),
                    FormulaOperator.Multiply => Finite(a * b),
                    _ => b == 0 ? null : Finite(a / b),
                })];
            default:
                throw new ArgumentOutOfRangeException(nameof(node));
        }
    }

    // Each defined bucket against the nearest earlier defined bucket p of the window: diff is the
    // difference; a rate is the growth (the new value after a fall: a counter reset, never below
    // 0) over the seconds (or minutes) between the two buckets. The first defined bucket has none.
    private static double?[] Derivative(FormulaFunction function, double?[] x, long resolutionMs)
    {
        var result = new double?[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var p = i - 1;
            while (p >= 0 && x[p] is null)
            {
                p--;
            }

            if (x[i] is not { } value || p < 0)
            {
                continue;
            }

            var before = x[p]!.Value;
            if (function == FormulaFunction.Diff)
            {
                result[i] = Finite(value - before);
                continue;
            }

            var growth = value >= before ? value - before : Math.Max(value, 0);
            var units = function == FormulaFunction.PerSecond ? resolutionMs / 1_000.0 : resolutionMs / 60_000.0;
            result[i] = Finite(growth / ((i - p) * units));
        }

        return result;
    }

    // An operand's values reduced with the time aggregation (null: none).
    private static double? Fold(double?[] row, TimeAggregation aggregation)
    {
        var values = row.Where(v => v.HasValue).Select(v => v!.Value).ToList();
        return values.Count == 0 ? null : aggregation switch
        {
            TimeAggregation.Avg => values.Aggregate((a, b) => a + b) / values.Count,
            TimeAggregation.Min => values.Aggregate(Math.Min),
            TimeAggregation.Max => values.Aggregate(Math.Max),
            TimeAggregation.Last => values[^1],
            _ => values.Aggregate((a, b) => a + b),
        };
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
