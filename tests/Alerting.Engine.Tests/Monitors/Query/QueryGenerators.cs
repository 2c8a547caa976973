using System.Collections.Immutable;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using CsCheck;

namespace Alerting.Engine.Tests.Monitors.Query;

/// <summary>CsCheck generators of valid query ASTs, covering every syntax element and the edges of each limit.</summary>
internal static class QueryGenerators
{
    private const string AsciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Digits = "0123456789";

    // A few non-ASCII letters and digits: tags keep any script.
    private const string TagLetters = AsciiLetters + "éßЖλ";
    private const string TagKeyChars = TagLetters + Digits + "_-./";
    private const string TagValueChars = TagKeyChars + ":";

    private static readonly TimeAggregation[] SimpleTimeAggregations =
        [TimeAggregation.Avg, TimeAggregation.Sum, TimeAggregation.Min, TimeAggregation.Max, TimeAggregation.Last, TimeAggregation.Count];

    public static readonly Gen<string> TagKey =
        Gen.Select(Gen.Char[TagLetters], Gen.Char[TagKeyChars].Array[0, 8], (first, rest) => first + new string(rest));

    public static readonly Gen<string> TagValue = Gen.Char[TagValueChars].Array[1, 8].Select(chars => new string(chars));

    /// <summary>Suffix (<c>*-prod</c>), infix (<c>web-*-1</c>) and several-star patterns, never a plain prefix.</summary>
    public static readonly Gen<TagFilter> Wildcard = Gen.Select(
        TagKey,
        TagValue.Array[1, 3],
        Gen.Int[0, 3],
        (key, pieces, ends) => TagFilter.Wildcard(
            key,
            (ends % 2 == 1 || pieces.Length == 1 ? "*" : string.Empty) + string.Join('*', pieces) + (ends >= 2 ? "*" : string.Empty)));

    public static readonly Gen<TagFilter> Filter = Gen.OneOf(
        Gen.Select(TagKey, TagValue, TagFilter.Equal),
        Gen.Select(TagKey, TagValue, TagFilter.NotEqual),
        Gen.Select(TagKey, TagValue, TagFilter.Prefix),
        TagKey.Select(key => TagFilter.Prefix(key, string.Empty)),
        TagKey.Where(key => !TagFilter.IsOperatorWord(key)).Select(TagFilter.HasKey),
        Wildcard);

    /// <summary>
    /// A boolean scope: a random AND/OR/NOT tree over random filters, at most 4 deep and 24
    /// filters, split into the scope's conjuncts as the parser splits a top-level AND.
    /// </summary>
    public static readonly Gen<ImmutableArray<TagFilter>> BooleanScope = Gen.Select(
        Gen.Int[0, int.MaxValue],
        Filter.Array[24],
        (seed, pool) =>
        {
            var rng = new Random(seed);
            var used = 0;
            return ScopeOf(RandomScopeExpression(rng, pool, 0, ref used));
        });

    public static readonly Gen<ImmutableArray<TagFilter>> Scope = Gen.Frequency(
        (1, Gen.Const(ImmutableArray.Create(TagFilter.Any))),
        (4, Filter.Array[1, 6].Select(filters => filters.ToImmutableArray())),
        (3, BooleanScope));

    /// <summary>A check's <c>over(...)</c>: a list of filters, no boolean ones.</summary>
    public static readonly Gen<ImmutableArray<TagFilter>> OverScope = Gen.Frequency(
        (1, Gen.Const(ImmutableArray.Create(TagFilter.Any))),
        (4, Filter.Array[1, 6].Select(filters => filters.ToImmutableArray())));

    /// <summary>The scope a whole expression stands for: an AND's operands are its conjuncts, an OR or NOT is one boolean filter.</summary>
    public static ImmutableArray<TagFilter> ScopeOf(ScopeExpression expression) =>
        [.. (expression.Operator == ScopeOperator.And ? expression.Operands : [expression])
            .Select(e => e.Operator == ScopeOperator.Filter ? e.Filter! : TagFilter.Boolean(e))];

    /// <summary>A random AND/OR/NOT tree over <paramref name="pool"/>'s filters (each used at most once).</summary>
    public static ScopeExpression RandomScopeExpression(Random rng, TagFilter[] pool, int depth, ref int used)
    {
        var choice = depth >= 4 || used >= pool.Length - 3 ? 3 : rng.Next(5);
        switch (choice)
        {
            case 0:
            case 1:
                var operands = new List<ScopeExpression>();
                var count = rng.Next(2, 4);
                for (var i = 0; i < count; i++)
                {
                    operands.Add(RandomScopeExpression(rng, pool, depth + 1, ref used));
                }

                return choice == 0 ? ScopeExpression.And(operands) : ScopeExpression.Or(operands);
            case 2:
                return ScopeExpression.Not(RandomScopeExpression(rng, pool, depth + 1, ref used));
            default:
                return ScopeExpression.Of(pool[used++ % pool.Length]);
        }
    }

