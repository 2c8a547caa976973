using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.State;

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
    public void Rank_reducers_match_the_model_on_random_histories()
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
                var expression = rng.Next(2) == 0 ? new OperandNode((SpaceAggregation)rng.Next(4), "m", [TagFilter.Any], []) : FormulaEvaluatorDifferentialTests.RandomFormula(rng).Expression;
                var aggregation = (TimeAggregation)rng.Next(6);
                var query = new FormulaQuery(aggregation, windowMs, expression, Comparator.Greater, 1, top: new TopSpec(5, (TopReducer)rng.Next(8), true));
                var operandSlots = query.Operands.Select(_ => SmallIntList.Create([.. series.Where(_ => rng.Next(4) != 0)])).ToArray();
                var t = nowMs + rng.NextInt64(-resolutionMs, resolutionMs);
                var spec = WindowSpec.Of(aggregation, SpaceAggregation.Sum, windowMs);

                var hasRank = evaluator.Rank(FormulaProgram.Compile(query), operandSlots, spec, t, out var rank);
                var expected = Model(query, operandSlots, t, oracle, resolutionMs);

                var same = hasRank == expected.HasValue && (!hasRank || BitConverter.DoubleToInt64Bits(rank) == BitConverter.DoubleToInt64Bits(expected.GetValueOrDefault()));
                Assert.True(same, $"seed {seed}: {query} at t={t}: expected {expected}, got {(hasRank ? rank : "none")}");
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
        var operand = 0;
        var formula = FormulaEvaluatorDifferentialTests.Compute(query.Expression, inputs, n, resolutionMs, ref operand);
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
            TopReducer.Area => Sum(values) * (resolutionMs / 1_000.0),
            _ => Math.Sqrt(Sum(values.Select(v => v * v))),
        };
        return double.IsFinite(rank) ? rank : null;
    }
}
