using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Protocol.Log;
using CsCheck;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// Exact window edges (issue 10 item 4) against the brute-force oracle, with points crowded
/// around both edges of the window, a few milliseconds either side, in buckets of one, two and
/// more points: every answer must match bit for bit.
/// </summary>
/// <remarks>CsCheck prints the failing seed and case; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class ExactWindowPropertyTests
{
    private const long T0 = 1_700_000_000_000;

    [Fact]
    public void Evaluator_matches_the_oracle_on_points_at_the_window_edges()
    {
        var point =
            from series in Gen.Int[0, 3]
            from near in Gen.Int[0, 2]
            from delta in Gen.Long[-3, 3]
            from anywhere in Gen.Long[0, long.MaxValue / 2]
            from value in Gen.Int[-20, 20]
            select new EdgePoint(series, near, delta, anywhere, value);
        var gen =
            from resolution in Gen.OneOf(1_000L, 15_000L)
            from buckets in Gen.Int[1, 6]
            from shortBy in Gen.Long[0, 14_999]
            from after in Gen.Long[0, 30_000]
            from time in Gen.Int[0, 5]
            from space in Gen.Int[0, 3]
            from single in Gen.Bool
            from points in point.Array[1, 40]
            select new Case(resolution, Math.Max(1, (buckets * resolution) - (shortBy % resolution)), T0 + after, (TimeAggregation)time, (SpaceAggregation)space, single, points);

        gen.Sample(Run, iter: 4_000, print: c => c.ToString());
    }

    /// <summary>
    /// The same crowded edges read with <c>.rollup()</c>, <c>.fill()</c>, <c>.as_count()</c> and
    /// <c>.as_rate()</c> on series of random metric types: the intervals at the window's edges hold
    /// only the window's points (edge buckets cut as without modifiers), bit for bit with the oracle.
    /// </summary>
    [Fact]
    public void Evaluator_with_modifiers_matches_the_oracle_on_points_at_the_window_edges()
    {
        var point =
            from series in Gen.Int[0, 3]
            from near in Gen.Int[0, 2]
            from delta in Gen.Long[-3, 3]
            from anywhere in Gen.Long[0, long.MaxValue / 2]
            from value in Gen.Int[-20, 20]
            select new EdgePoint(series, near, delta, anywhere, value);
        var modifiers =
            from conversion in Gen.Int[0, 2]
            from method in Gen.Int[-1, 4]
            from rollupSeconds in Gen.Int[0, 90]
            from fill in Gen.Int[0, 3]
            from fillLimit in Gen.Int[0, 120]
            select new ModifierChoice(conversion, method, rollupSeconds, fill, fillLimit);
        var gen =
            from resolution in Gen.OneOf(1_000L, 15_000L)
            from buckets in Gen.Int[1, 6]
            from shortBy in Gen.Long[0, 14_999]
            from after in Gen.Long[0, 30_000]
            from time in Gen.Int[0, 5]
            from space in Gen.Int[0, 3]
            from single in Gen.Bool
            from points in point.Array[1, 40]
            from choice in modifiers
            from types in Gen.Int[0, 4].Array[4]
            select new Case(resolution, Math.Max(1, (buckets * resolution) - (shortBy % resolution)), T0 + after, (TimeAggregation)time, (SpaceAggregation)space, single, points, choice, types);

        gen.Sample(Run, iter: 4_000, print: c => c.ToString());
    }

    private static void Run(Case c)
    {
        var retained = (int)WindowRange.MaxBuckets(c.WindowMs, c.ResolutionMs) + 1;
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = c.ResolutionMs, RetainedBuckets = retained, FutureBuckets = 1, InitialCapacity = 4 });
        var oracle = new BruteForceEvaluator(c.ResolutionMs, retained, 1);
        store.AdvanceClock(c.EvaluationMs);
        oracle.AdvanceClock(c.EvaluationMs);
        var slots = Enumerable.Range(0, 4).Select(_ => store.Add()).ToArray();
        var startMs = c.EvaluationMs - c.WindowMs + 1;
        foreach (var p in c.Points)
        {
            // Near the start (its first instant ± 3 ms), near the end (T ± 3 ms), or anywhere from
            // one bucket before the window to one after.
            var span = c.WindowMs + (2 * c.ResolutionMs);
            var ms = p.Near switch
            {
                0 => startMs + p.Delta,
                1 => c.EvaluationMs + p.Delta,
                _ => startMs - c.ResolutionMs + (p.Anywhere % span),
            };
            Assert.Equal(oracle.Add(slots[p.Series], ms, p.Value), store.AddPoint(slots[p.Series], ms, p.Value));
        }

        if (c.Types is { } types)
        {
            for (var i = 0; i < slots.Length; i++)
            {
                store.SetType(slots[i], (SeriesType)types[i]);
                oracle.SetType(slots[i], (SeriesType)types[i]);
            }
        }

        var group = c.Single ? [slots[0]] : slots;
        var spec = WindowSpec.Of(c.Time, c.Space, c.WindowMs);
        var with = c.Modifiers?.For(c.WindowMs) ?? default;
        var expected = oracle.Evaluate(group, spec, c.EvaluationMs, with);
        var actual = new WindowEvaluator(store).Evaluate(group, spec, c.EvaluationMs, with);
        Assert.True(
            expected.HasValue == actual.HasValue
                && expected.FullWindow == actual.FullWindow
                && expected.PointCount == actual.PointCount
                && BitConverter.DoubleToInt64Bits(expected.Value) == BitConverter.DoubleToInt64Bits(actual.Value),
            $"expected {expected}, got {actual}");
    }

    private sealed record EdgePoint(int Series, int Near, long Delta, long Anywhere, double Value)
    {
        public override string ToString() => $"s{Series}:{(Near switch { 0 => "start", 1 => "end", _ => "any" })}{(Near < 2 ? Delta.ToString("+0;-0;+0", System.Globalization.CultureInfo.InvariantCulture) : "@" + Anywhere)}={Value}";
    }

    // Modifiers drawn as numbers, made valid for the case's window (a rollup interval needs a method and fits the window).
    private sealed record ModifierChoice(int Conversion, int Method, int RollupSeconds, int Fill, int FillLimitSeconds)
    {
        public SeriesModifiers For(long windowMs)
        {
            TimeAggregation? method = Method < 0 ? null : new[] { TimeAggregation.Avg, TimeAggregation.Sum, TimeAggregation.Min, TimeAggregation.Max, TimeAggregation.Count }[Method];
            var fill = (FillMode)Fill;
            return new SeriesModifiers(
                (TypeConversion)Conversion,
                method,
                method is null ? 0 : (int)Math.Min(RollupSeconds, windowMs / 1_000),
                fill,
                fill is FillMode.Zero or FillMode.Last ? FillLimitSeconds : 0);
        }
    }

    private sealed record Case(long ResolutionMs, long WindowMs, long EvaluationMs, TimeAggregation Time, SpaceAggregation Space, bool Single, EdgePoint[] Points, ModifierChoice? Modifiers = null, int[]? Types = null)
    {
        public override string ToString() =>
            $"{Time}({WindowMs} ms):{Space}{(Modifiers is null ? "" : $" {Modifiers.For(WindowMs)} types [{string.Join(',', Types ?? [])}]")} at {EvaluationMs} over {(Single ? "one series" : "four series")}, resolution {ResolutionMs} ms, points [{string.Join(", ", Points.Select(p => p.ToString()))}]";
    }
}