    public static readonly Gen<ImmutableArray<string>> GroupBy =
        TagKey.ArrayUnique[0, 4].Select(keys => keys.ToImmutableArray());

    public static readonly Gen<string> Metric = Gen.Select(
        Gen.Char[AsciiLetters],
        Gen.Char[AsciiLetters + Digits + "_."].Array[0, 24],
        (first, rest) => first + new string(rest));

    // Windows in whole units of each size, so the formatter's unit choice is exercised, plus the bounds.
    public static readonly Gen<long> WindowMs = Gen.OneOf(
        Gen.Long[1, 604_800].Select(s => s * 1_000),
        Gen.Long[1, 10_080].Select(m => m * 60_000),
        Gen.Long[1, 168].Select(h => h * 3_600_000),
        Gen.Long[1, 7].Select(d => d * 86_400_000),
        Gen.Const(QueryLimits.MinWindowMs),
        Gen.Const(QueryLimits.MaxWindowMs));

    /// <summary>
    /// Modifiers of a query whose window is <paramref name="windowMs"/>: none half of the time,
    /// otherwise any combination within the bounds (a rollup interval at most the window).
    /// </summary>
    public static Gen<SeriesModifiers> Modifiers(long windowMs) => Gen.Frequency(
        (1, Gen.Const(default(SeriesModifiers))),
        (1, Gen.Select(
            Gen.Enum<TypeConversion>(),
            Gen.OneOf(Gen.Const((TimeAggregation?)null), Gen.OneOf(TimeAggregation.Avg, TimeAggregation.Sum, TimeAggregation.Min, TimeAggregation.Max, TimeAggregation.Count).Select(a => (TimeAggregation?)a)),
            Gen.Int[0, (int)Math.Min(int.MaxValue, windowMs / 1_000)],
            Gen.Enum<FillMode>(),
            Gen.Int[0, QueryLimits.MaxFillLimitSeconds],
            (conversion, rollup, seconds, fill, limit) => new SeriesModifiers(
                conversion,
                rollup,
                rollup is null ? 0 : seconds,
                fill,
                fill is FillMode.Zero or FillMode.Last ? limit : 0))));

    public static readonly Gen<double> Threshold = Gen.OneOf(
        Gen.Int[-1_000, 1_000].Select(i => (double)i),
        Gen.Double[-1e6, 1e6],
        Gen.Double.Where(double.IsFinite),
        Gen.OneOf(0.0, -0.0, double.MaxValue, double.MinValue, double.Epsilon, 0.1));

    private static readonly Gen<(TimeAggregation Aggregation, TimeAggregation? Inner, long ShiftMs)> TimeAggregationGen = Gen.Frequency(
        (3, Gen.OneOf(SimpleTimeAggregations).Select(a => (a, (TimeAggregation?)null, 0L))),
        (1, Gen.OneOf(SimpleTimeAggregations).Select(a => (a, (TimeAggregation?)null, -1L))),
        (1, Gen.Select(
            Gen.OneOf(TimeAggregation.Change, TimeAggregation.PctChange),
            Gen.OneOf(SimpleTimeAggregations),
            WindowMs,
            (a, inner, shift) => (a, (TimeAggregation?)inner, shift))));

    public static readonly Gen<MetricQuery> MetricQueryGen = Gen.Select(
        TimeAggregationGen,
        WindowMs,
        Gen.Enum<SpaceAggregation>(),
        Metric,
        Scope,
        GroupBy,
        Gen.Enum<Comparator>(),
        Threshold,
        (time, window, space, metric, scope, groupBy, comparator, threshold) => (time, window, space, metric, scope, groupBy, comparator, threshold))
        .SelectMany(q => Modifiers(CalendarOr(q.time.ShiftMs, q.window)).Select(modifiers =>
            new MetricQuery(q.time.Aggregation, CalendarOr(q.time.ShiftMs, q.window), q.space, q.metric, q.scope, q.groupBy, q.comparator, q.threshold, q.time.Inner, Math.Max(0, q.time.ShiftMs), q.time.ShiftMs < 0, modifiers)));

