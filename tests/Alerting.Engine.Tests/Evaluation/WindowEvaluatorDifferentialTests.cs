using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>Random histories replayed into the store and into the brute-force oracle; every answer must match bit for bit.</summary>
public sealed class WindowEvaluatorDifferentialTests
{
    /// <summary>Set to a seed printed by a failure to replay only that case.</summary>
    private const int ReplaySeed = 0;

    private const int CaseCount = 1_500;

    [Fact]
    public void Evaluator_matches_brute_force_oracle_on_random_histories()
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

        // Guards against a generator that only produces empty windows.
        Assert.True(valued > evaluations / 3, $"only {valued} of {evaluations} evaluations had a value");
    }

    /// <summary>
    /// The same random histories with random <c>.as_count()</c>/<c>.as_rate()</c>, <c>.rollup()</c>
    /// and <c>.fill()</c> on series of random metric types (issue 13, items 2 and 3).
    /// </summary>
    [Fact]
    public void Evaluator_with_modifiers_matches_brute_force_oracle_on_random_histories()
    {
        var seeds = ReplaySeed != 0 ? [ReplaySeed] : Enumerable.Range(1, CaseCount).ToArray();
        var evaluations = 0;
        var valued = 0;
        foreach (var seed in seeds)
        {
            var (cases, withValue) = RunCase(seed, modifiers: true);
            evaluations += cases;
            valued += withValue;
        }

        Assert.True(valued > evaluations / 3, $"only {valued} of {evaluations} evaluations had a value");
    }

    private static SeriesModifiers RandomModifiers(Random rng, long resolutionMs, int ringLength)
    {
        var ringSeconds = (int)Math.Max(1, ringLength * resolutionMs / 1_000);
        var rollup = rng.Next(3) == 0 ? (TimeAggregation?)null : (TimeAggregation)rng.Next(6) is var m && m != TimeAggregation.Last ? m : TimeAggregation.Count;
        var fill = (FillMode)rng.Next(4);
        return new SeriesModifiers(
            (TypeConversion)rng.Next(3),
            rollup,
            rollup is null || rng.Next(3) == 0 ? 0 : rng.Next(1, ringSeconds + 1),
            fill,
            fill is FillMode.Zero or FillMode.Last && rng.Next(2) == 0 ? rng.Next(1, (2 * ringSeconds) + 1) : 0);
    }

    private static (int Evaluations, int WithValue) RunCase(int seed, bool modifiers = false)
    {
        var rng = new Random(seed);
        // 65 535 ms and narrower keep ushort offsets (65 535 the unknown sentinel), wider ones int offsets.
        long resolutionMs = rng.Next(8) switch { 0 => 7, 1 => 1_000, 2 => 5_000, 3 => 10_000, 4 => 15_000, 5 => 65_535, 6 => 65_536, _ => 900_000 };
        var retained = rng.Next(1, 13);
        var future = rng.Next(0, 3);
        var ringLength = retained + future;
        var store = new SeriesStore(new SeriesStoreOptions
        {
            ResolutionMs = resolutionMs,
            RetainedBuckets = retained,
            FutureBuckets = future,
            InitialCapacity = rng.Next(1, 4),
        });
        var oracle = new BruteForceEvaluator(resolutionMs, retained, future);
        var evaluator = new WindowEvaluator(store);

        // Small clocks put points before 1970, exercising floor division of negative times.
        var nowMs = rng.Next(2) == 0 ? rng.NextInt64(0, 3 * resolutionMs) : 1_700_000_000_000 + rng.NextInt64(0, 10_000_000);
        store.AdvanceClock(nowMs);
        oracle.AdvanceClock(nowMs);

        var group = Enumerable.Range(0, rng.Next(1, 11)).Select(_ => store.Add()).ToList();
        var outsiders = Enumerable.Range(0, rng.Next(0, 3)).Select(_ => store.Add()).ToList();
        var all = group.Concat(outsiders).ToList();
        void SetType(int series)
        {
            var type = modifiers ? (SeriesType)rng.Next(5) : SeriesType.Unspecified;
            store.SetType(series, type);
            oracle.SetType(series, type);
        }

        foreach (var series in all)
        {
            SetType(series);
        }

        var timestamps = new List<long>();
        var evaluations = 0;
        var withValue = 0;

        void Check()
        {
            var spec = RandomSpec(rng, resolutionMs, ringLength);
            var t = nowMs + rng.NextInt64(-2 * resolutionMs, 2 * resolutionMs);
            var single = rng.Next(4) == 0;
            var slots = single ? [group[0]] : group;
            var with = modifiers ? RandomModifiers(rng, resolutionMs, ringLength) : default;
            var expected = oracle.Evaluate(slots, spec, t, with);
            var actual = evaluator.Evaluate(slots.ToArray(), spec, t, with);
            var same = expected.HasValue == actual.HasValue
                && expected.FullWindow == actual.FullWindow
                && expected.PointCount == actual.PointCount
                && BitConverter.DoubleToInt64Bits(expected.Value) == BitConverter.DoubleToInt64Bits(actual.Value);
            Assert.True(same, $"seed {seed}: {spec} {with} at t={t} (clock {nowMs}, resolution {resolutionMs} ms, ring {retained}+{future}) over [{string.Join(',', slots)}]: expected {expected}, got {actual}");
            evaluations++;
            withValue += actual.HasValue ? 1 : 0;
        }

        var events = rng.Next(0, 120);
        for (var e = 0; e < events; e++)
        {
            var kind = rng.Next(100);
            if (kind < 10)
            {
                // Occasionally offer an earlier time: the clock must not move back.
                var offered = rng.Next(5) == 0 ? nowMs - rng.NextInt64(0, 2 * resolutionMs) : nowMs + rng.NextInt64(0, 3 * resolutionMs);
                store.AdvanceClock(offered);
                oracle.AdvanceClock(offered);
                nowMs = Math.Max(nowMs, offered);
            }
            else if (kind < 18)
            {
                Check();
            }
            else if (kind < 20)
            {
                // Churn: the freed slot is reused and must come back empty.
                var index = rng.Next(all.Count);
                var old = all[index];
                store.Remove(old);
                oracle.Remove(old);
                var fresh = store.Add();
                Assert.Equal(old, fresh);
                SetType(fresh);
            }
            else
            {
                var series = all[rng.Next(all.Count)];
                var ts = timestamps.Count > 0 && rng.Next(5) == 0
                    ? timestamps[rng.Next(timestamps.Count)]
                    : nowMs + rng.NextInt64(-(retained + 1) * resolutionMs, (future + 2) * resolutionMs);
                timestamps.Add(ts);
                var value = RandomValue(rng);
                var expected = oracle.Add(series, ts, value);
                var actual = store.AddPoint(series, ts, value);
                Assert.True(expected == actual, $"seed {seed}: point ({series}, {ts}, {value}) at clock {nowMs}: expected {expected}, got {actual}");
            }
        }

        for (var i = 0; i < 5; i++)
        {
            Check();
        }

        return (evaluations, withValue);
    }

    private static WindowSpec RandomSpec(Random rng, long resolutionMs, int ringLength)
    {
        // An exact window touches up to ⌈(W − 1) / r⌉ + 1 buckets (WindowRange.MaxBuckets), all in the ring.
        var windowMs = rng.Next(2) == 0 && ringLength > 1
            ? resolutionMs * rng.Next(1, ringLength)
            : rng.NextInt64(1, ((ringLength - 1) * resolutionMs) + 2);
        var space = (SpaceAggregation)rng.Next(4);
        var aggregation = (TimeAggregation)rng.Next(8);
        if (aggregation is not (TimeAggregation.Change or TimeAggregation.PctChange))
        {
            // Calendar windows: a whole number of buckets, as 1 h and 1 d are at every tier that holds them.
            return rng.Next(4) == 0
                ? WindowSpec.Current(aggregation, space, resolutionMs * rng.Next(1, ringLength + 1))
                : WindowSpec.Of(aggregation, space, windowMs);
        }

        var inner = (TimeAggregation)rng.Next(6);
        var shiftMs = rng.Next(2) == 0
            ? resolutionMs * rng.Next(1, ringLength + 1)
            : rng.NextInt64(1, (2 * ringLength * resolutionMs) + 1);
        return WindowSpec.Change(inner, space, windowMs, shiftMs, aggregation == TimeAggregation.PctChange);
    }

    private static double RandomValue(Random rng) => rng.Next(20) switch
    {
        0 => 0.0,
        1 => -0.0,
        2 => double.NaN,
        3 => double.PositiveInfinity,
        < 10 => rng.Next(-50, 51),
        _ => (rng.NextDouble() - 0.5) * 1e6,
    };
}
