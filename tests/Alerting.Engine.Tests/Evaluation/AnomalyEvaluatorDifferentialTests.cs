using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// anomalies(…, 'basic', k, …): the evaluator against a model that follows the documented
/// definition word for word (LINQ over the brute-force oracle's bucket values), bit for bit, on
/// random histories, formulas and arguments; and worked examples.
/// </summary>
public sealed class AnomalyEvaluatorDifferentialTests
{
    /// <summary>Set to a seed printed by a failure to replay only that case.</summary>
    private const int ReplaySeed = 0;

    private const int CaseCount = 500;

    [Fact]
    public void Anomaly_evaluator_matches_the_model_on_random_histories()
    {
        var seeds = ReplaySeed != 0 ? [ReplaySeed] : Enumerable.Range(1, CaseCount).ToArray();
        var evaluations = 0;
        var valued = 0;
        var flagged = 0;
        foreach (var seed in seeds)
        {
            var (cases, withValue, anomalous) = RunCase(seed);
            evaluations += cases;
            valued += withValue;
            flagged += anomalous;
        }

        // Guards against a generator that never judges a point, or never finds an anomaly.
        Assert.True(valued > evaluations / 4, $"only {valued} of {evaluations} evaluations had a value");
        Assert.True(flagged > valued / 10, $"only {flagged} of {valued} valued evaluations found an anomaly");
    }

    /// <summary>
    /// The same with <c>.as_count()</c>/<c>.as_rate()</c>/<c>.rollup()</c>/<c>.fill()</c> on the
    /// queries, over series of random metric types: the points are made of the formula's rollup
    /// intervals as they are made of buckets (as_count queries are not totalled first).
    /// </summary>
    [Fact]
    public void Anomaly_evaluator_over_modifiers_matches_the_model_on_random_histories()
    {
        var seeds = ReplaySeed != 0 ? [ReplaySeed] : Enumerable.Range(1, CaseCount).ToArray();
        var (evaluations, valued, flagged) = (0, 0, 0);
        foreach (var seed in seeds)
        {
            var (cases, withValue, anomalous) = RunCase(seed, modifiers: true);
            evaluations += cases;
            valued += withValue;
            flagged += anomalous;
        }

        Assert.True(valued > evaluations / 4, $"only {valued} of {evaluations} evaluations had a value");
        Assert.True(flagged > valued / 10, $"only {flagged} of {valued} valued evaluations found an anomaly");
    }

    [Fact]
    public void Over_a_rollup_the_points_are_the_rollup_intervals_and_as_count_is_not_totalled_first()
    {
        // 1 min buckets of a COUNT series alternating 4 and 6: per bucket the history swings, rolled
        // up over 2 minutes every interval counts 10. A 12 min window holds 6 intervals; the alert
        // window (2 min) is the last one, judged against the 5 before it.
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 60_000, RetainedBuckets = 13, FutureBuckets = 0 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(719_999);
        var slot = store.Add();
        store.SetType(slot, SeriesType.Count);
        for (var i = 0; i < 10; i++)
        {
            store.AddPoint(slot, i * 60_000, i % 2 == 0 ? 4 : 6);
        }

        store.AddPoint(slot, 10 * 60_000, 6);
        store.AddPoint(slot, 11 * 60_000, 5);
        var spec = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 720_000);
        EvaluationResult Evaluate(string query) =>
            evaluator.Evaluate(FormulaProgram.Compile((FormulaQuery)QueryParser.Parse($"sum(last_12m):anomalies({query}, 'basic', 1, alert_window='last_2m') >= 1")), [[slot]], spec, 719_999);

        // Rolled up: the last interval counts 11 against a flat history of 10 (σ = 0): anomalous.
        var rolled = Evaluate("sum:errors{*}.rollup(sum, 120)");
        Assert.Equal((true, 1.0, 12), (rolled.HasValue, rolled.Value, rolled.PointCount));

        // .as_count() keeps the intervals (one bucket each here): 6 and 5 stay inside the band of the
        // alternating history (5 ± 1, strict; then 5.2 ± 0.98), so neither of the alert window's two
        // points is anomalous; totalled first there would be no series left to judge.
        Assert.Equal(0.0, Evaluate("sum:errors{*}.as_count()").Value);
        Assert.Equal(1.0, Evaluate("sum:errors{*}.as_count().rollup(sum, 120)").Value);