    /// <summary>
    /// A formula query: a random tree of operands (all with the same group-by), constants,
    /// functions and operators, kept within the node, operand and depth limits.
    /// </summary>
    public static readonly Gen<FormulaQuery> FormulaQueryGen = Gen.Select(
        TimeAggregationGen,
        WindowMs,
        GroupBy,
        Gen.Int[0, int.MaxValue],
        Gen.Enum<Comparator>(),
        Threshold,
        (time, window, groupBy, seed, comparator, threshold) =>
        {
            var rng = new Random(seed);
            FormulaNode expression;
            do
            {
                var operands = 0;
                var windowMs = CalendarOr(time.ShiftMs, window);
                var rollupSeconds = rng.Next(3) == 0 ? 0 : (int)rng.NextInt64(1, (windowMs / 1_000) + 1);
                expression = RandomNode(rng, groupBy, rng.Next(1, QueryLimits.MaxFormulaNodes + 1), ref operands, rollupSeconds);
            }
            while (expression is OperandNode || expression.Depth > QueryLimits.MaxFormulaDepth || !HasOperand(expression));

            return new FormulaQuery(time.Aggregation, CalendarOr(time.ShiftMs, window), expression, comparator, threshold, time.Inner, Math.Max(0, time.ShiftMs), time.ShiftMs < 0);
        });

    /// <summary>
    /// <c>anomalies(formula or query, 'basic', k, …)</c>: a window of 2 to 48 h with an alert
    /// window shorter than it, every optional argument on or off, the threshold a fraction.
    /// </summary>
    public static readonly Gen<FormulaQuery> AnomalyQueryGen = Gen.Select(
        Gen.OneOf(SimpleTimeAggregations),
        Gen.Long[2, 48].Select(h => h * 3_600_000),
        FormulaQueryGen,
        Gen.Int[0, int.MaxValue],
        (aggregation, window, formula, seed) =>
        {
            var rng = new Random(seed);
            var expression = FitModifiers(rng.Next(2) == 0 ? formula.Operands[0] : formula.Expression, window);
            var anomaly = new AnomalySpec(
                rng.Next(3) switch { 0 => rng.Next(1, 6), 1 => rng.NextDouble() * 99 + 0.5, _ => AnomalySpec.MaxBounds },
                (AnomalyDirection)rng.Next(3),
                rng.Next(3) switch { 0 => 60_000L * rng.Next(1, 60), 1 => 1_000L * rng.Next(1, 3_600), _ => window - 1_000 },
                rng.Next(2) == 0 ? 0 : rng.Next(1, (int)AnomalySpec.MaxIntervalSeconds + 1),
                rng.Next(2) == 0);
            var threshold = rng.Next(3) switch { 0 => 1.0, 1 => 0.0, _ => rng.NextDouble() };
            return new FormulaQuery(aggregation, window, expression, Comparator.GreaterOrEqual, threshold, anomaly: anomaly);
        });

    /// <summary><c>top(formula or query, N, 'reducer', 'dir')</c> over a plain window.</summary>
    public static readonly Gen<FormulaQuery> TopQueryGen = Gen.Select(
        Gen.OneOf(SimpleTimeAggregations),
        WindowMs,
        FormulaQueryGen,
        Gen.Int[1, TopSpec.MaxLimit],
        Gen.Enum<TopReducer>(),
        Gen.Bool,
        Gen.Enum<Comparator>(),
        Threshold,
        (aggregation, window, formula, limit, reducer, descending, comparator, threshold) =>
        {
            var expression = FitModifiers(limit % 2 == 0 ? formula.Operands[0] : formula.Expression, window);
            return new FormulaQuery(aggregation, window, expression, comparator, threshold, top: new TopSpec(limit, reducer, descending));
        });

    // The formula was drawn for another window: its rollup interval (the same in every query that
    // writes one) is cut to fit anomalies()' or top()'s window; the other modifiers stay.
    private static FormulaNode FitModifiers(FormulaNode node, long windowMs) => node switch
    {
        OperandNode operand => new OperandNode(
            operand.Space,
            operand.Metric,
            operand.Scope,
            operand.GroupBy,
            operand.Modifiers with { RollupSeconds = (int)Math.Min(operand.Modifiers.RollupSeconds, windowMs / 1_000) }),
        FunctionNode function => new FunctionNode(function.Function, FitModifiers(function.Argument, windowMs)),
        BinaryNode binary => new BinaryNode(binary.Operator, FitModifiers(binary.Left, windowMs), FitModifiers(binary.Right, windowMs)),
        _ => node,
    };

    public static readonly Gen<string> CheckName = Gen.Select(
        Gen.Char[AsciiLetters],
        Gen.Char[AsciiLetters + Digits + "_.-"].Array[0, 24],
        (first, rest) => first + new string(rest));

    public static readonly Gen<CheckQuery> CheckQueryGen = Gen.Select(
        CheckName,
        OverScope,
        GroupBy,
        Gen.Int[1, QueryLimits.MaxCheckRuns],
        (name, over, groupBy, last) => new CheckQuery(name, over, groupBy, last));

