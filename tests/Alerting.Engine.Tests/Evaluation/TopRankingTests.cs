using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// top(): the heap of N against a full sort (the model), and the rank reducers against a model
/// over the brute-force oracle's bucket values, bit for bit.
/// </summary>
public sealed class TopRankingTests
{
    /// <summary>Set to a seed printed by a failure to replay only that case.</summary>
    private const int ReplaySeed = 0;

    [Fact]
    public void The_heap_keeps_what_a_full_sort_keeps_whatever_the_order_groups_are_offered_in()
    {
        var seeds = ReplaySeed != 0 ? [ReplaySeed] : Enumerable.Range(1, 2_000).ToArray();
        foreach (var seed in seeds)
        {
            var rng = new Random(seed);
            var groups = Enumerable.Range(0, rng.Next(0, 60))
                .Select(i => (Value: (double)rng.Next(-5, 6) * (rng.Next(4) == 0 ? 1e300 : 1), Group: new MonitorGroup($"host:h{rng.Next(1_000):D3}-{i}", [], GroupState.Create("g", 0), 0)))
                .ToList();
            var top = new TopSpec(rng.Next(1, 12), TopReducer.Mean, rng.Next(2) == 0);
            var ranking = new TopRanking(top);

            var expected = (top.Descending ? groups.OrderByDescending(g => g.Value) : groups.OrderBy(g => g.Value))
                .ThenBy(g => g.Group.Key, StringComparer.Ordinal)
                .Take(top.Limit)
                .Select(g => g.Group.Key)
                .Order(StringComparer.Ordinal)
                .ToList();
            for (var round = 0; round < 2; round++)
            {
                foreach (var (_, group) in groups)
                {
                    group.InTop = false;
                }

                ranking.Clear();
                foreach (var (value, group) in round == 0 ? groups : groups.OrderBy(_ => rng.Next()).ToList())
                {
                    ranking.Offer(value, group);
                }

                ranking.MarkKept();
                var kept = groups.Where(g => g.Group.InTop).Select(g => g.Group.Key).Order(StringComparer.Ordinal).ToList();
                Assert.True(expected.SequenceEqual(kept), $"seed {seed} (top {top.Limit}, {(top.Descending ? "desc" : "asc")}, round {round}): expected [{string.Join(", ", expected)}], kept [{string.Join(", ", kept)}]");
            }
        }
    }

    [Fact]
    public void Rank_reducers_match_the_model_on_random_histories() => RankRandomHistories(modifiers: false);

    /// <summary>
    /// The same with <c>.as_count()</c>/<c>.as_rate()</c>/<c>.rollup()</c>/<c>.fill()</c> on the
    /// queries, over series of random metric types: the rank reduces the rows the group is
    /// evaluated from (rollup intervals, or with as_count the formula of the window's totals).
    /// </summary>
    [Fact]
    public void Rank_reducers_over_modifiers_match_the_model_on_random_histories() => RankRandomHistories(modifiers: true);

    [Fact]
    public void With_as_count_a_group_ranks_by_its_total_not_by_its_mean_per_bucket()
    {
        // 10 s buckets: web-1 counts 5 errors in each of three buckets, web-2 12 in one.
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 10_000, RetainedBuckets = 7, FutureBuckets = 0 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
        store.AdvanceClock(59_999);
        var (web1, web2) = (store.Add(), store.Add());
        store.SetType(web1, SeriesType.Count);
        store.SetType(web2, SeriesType.Count);
        foreach (var t in new[] { 10_000L, 20_000, 30_000 })
        {
            store.AddPoint(web1, t, 5);
        }

        store.AddPoint(web2, 40_000, 12);
        var spec = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 60_000);
        double Rank(string query, int slot)
        {
            Assert.True(evaluator.Rank(FormulaProgram.Compile((FormulaQuery)QueryParser.Parse(query)), [[slot]], spec, 59_999, out var rank));
            return rank;
        }

        // The monitor evaluates sum(last_1m) of the counts: 15 and 12, and ranks by them.
        const string counted = "sum(last_1m):top(sum:errors{*} by {host}.as_count(), 1, 'mean', 'desc') > 10";
        Assert.Equal((15.0, 12.0), (Rank(counted, web1), Rank(counted, web2)));
        Assert.Equal(15.0 * 60, Rank(counted.Replace("'mean'", "'area'", StringComparison.Ordinal), web1));

