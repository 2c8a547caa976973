using Alerting.Engine.Evaluation;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// <see cref="PercentileEvaluator"/>: Prometheus's histogram_quantile on known histograms, random
/// bucket histories against the brute-force oracle (raw points → percentile) bit for bit, the bound
/// cap, and 0 B per evaluation.
/// </summary>
public sealed class PercentileEvaluatorTests
{
    /// <summary>Set to a seed printed by a failure to replay only that case.</summary>
    private const int ReplaySeed = 0;

    private const int CaseCount = 1_000;

    private const long ResolutionMs = 15_000;

    private static readonly double[] Bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, double.PositiveInfinity];

    [Theory]

    // 100 observations: 50 at or below 0.1, 90 at or below 0.5, 99 at or below 1, all below +Inf.
    [InlineData(0.5, 0.1)] // rank 50 is the top of the first bucket
    [InlineData(0.25, 0.05)] // rank 25: half of [0, 0.1]
    [InlineData(0.7, 0.3)] // rank 70: 20 of the 40 in (0.1, 0.5]
    [InlineData(0.99, 1.0)] // rank 99: the top of (0.5, 1]
    [InlineData(0.995, 1.0)] // rank 99.5 falls in +Inf: the highest finite bound
    public void Interpolates_linearly_inside_the_bucket_holding_the_rank(double quantile, double expected)
    {
        double[] bounds = [0.1, 0.5, 1, double.PositiveInfinity];
        double[] counts = [50, 90, 99, 100];

        Assert.Equal(expected, PercentileEvaluator.Quantile(quantile, bounds, counts), 12);
    }

    [Fact]
    public void Without_an_inf_bucket_or_observations_or_with_one_bound_there_is_no_value()
    {
        Assert.True(double.IsNaN(PercentileEvaluator.Quantile(0.5, [0.1, 0.5], [1, 2])));
        Assert.True(double.IsNaN(PercentileEvaluator.Quantile(0.5, [0.1, double.PositiveInfinity], [0, 0])));
        Assert.True(double.IsNaN(PercentileEvaluator.Quantile(0.5, [double.PositiveInfinity], [5])));
    }

    [Fact]
    public void Counts_are_made_monotonic_and_a_first_bound_at_or_below_zero_is_the_value()
    {
        // A dip (reset between flushes) reads as the count below it, as Prometheus does.
        double[] counts = [10, 4, 20, 20];
        Assert.Equal(1.0, PercentileEvaluator.Quantile(0.5, [1, 2, 3, double.PositiveInfinity], counts));
        Assert.Equal([10, 10, 20, 20], counts);

        Assert.Equal(-1.0, PercentileEvaluator.Quantile(0.1, [-1, 0, double.PositiveInfinity], [5, 7, 10]));
    }

    [Theory]
    [InlineData(new[] { "env:prod", "le:0.25" }, 0.25)]
    [InlineData(new[] { "le:+Inf" }, double.PositiveInfinity)]
    [InlineData(new[] { "host:a", "le:1e-3" }, 0.001)]
    [InlineData(new[] { "host:a" }, double.NaN)]
    [InlineData(new[] { "le:fast" }, double.NaN)]
    [InlineData(new[] { "level:1" }, double.NaN)]
    public void The_bound_comes_from_the_le_tag(string[] tags, double expected) =>
        Assert.Equal(expected, PercentileEvaluator.BoundOf(tags));

    [Theory]
    [InlineData(new[] { "bin_le:0.25", "env:prod" }, 0.25, true)]
    [InlineData(new[] { "bin_le:0" }, 0.0, true)]
    [InlineData(new[] { "env:prod", "le:+Inf" }, double.PositiveInfinity, false)]
    [InlineData(new[] { "bin_le:slow" }, double.NaN, true)]
    [InlineData(new[] { "bin:1" }, double.NaN, false)]
    public void A_bin_series_carries_its_bound_in_the_bin_le_tag(string[] tags, double expected, bool bin)
    {
        Assert.Equal(expected, PercentileEvaluator.BoundOf(tags, out var isBin));
        Assert.Equal(bin, isBin);
    }

    [Fact]
    public void Bins_add_up_below_each_bound_so_sparse_bins_read_as_the_full_cumulative_histogram()
    {
        // Two flushes of DogStatsD bins: the first has samples in (0.5, 1] only, the second in
        // (0, 0.1] and (1, 2]; each bound missing from a flush counts nothing in that bin.
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = ResolutionMs, RetainedBuckets = 40, FutureBuckets = 4 });
        var nowMs = 1_700_000_000_000L;
        store.AdvanceClock(nowMs);
        var evaluator = new PercentileEvaluator(new WindowEvaluator(store));
        var (low, mid, high, inf) = (store.Add(), store.Add(), store.Add(), store.Add());
        store.AddPoint(mid, nowMs - 20_000, 4);
        store.AddPoint(inf, nowMs - 20_000, 4);
        store.AddPoint(low, nowMs, 2);
        store.AddPoint(high, nowMs, 4);
        store.AddPoint(inf, nowMs, 6);

        evaluator.Begin(300_000, nowMs);
        evaluator.Add(inf, double.PositiveInfinity, bin: false);
        evaluator.Add(high, 2, bin: true);
        evaluator.Add(low, 0.1, bin: true);
        evaluator.Add(mid, 1, bin: true);

        // Cumulative: 0.1 → 2, 1 → 6, 2 → 10, +Inf → 10 (le:+Inf alone). p50: rank 5, 3 of the 4 in (0.1, 1].
        var result = evaluator.Finish(0.5);
        Assert.True(result.HasValue);
        Assert.Equal(0.1 + (0.9 * 3 / 4), result.Value, 12);
    }

    [Fact]
    public void Evaluator_matches_brute_force_oracle_on_random_bucket_histories()
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

        Assert.True(valued > evaluations / 3, $"only {valued} of {evaluations} evaluations had a value");
    }

    [Fact]
    public void A_group_with_more_bounds_than_the_cap_has_no_value()
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = ResolutionMs, RetainedBuckets = 40, FutureBuckets = 4 });
        var nowMs = 1_700_000_000_000L;
        store.AdvanceClock(nowMs);
        var evaluator = new PercentileEvaluator(new WindowEvaluator(store));
        var slots = Enumerable.Range(0, PercentileEvaluator.MaxBounds + 1).Select(_ => store.Add()).ToArray();
        foreach (var slot in slots)
        {
            store.AddPoint(slot, nowMs, 1);
        }

        evaluator.Begin(300_000, nowMs);
        for (var i = 0; i < PercentileEvaluator.MaxBounds; i++)
        {
            evaluator.Add(slots[i], i == PercentileEvaluator.MaxBounds - 1 ? double.PositiveInfinity : i);
        }

        Assert.True(evaluator.Finish(0.5).HasValue);

        evaluator.Begin(300_000, nowMs);
        for (var i = 0; i <= PercentileEvaluator.MaxBounds; i++)
        {
            evaluator.Add(slots[i], i == PercentileEvaluator.MaxBounds ? double.PositiveInfinity : i);
        }

        var over = evaluator.Finish(0.5);
        Assert.False(over.HasValue);
        Assert.Equal(PercentileEvaluator.MaxBounds + 1, over.PointCount);
    }

    [Fact]
    public void An_evaluation_allocates_nothing()
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = ResolutionMs, RetainedBuckets = 40, FutureBuckets = 4 });
        var nowMs = 1_700_000_000_000L;
        store.AdvanceClock(nowMs);
        var evaluator = new PercentileEvaluator(new WindowEvaluator(store));
        var slots = Bounds.Select(_ => store.Add()).ToArray();
        for (var t = nowMs - 280_000; t <= nowMs; t += 10_000)
        {
            for (var i = 0; i < slots.Length; i++)
            {
                store.AddPoint(slots[i], t, i + 1);
            }
        }

        string[][] tags = [.. Bounds.Select(b => new[] { "host:a", "le:" + (double.IsPositiveInfinity(b) ? "+Inf" : b.ToString("R", System.Globalization.CultureInfo.InvariantCulture)) })];
        var value = 0.0;
        void Work()
        {
            for (var round = 0; round < 100; round++)
            {
                evaluator.Begin(300_000, nowMs);
                for (var i = 0; i < slots.Length; i++)
                {
                    evaluator.Add(slots[i], PercentileEvaluator.BoundOf(tags[i]));
                }

                value = evaluator.Finish(0.99).Value;
            }
        }

        Work();
        Assert.Equal(0, AllocationProbe.SteadyBytes(Work));
        Assert.True(value > 5 && value <= 10, $"p99 {value}");
    }

    private static (int Evaluations, int WithValue) RunCase(int seed)
    {
        var rng = new Random(seed);
        var retained = rng.Next(2, 30);
        var future = rng.Next(0, 3);
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = ResolutionMs, RetainedBuckets = retained, FutureBuckets = future });
        var oracle = new BruteForceEvaluator(ResolutionMs, retained, future);
        var evaluator = new PercentileEvaluator(new WindowEvaluator(store));
        var nowMs = 1_700_000_000_000 + rng.NextInt64(0, 10_000_000);
        store.AdvanceClock(nowMs);
        oracle.AdvanceClock(nowMs);

        // Two hosts' buckets at a random subset of the bounds (+Inf usually there), a series
        // without a bound now and then, in a random group order; a small cap sometimes.
        // A host is cumulative (le, OTLP/Prometheus) or, half the time, DogStatsD's bins (bin_le,
        // +Inf cumulative), and a bin series among cumulative ones (or at +Inf) now and then.
        var group = new List<int>();
        var bounds = new List<double>();
        var isBin = new List<bool>();
        foreach (var host in Enumerable.Range(0, rng.Next(1, 3)))
        {
            var binned = rng.Next(2) == 0;
            foreach (var bound in Bounds.Where(b => double.IsPositiveInfinity(b) ? rng.Next(8) != 0 : rng.Next(3) != 0))
            {
                group.Add(store.Add());
                bounds.Add(rng.Next(30) == 0 ? double.NaN : bound);
                isBin.Add(double.IsPositiveInfinity(bound) ? rng.Next(20) == 0 : binned || rng.Next(20) == 0);
            }
        }

        var order = group.Select((slot, i) => (slot, bound: bounds[i], bin: isBin[i], key: rng.Next())).OrderBy(x => x.key).ToList();
        var slots = order.Select(x => x.slot).ToArray();
        var slotBounds = order.Select(x => x.bound).ToArray();
        var slotBins = order.Select(x => x.bin).ToArray();
        var evaluations = 0;
        var withValue = 0;
        for (var step = 0; step < 40; step++)
        {
            if (rng.Next(3) == 0)
            {
                nowMs += rng.NextInt64(0, 2 * ResolutionMs);
                store.AdvanceClock(nowMs);
                oracle.AdvanceClock(nowMs);
            }

            // A flush: for each bucket series a delta of its cumulative count (0 to a few, sometimes fractional).
            var t = nowMs - rng.NextInt64(0, retained * ResolutionMs);
            foreach (var slot in slots.Where(_ => rng.Next(4) != 0))
            {
                double delta = rng.Next(10) == 0 ? rng.NextDouble() * 3 : rng.Next(0, 6);
                Assert.Equal(oracle.Add(slot, t, delta), store.AddPoint(slot, t, delta));
            }

            var windowMs = 1_000 * rng.NextInt64(1, ((retained - 1) * ResolutionMs / 1_000) + 1);
            var quantile = rng.Next(4) switch { 0 => 0.5, 1 => 0.99, 2 => 0.999, _ => rng.Next(1, 10_000) / 10_000.0 };
            var at = nowMs + rng.NextInt64(-ResolutionMs, ResolutionMs);
            var expected = oracle.Percentile(slots, slotBounds, windowMs, at, quantile, PercentileEvaluator.MaxBounds, slotBins);
            evaluator.Begin(windowMs, at);
            for (var i = 0; i < slots.Length; i++)
            {
                evaluator.Add(slots[i], slotBounds[i], slotBins[i]);
            }

            var actual = evaluator.Finish(quantile);
            var same = expected.HasValue == actual.HasValue
                && expected.FullWindow == actual.FullWindow
                && expected.PointCount == actual.PointCount
                && BitConverter.DoubleToInt64Bits(expected.Value) == BitConverter.DoubleToInt64Bits(actual.Value);
            Assert.True(same, $"seed {seed}: q={quantile} window {windowMs} ms at t={at} (clock {nowMs}, ring {retained}+{future}): expected {expected}, got {actual}");
            evaluations++;
            withValue += actual.HasValue ? 1 : 0;
        }

        return (evaluations, withValue);
    }
}