    /// <summary>A percentile query: any percentile in hundredths (p0.01 … p99.99), never grouped by le.</summary>
    public static readonly Gen<PercentileQuery> PercentileQueryGen = Gen.Select(
        WindowMs,
        Gen.Frequency((1, Gen.OneOf(5000, 7500, 9000, 9500, 9900, 9990, 9999, 1)), (2, Gen.Int[1, PercentileQuery.HundredthsPerWhole - 1])),
        Metric,
        Scope,
        GroupBy.Where(keys => !keys.Contains(PercentileQuery.BoundTag) && !keys.Contains(PercentileQuery.BinTag)),
        Gen.Enum<Comparator>(),
        Threshold,
        (window, hundredths, metric, scope, groupBy, comparator, threshold) => new PercentileQuery(window, hundredths, metric, scope, groupBy, comparator, threshold));

    public static readonly Gen<MonitorQuery> Query = Gen.Frequency(
        (3, MetricQueryGen.Select(q => (MonitorQuery)q)),
        (1, PercentileQueryGen.Select(q => (MonitorQuery)q)),
        (2, FormulaQueryGen.Select(q => (MonitorQuery)q)),
        (1, AnomalyQueryGen.Select(q => (MonitorQuery)q)),
        (1, TopQueryGen.Select(q => (MonitorQuery)q)),
        (1, CheckQueryGen.Select(q => (MonitorQuery)q)));

    // A shift of −1 marks a calendar window (current_1h or current_1d, chosen by the window's parity).
    private static long CalendarOr(long shiftMs, long windowMs) =>
        shiftMs >= 0 ? windowMs : windowMs / 1_000 % 2 == 0 ? QueryLimits.HourMs : QueryLimits.DayMs;

    private static bool HasOperand(FormulaNode node) => node switch
    {
        OperandNode => true,
        FunctionNode f => HasOperand(f.Argument),
        BinaryNode b => HasOperand(b.Left) || HasOperand(b.Right),
        _ => false,
    };

    // A tree of at most `budget` nodes and at most MaxFormulaOperands operands.
    private static FormulaNode RandomNode(Random rng, ImmutableArray<string> groupBy, int budget, ref int operands, int rollupSeconds)
    {
        var choice = budget < 3 ? rng.Next(3) : rng.Next(5);
        if (choice == 2 && budget >= 2)
        {
            var argument = RandomNode(rng, groupBy, budget - 1, ref operands, rollupSeconds);
            return new FunctionNode((FormulaFunction)rng.Next(Enum.GetValues<FormulaFunction>().Length), argument);
        }

        if (choice >= 3)
        {
            var leftBudget = rng.Next(1, budget - 1);
            var left = RandomNode(rng, groupBy, leftBudget, ref operands, rollupSeconds);
            var right = RandomNode(rng, groupBy, budget - 1 - leftBudget, ref operands, rollupSeconds);
            return new BinaryNode((FormulaOperator)rng.Next(4), left, right);
        }

        if (choice == 0 && operands < QueryLimits.MaxFormulaOperands)
        {
            operands++;
            var metric = "m" + new string(Enumerable.Range(0, rng.Next(0, 8)).Select(_ => (AsciiLetters + Digits + "_.")[rng.Next(64)]).ToArray());
            ImmutableArray<TagFilter> scope = rng.Next(3) == 0
                ? [TagFilter.Any]
                : [.. Enumerable.Range(0, rng.Next(1, 4)).Select(i => rng.Next(3) switch
                {
                    0 => TagFilter.Equal("k" + i, "v" + rng.Next(10)),
                    1 => TagFilter.NotEqual("k" + i, "v-" + rng.Next(10)),
                    _ => TagFilter.Prefix("k" + i, "p" + rng.Next(3)),
                })];
            // Operands of one formula that write a rollup interval write the same one.
            SeriesModifiers modifiers = default;
            if (rng.Next(2) == 0)
            {
                var method = rng.Next(3) == 0 ? (TimeAggregation?)null : new[] { TimeAggregation.Avg, TimeAggregation.Sum, TimeAggregation.Min, TimeAggregation.Max, TimeAggregation.Count }[rng.Next(5)];
                var fill = (FillMode)rng.Next(4);
                modifiers = new SeriesModifiers(
                    (TypeConversion)rng.Next(3),
                    method,
                    method is not null && rng.Next(2) == 0 ? rollupSeconds : 0,
                    fill,
                    fill is FillMode.Zero or FillMode.Last && rng.Next(2) == 0 ? rng.Next(1, QueryLimits.MaxFillLimitSeconds + 1) : 0);
            }

            return new OperandNode((SpaceAggregation)rng.Next(4), metric, scope, groupBy, modifiers);
        }

        return new ConstantNode(rng.Next(4) switch
        {
            0 => rng.Next(-100, 101),
            1 => (rng.NextDouble() - 0.5) * 1e6,
            2 => BitConverter.Int64BitsToDouble(rng.NextInt64()) is var d && double.IsFinite(d) ? d : 1.5,
            _ => 0.25,
        });
    }
}