        // .as_rate() over 2 min intervals: 12 / 120 s against 10 / 120 s.
        Assert.Equal(1.0, Evaluate("sum:errors{*}.as_rate().rollup(sum, 120)").Value);
    }

    [Theory]
    [InlineData("sum:orders{*}.rollup(sum, 300)")]
    [InlineData("sum:orders{*}.as_count().rollup(sum, 300)")]
    [InlineData("sum:orders{*}.as_count()")]
    public void A_steady_count_series_evaluated_inside_an_interval_is_not_anomalous_below(string operand)
    {
        // A COUNT series with a point of 1 every 10 s: every whole 5 minute interval counts 30. The
        // monitor evaluates 20 s after an interval's start, so the window's newest interval holds 3
        // points and its oldest 27: judged as points they would read far below the history. Only
        // whole intervals make points, so nothing is anomalous.
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 10_000, RetainedBuckets = 400, FutureBuckets = 1 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        const long t = 1_700_000_100_000 + 20_000;
        Assert.Equal(20_000, t % 300_000);
        store.AdvanceClock(t);
        var slot = store.Add();
        store.SetType(slot, SeriesType.Count);
        for (var ts = t - 3_900_000; ts <= t; ts += 10_000)
        {
            store.AddPoint(slot, ts, 1);
        }

        var program = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse($"sum(last_1h):anomalies({operand}, 'basic', 2, direction='below', alert_window='last_5m') >= 1"));
        var result = evaluator.Evaluate(program, [[slot]], WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 3_600_000), t);
        Assert.True(result.HasValue);
        Assert.Equal(0.0, result.Value);
    }

    [Fact]
    public void Evaluating_an_anomaly_query_over_modifiers_allocates_nothing()
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 60_000, RetainedBuckets = 60, FutureBuckets = 1 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(3_600_000);
        SmallIntList a = [store.Add(), store.Add()];
        store.SetType(a[0], SeriesType.Count);
        for (var t = 0L; t < 3_600_000; t += 15_000)
        {
            store.AddPoint(a[0], t, t % 7);
            store.AddPoint(a[1], t, 1);
        }

        var rolled = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("avg(last_1h):anomalies(sum:a{*}.rollup(sum, 120).fill(last) / 2, 'basic', 2, alert_window='last_15m') >= 1"));
        var counted = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("sum(last_1h):anomalies(per_second(sum:a{*}.as_count()), 'basic', 2, alert_window='last_15m', interval=120) >= 1"));
        var spec = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Sum, 3_600_000);
        SmallIntList[] operands = [a];
        void EvaluateAll()
        {
            evaluator.Evaluate(rolled, operands, spec, 3_599_000);
            evaluator.Evaluate(counted, operands, spec, 3_599_000);
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
        Assert.True(evaluator.Evaluate(rolled, operands, spec, 3_599_000).HasValue && evaluator.Evaluate(counted, operands, spec, 3_599_000).HasValue);
    }

    [Fact]
    public void A_spike_after_a_steady_history_is_anomalous_and_a_value_inside_the_band_is_not()
    {
        // 1 min buckets, a 10 min window, a 2 min alert window: history of 8 points before each.
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 60_000, RetainedBuckets = 11, FutureBuckets = 0 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(599_999);
        var slot = store.Add();
        double[] steady = [10, 12, 10, 12, 10, 12, 10, 12];
        for (var i = 0; i < steady.Length; i++)
        {
            store.AddPoint(slot, i * 60_000, steady[i]);
        }

        // History mean 11, σ 1: with k = 2 the band is [9, 13].
        store.AddPoint(slot, 8 * 60_000, 12.5); // inside
        store.AddPoint(slot, 9 * 60_000, 30); // outside (its history still has mean 11.0625)
        var query = (FormulaQuery)QueryParser.Parse("avg(last_10m):anomalies(avg:m{*}, 'basic', 2, alert_window='last_2m') >= 0.5");
        var spec = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Avg, 600_000);

        var result = evaluator.Evaluate(FormulaProgram.Compile(query), [[slot]], spec, 599_999);

        Assert.True(result.HasValue);
        Assert.Equal(0.5, result.Value);
        Assert.Equal(10, result.PointCount);
        Assert.True(result.FullWindow);

        var below = (FormulaQuery)QueryParser.Parse("avg(last_10m):anomalies(avg:m{*}, 'basic', 2, direction='below', alert_window='last_2m') >= 0.5");
        Assert.Equal(0.0, evaluator.Evaluate(FormulaProgram.Compile(below), [[slot]], spec, 599_999).Value);

        // A constant history has σ = 0: only a different value is outside the band.
        var flat = store.Add();
        for (var i = 0; i < 10; i++)
        {
            store.AddPoint(flat, i * 60_000, 5);
        }

        Assert.Equal(0.0, evaluator.Evaluate(FormulaProgram.Compile(query), [[flat]], spec, 599_999).Value);
    }

    [Fact]
    public void Interval_groups_buckets_into_points_and_count_default_zero_fills_missing_points()
    {
        // 1 min buckets, interval=120: points of two buckets; a 12 min window holds 6 points, the
        // last one (alert window 2 min) judged against the 5 before it.
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 60_000, RetainedBuckets = 13, FutureBuckets = 0 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(719_999);
        var slot = store.Add();
        for (var i = 0; i < 10; i++)
        {
            store.AddPoint(slot, i * 60_000, i % 2 == 0 ? 4 : 6); // every point is a sum of 10
        }

        store.AddPoint(slot, 10 * 60_000, 10); // the last point: 10 + nothing in its second bucket
        var spec = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 720_000);
        double Fraction(string arguments) =>
            evaluator.Evaluate(
                FormulaProgram.Compile((FormulaQuery)QueryParser.Parse($"sum(last_12m):anomalies(sum:m{{*}}, 'basic', 1, alert_window='last_2m', {arguments}) >= 1")),
                [[slot]],
                spec,
                719_999).Value;

        Assert.Equal(0.0, Fraction("interval=120"));

        // Per bucket (no interval) the last two buckets are judged: 10 is outside the band of the 4/6
        // history, and the empty bucket is not judged, or judged as 0 with count_default_zero.
        Assert.Equal(1.0, Fraction("direction='both'"));
        Assert.Equal(1.0, Fraction("count_default_zero='true'"));
        Assert.Equal(0.5, Fraction("count_default_zero='true', direction='above'"));
    }

    [Fact]
    public void Evaluating_an_anomaly_query_allocates_nothing()
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 60_000, RetainedBuckets = 60, FutureBuckets = 1 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(3_600_000);
        SmallIntList a = [store.Add(), store.Add()];
        for (var t = 0L; t < 3_600_000; t += 15_000)
        {
            store.AddPoint(a[0], t, t % 7);
            store.AddPoint(a[1], t, 1);
        }

        var program = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("avg(last_1h):anomalies(sum:a{*} / 2, 'basic', 2, alert_window='last_15m') >= 1"));
        var spec = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Sum, 3_600_000);
        SmallIntList[] operands = [a];
        evaluator.Evaluate(program, operands, spec, 3_599_000);

        // Least of a few attempts: a one-off runtime allocation (tiering, OSR) under load is not the work's.
        Assert.Equal(0, AllocationProbe.SteadyBytes(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                evaluator.Evaluate(program, operands, spec, 3_599_000);
            }
        }));
    }

    private static (int Evaluations, int WithValue, int Anomalous) RunCase(int seed, bool modifiers = false)
    {
        var rng = new Random(seed);
        long resolutionMs = rng.Next(2) == 0 ? 1_000 : 60_000;
        var retained = rng.Next(4, 41);
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
        var nowMs = 1_700_000_000_000 + rng.NextInt64(0, 10_000_000);
        store.AdvanceClock(nowMs);
        oracle.AdvanceClock(nowMs);
        var series = Enumerable.Range(0, rng.Next(1, 5)).Select(_ => store.Add()).ToList();
        if (modifiers)
        {
            foreach (var slot in series)
            {
                var type = (SeriesType)rng.Next(5);
                store.SetType(slot, type);
                oracle.SetType(slot, type);
            }
        }

        var baseline = rng.Next(1, 1_000);
        var (evaluations, withValue, anomalous) = (0, 0, 0);

        void Check()
        {
            // An exact window of b buckets' length touches b + 1 buckets (WindowRange.MaxBuckets), all in the ring.
            var windowBuckets = rng.Next(3, ringLength);
            var windowMs = windowBuckets * resolutionMs;
            if (windowMs < QueryLimits.MinWindowMs)
            {
                return;
            }

            var alertMs = rng.Next(2) == 0 ? resolutionMs * rng.Next(1, windowBuckets) : rng.NextInt64(1_000, windowMs);
            var anomaly = new AnomalySpec(
                rng.Next(4) switch { 0 => 0.5, 1 => 1, 2 => 2, _ => 3 },
                (AnomalyDirection)rng.Next(3),
                Math.Max(1_000, alertMs / 1_000 * 1_000),
                rng.Next(3) == 0 ? rng.Next(1, 4) * resolutionMs / 1_000 + rng.Next(0, 2) : 0,
                rng.Next(3) == 0);
            var expression = modifiers
                ? ModifierRows.RandomExpression(rng, (int)Math.Min(windowMs / 1_000, (rng.Next(1, 3) * resolutionMs / 1_000) + rng.Next(0, 2)))
                : rng.Next(2) == 0 ? new OperandNode((SpaceAggregation)rng.Next(4), "m", [TagFilter.Any], []) : FormulaEvaluatorDifferentialTests.RandomFormula(rng).Expression;
            var aggregation = (TimeAggregation)rng.Next(6);
            var query = new FormulaQuery(aggregation, windowMs, expression, Comparator.GreaterOrEqual, 1, anomaly: anomaly);
            var program = FormulaProgram.Compile(query);
            var operandSlots = query.Operands.Select(_ => SmallIntList.Create([.. series.Where(_ => rng.Next(4) != 0)])).ToArray();
            var spec = WindowSpec.Of(aggregation, SpaceAggregation.Sum, windowMs);
            // Inside an interval mostly, sometimes on a boundary of buckets (or of two) or just before one.
            var t = nowMs + rng.NextInt64(-resolutionMs, resolutionMs);
            t = rng.Next(4) switch
            {
                0 => t - (t % resolutionMs) + rng.Next(2) - 1,
                1 => t - (t % (2 * resolutionMs)) + rng.Next(2) - 1,
                _ => t,
            };
            var expected = Model(query, anomaly, operandSlots, t, oracle, resolutionMs);
            var actual = evaluator.Evaluate(program, operandSlots, spec, t);
            var same = expected.HasValue == actual.HasValue
                && expected.FullWindow == actual.FullWindow
                && expected.PointCount == actual.PointCount
                && (!expected.HasValue || BitConverter.DoubleToInt64Bits(expected.Value) == BitConverter.DoubleToInt64Bits(actual.Value));
            Assert.True(same, $"seed {seed}{(modifiers ? " (modifiers)" : "")}: {query} at t={t} (clock {nowMs}, resolution {resolutionMs} ms, ring {retained}+{future}) over [{string.Join(" | ", operandSlots.Select(s => string.Join(',', s)))}]: expected {expected}, got {actual}");
            evaluations++;
            withValue += actual.HasValue ? 1 : 0;
            anomalous += actual.HasValue && actual.Value > 0 ? 1 : 0;
        }

        var events = rng.Next(20, 160);
        for (var e = 0; e < events; e++)
        {
            var kind = rng.Next(100);
            if (kind < 8)
            {
                var offered = nowMs + rng.NextInt64(0, 2 * resolutionMs);
                store.AdvanceClock(offered);
                oracle.AdvanceClock(offered);
                nowMs = Math.Max(nowMs, offered);
            }
            else if (kind < 16)
            {
                Check();
            }
            else
            {
                var slot = series[rng.Next(series.Count)];
                var ts = nowMs - rng.NextInt64(0, retained * resolutionMs);
                var value = rng.Next(20) switch
                {
                    0 => baseline * 10.0,
                    1 => -baseline,
                    2 => 0.0,
                    _ => baseline + rng.Next(-3, 4),
                };
                Assert.Equal(oracle.Add(slot, ts, value), store.AddPoint(slot, ts, value));
            }
        }

        for (var i = 0; i < 5; i++)
        {
            Check();
        }

        return (evaluations, withValue, anomalous);
    }

    // ---- The model: docs/query-language.md "Anomalies", step by step ----

    private static EvaluationResult Model(FormulaQuery query, AnomalySpec anomaly, SmallIntList[] operandSlots, long t, BruteForceEvaluator oracle, long resolutionMs)
    {
        var aggregation = query.TimeAggregation;
        // The window is (t − W, t], exact to the millisecond: its buckets run from the one holding
        // its first instant to the one holding t, the oldest possibly cut by the edge.
        var startMs = t - query.WindowMs + 1;
        var end = oracle.Bucket(t);
        var first = oracle.Bucket(startMs);
        var n = (int)(end - first + 1);
        var points = operandSlots.Sum(slots => oracle.PointsIn(slots, startMs, t));

        // 1. The formula's value in each bucket of the window (null: none); with modifiers, in each
        // rollup interval, an interval standing for a bucket (as_count queries are not totalled first).
        var inputs = Enumerable.Range(0, operandSlots.Length)
            .Select(k => Enumerable.Range(0, n).Select(i => oracle.BucketValue(operandSlots[k], aggregation, query.Operands[k].Space, first + i, startMs, t)).ToArray())
            .ToArray();
        if (ModifierRows.HasModifiers(query))
        {
            (inputs, resolutionMs, _, points) = ModifierRows.Read(query, operandSlots, aggregation, startMs, t, oracle, resolutionMs, aggregatesFirst: false);
            n = inputs[0].Length;
        }

        var operand = 0;
        var formula = FormulaEvaluatorDifferentialTests.Compute(query.Expression, inputs, n, resolutionMs, ref operand);
        var buckets = Enumerable.Range(0, n).Select(i => inputs.All(row => row[i] is null) ? null : formula[i]).ToArray();
        var early = operandSlots.Any(slots => oracle.HasEarlyPoint(slots, startMs, t));
        var full = buckets[0] is not null || (early && n > 1 && buckets[1] is not null);

        // With modifiers only whole intervals make points: drop the oldest interval when it starts
        // before the window's first instant, and the newest when it ends after t.
        if (ModifierRows.HasModifiers(query))
        {
            var lead = startMs % resolutionMs != 0 ? 1 : 0;
            var trail = (t + 1) % resolutionMs != 0 ? 1 : 0;
            buckets = buckets.Skip(lead).Take(Math.Max(0, n - lead - trail)).ToArray();
            n = buckets.Length;
        }

        // 2. Points of q buckets, the newest ending with the window; leftover oldest buckets unused.
        var q = (int)Math.Max(1, (long)Math.Ceiling(anomaly.IntervalSeconds * 1_000.0 / resolutionMs));
        var count = n / q;
        var pointValues = Enumerable.Range(0, count).Select(j =>
        {
            var values = buckets.Skip(n - ((count - j) * q)).Take(q).Where(v => v is not null).Select(v => v!.Value).ToList();
            if (values.Count == 0)
            {
                return anomaly.CountDefaultZero ? 0.0 : (double?)null;
            }

            return aggregation switch
            {
                TimeAggregation.Avg => values.Aggregate((a, b) => a + b) / values.Count,
                TimeAggregation.Min => values.Aggregate(Math.Min),
                TimeAggregation.Max => values.Aggregate(Math.Max),
                TimeAggregation.Last => values[^1],
                _ => values.Aggregate((a, b) => a + b),
            };
        }).ToArray();

        // 3. The alert window's points, each against mean ± k·σ of the H points before it.
        var alert = (int)Math.Min(count, (long)Math.Ceiling(Math.Ceiling((double)anomaly.AlertWindowMs / resolutionMs) / q));
        var history = count - alert;
        var judged = 0;
        var outside = 0;
        for (var j = history; j < count; j++)
        {
            if (pointValues[j] is not { } x)
            {
                continue;
            }

            var before = pointValues.Skip(j - history).Take(history).Where(v => v is not null).Select(v => v!.Value).ToList();
            if (before.Count < 2)
            {
                continue;
            }

            var mean = before.Aggregate(0.0, (a, b) => a + b) / before.Count;
            var sigma = Math.Sqrt(before.Select(v => (v - mean) * (v - mean)).Aggregate(0.0, (a, b) => a + b) / before.Count);
            var band = anomaly.Bounds * sigma;
            judged++;
            var isOutside = anomaly.Direction switch
            {
                AnomalyDirection.Above => x > mean + band,
                AnomalyDirection.Below => x < mean - band,
                _ => x > mean + band || x < mean - band,
            };
            outside += isOutside ? 1 : 0;
        }

        return judged == 0 ? new EvaluationResult(false, 0, full, points) : new EvaluationResult(true, (double)outside / judged, full, points);
    }
}