        // Per bucket (no modifier) the mean of web-1's buckets is 5 and web-2's 12.
        const string plain = "sum(last_1m):top(sum:errors{*} by {host}, 1, 'mean', 'desc') > 10";
        Assert.Equal((5.0, 12.0), (Rank(plain, web1), Rank(plain, web2)));

        // Rolled up over 30 s, web-1 reads 10 and 5 (intervals [0, 30 s) and [30 s, 60 s)), web-2 12: max ranks web-2 first.
        const string rolled = "sum(last_1m):top(sum:errors{*} by {host}.rollup(sum, 30), 1, 'max', 'desc') > 10";
        Assert.Equal((10.0, 12.0), (Rank(rolled, web1), Rank(rolled, web2)));
        Assert.Equal((10.0 + 5) * 30, Rank(rolled.Replace("'max'", "'area'", StringComparison.Ordinal), web1));

        // as_rate divides each interval's count by its seconds: web-1 0.5/s in each of its buckets
        // (its buckets without a flush read 0/s).
        const string rate = "sum(last_1m):top(sum:errors{*} by {host}.as_rate(), 1, 'max', 'desc') > 10";
        Assert.Equal((0.5, 1.2), (Rank(rate, web1), Rank(rate, web2)));
        Assert.Equal(0.0, Rank(rate.Replace("'max'", "'min'", StringComparison.Ordinal), web1));
    }

    [Fact]
    public void Ranking_over_modifiers_allocates_nothing()
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 10_000, RetainedBuckets = 30, FutureBuckets = 1 });
        var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
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

        var spec = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Sum, 300_000);
        var rolled = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("avg(last_5m):top(per_second(sum:a{*} by {h}.rollup(sum, 60)) / avg:b{*} by {h}.fill(last, 120), 5, 'area', 'desc') > 1"));
        var counted = FormulaProgram.Compile((FormulaQuery)QueryParser.Parse("sum(last_5m):top(sum:a{*} by {h}.as_count() / sum:b{*} by {h}.as_count(), 5, 'l2norm', 'asc') > 1"));
        SmallIntList[] operands = [a, b];
        void RankAll()
        {
            evaluator.Rank(rolled, operands, spec, 299_000, out _);
            evaluator.Rank(counted, operands, spec, 299_000, out _);
        }

        RankAll();
        // Least of a few attempts: a one-off runtime allocation (tiering, OSR) under load is not the work's.
        Assert.Equal(0, AllocationProbe.SteadyBytes(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                RankAll();
            }
        }));
        Assert.True(evaluator.Rank(rolled, operands, spec, 299_000, out _) && evaluator.Rank(counted, operands, spec, 299_000, out _));
    }

    private static void RankRandomHistories(bool modifiers)
    {
        var seeds = ReplaySeed != 0 ? [ReplaySeed] : Enumerable.Range(1, 400).ToArray();
        var ranked = 0;
        foreach (var seed in seeds)
        {
            var rng = new Random(seed);
            long resolutionMs = rng.Next(2) == 0 ? 1_000 : 10_000;
            var retained = rng.Next(2, 20);
            var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = resolutionMs, RetainedBuckets = retained, FutureBuckets = 1, InitialCapacity = 2 });
            var oracle = new BruteForceEvaluator(resolutionMs, retained, 1);
            var evaluator = new FormulaEvaluator(new WindowEvaluator(store));
            var nowMs = 1_700_000_000_000 + rng.NextInt64(0, 10_000_000);
            store.AdvanceClock(nowMs);
            oracle.AdvanceClock(nowMs);
            var series = Enumerable.Range(0, rng.Next(1, 4)).Select(_ => store.Add()).ToList();
            if (modifiers)
            {
                foreach (var slot in series)
                {
                    var type = (SeriesType)rng.Next(5);
                    store.SetType(slot, type);
                    oracle.SetType(slot, type);
                }
            }
            for (var p = rng.Next(0, 60); p > 0; p--)
            {
                var slot = series[rng.Next(series.Count)];
                var ts = nowMs - rng.NextInt64(0, retained * resolutionMs);
                var value = rng.Next(10) == 0 ? -rng.Next(1, 50) : rng.Next(0, 100) + 0.25;
                Assert.Equal(oracle.Add(slot, ts, value), store.AddPoint(slot, ts, value));
            }

            for (var c = 0; c < 5; c++)
            {
                var windowMs = Math.Max(1_000, resolutionMs * rng.Next(1, retained + 1));
                var expression = modifiers
                    ? ModifierRows.RandomExpression(rng, (int)Math.Min(windowMs / 1_000, (rng.Next(1, 4) * resolutionMs / 1_000) + rng.Next(0, 2)))
                    : rng.Next(2) == 0 ? new OperandNode((SpaceAggregation)rng.Next(4), "m", [TagFilter.Any], []) : FormulaEvaluatorDifferentialTests.RandomFormula(rng).Expression;
                var aggregation = (TimeAggregation)rng.Next(6);
                var query = new FormulaQuery(aggregation, windowMs, expression, Comparator.Greater, 1, top: new TopSpec(5, (TopReducer)rng.Next(8), true));
                var operandSlots = query.Operands.Select(_ => SmallIntList.Create([.. series.Where(_ => rng.Next(4) != 0)])).ToArray();
                var t = nowMs + rng.NextInt64(-resolutionMs, resolutionMs);
                var spec = WindowSpec.Of(aggregation, SpaceAggregation.Sum, windowMs);

                var hasRank = evaluator.Rank(FormulaProgram.Compile(query), operandSlots, spec, t, out var rank);
                var expected = Model(query, operandSlots, t, oracle, resolutionMs);

                var same = hasRank == expected.HasValue && (!hasRank || BitConverter.DoubleToInt64Bits(rank) == BitConverter.DoubleToInt64Bits(expected.GetValueOrDefault()));
                Assert.True(same, $"seed {seed}{(modifiers ? " (modifiers)" : "")}: {query} at t={t}: expected {expected}, got {(hasRank ? rank : "none")}");
                ranked += hasRank ? 1 : 0;
            }
        }

        Assert.True(ranked > 500, $"only {ranked} ranks had a value");
    }

    private static double? Model(FormulaQuery query, SmallIntList[] operandSlots, long t, BruteForceEvaluator oracle, long resolutionMs)
    {
        // The window is (t − W, t], exact to the millisecond: its buckets run from the one holding
        // its first instant to the one holding t, the oldest possibly cut by the edge.
        var startMs = t - query.WindowMs + 1;
        var end = oracle.Bucket(t);
        var first = oracle.Bucket(startMs);
        var n = (int)(end - first + 1);
        var inputs = Enumerable.Range(0, operandSlots.Length)
            .Select(k => Enumerable.Range(0, n).Select(i => oracle.BucketValue(operandSlots[k], query.TimeAggregation, query.Operands[k].Space, first + i, startMs, t)).ToArray())
            .ToArray();
        var rowMs = resolutionMs;
        var rowSeconds = resolutionMs / 1_000.0;
        if (ModifierRows.HasModifiers(query))
        {
            // The rows the group is evaluated from: rollup intervals, or with as_count one row of the window's totals.
            (inputs, rowMs, rowSeconds, _) = ModifierRows.Read(query, operandSlots, query.TimeAggregation, startMs, t, oracle, resolutionMs, aggregatesFirst: true);
            n = inputs[0].Length;
        }

        var operand = 0;
        var formula = FormulaEvaluatorDifferentialTests.Compute(query.Expression, inputs, n, rowMs, ref operand);
        var values = Enumerable.Range(0, n).Where(i => inputs.Any(row => row[i] is not null) && formula[i] is not null).Select(i => formula[i]!.Value).ToList();
        if (values.Count == 0)
        {
            return null;
        }

        double Sum(IEnumerable<double> xs) => xs.Aggregate(0.0, (a, b) => a + b);
        var rank = query.Top!.Reducer switch
        {
            TopReducer.Mean => Sum(values) / values.Count,
            TopReducer.Min => values.Aggregate(Math.Min),
            TopReducer.Max => values.Aggregate(Math.Max),
            TopReducer.Sum => Sum(values),
            TopReducer.Last => values[^1],
            TopReducer.Area => Sum(values) * rowSeconds,
            _ => Math.Sqrt(Sum(values.Select(v => v * v))),
        };
        return double.IsFinite(rank) ? rank : null;
    }
}
