using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;

namespace Alerting.Engine.Tests.Evaluation;

public sealed class WindowEvaluatorTests
{
    private const long T0 = 1_700_000_000_000; // start of bucket k
    private const long R = 10_000;
    private const long Eval = T0 + 3_000; // inside bucket k

    private readonly SeriesStore _store;
    private readonly WindowEvaluator _evaluator;

    public WindowEvaluatorTests()
    {
        _store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = R, RetainedBuckets = 12, FutureBuckets = 1 });
        _store.AdvanceClock(Eval);
        _evaluator = new WindowEvaluator(_store);
    }

    private int Series(params (long Ms, double Value)[] points)
    {
        var slot = _store.Add();
        foreach (var (ms, value) in points)
        {
            Assert.Equal(PointResult.Accepted, _store.AddPoint(slot, ms, value));
        }

        return slot;
    }

    private EvaluationResult Eval1(int slot, TimeAggregation time, long windowMs = 3 * R) =>
        _evaluator.Evaluate(slot, WindowSpec.Of(time, SpaceAggregation.Avg, windowMs), Eval);

    private EvaluationResult EvalGroup(int[] slots, TimeAggregation time, SpaceAggregation space, long windowMs = 3 * R) =>
        _evaluator.Evaluate(slots, WindowSpec.Of(time, space, windowMs), Eval);

    [Fact]
    public void Window_is_exact_to_the_millisecond_at_both_edges()
    {
        // (Eval − 3R, Eval]: the oldest bucket is cut 3 s after its start, the newest 3 s after its start.
        var first = Series((Eval - (3 * R) + 1, 5));
        var justOut = Series((Eval - (3 * R), 5));
        var last = Series((Eval, 7));
        var after = Series((Eval + 1, 7));
        Assert.Equal(new EvaluationResult(true, 5, true, 1), Eval1(first, TimeAggregation.Sum));
        Assert.False(Eval1(justOut, TimeAggregation.Sum).HasValue);
        Assert.Equal(new EvaluationResult(true, 7, false, 1), Eval1(last, TimeAggregation.Sum));
        Assert.False(Eval1(after, TimeAggregation.Sum).HasValue);
    }

    [Fact]
    public void Points_of_the_current_bucket_after_evaluation_time_are_out()
    {
        var slot = Series((T0, 1), (T0 + R - 1, 2));
        Assert.Equal(new EvaluationResult(true, 1, false, 1), Eval1(slot, TimeAggregation.Sum));
        Assert.Equal(1, Eval1(slot, TimeAggregation.Last).Value);
        Assert.Equal(1, Eval1(slot, TimeAggregation.Count).Value);
    }

    [Fact]
    public void Window_that_is_not_a_multiple_of_the_resolution_is_exact_too()
    {
        var slot = Series((Eval - (2 * R), 5), (Eval - (2 * R) - 1, 100));
        Assert.Equal(5, Eval1(slot, TimeAggregation.Sum, windowMs: (2 * R) + 1).Value);
        Assert.False(Eval1(slot, TimeAggregation.Sum, windowMs: 2 * R).HasValue);
        Assert.Equal(105, Eval1(slot, TimeAggregation.Sum, windowMs: (2 * R) + 2).Value);
    }

    [Fact]
    public void A_two_point_bucket_cut_by_an_edge_counts_only_its_point_inside()
    {
        // Both points in the oldest bucket, one on each side of the window's start.
        var slot = Series((Eval - (3 * R), -4), (Eval - (3 * R) + 1, 9));
        Assert.Equal(new EvaluationResult(true, 9, true, 1), Eval1(slot, TimeAggregation.Min));
        Assert.Equal(9, Eval1(slot, TimeAggregation.Avg).Value);
        Assert.Equal(1, Eval1(slot, TimeAggregation.Count).Value);

        // Arrival order does not matter: the later point arrives first here.
        var reversed = Series((Eval - (3 * R) + 1, 9), (Eval - (3 * R), -4));
        Assert.Equal(9, Eval1(reversed, TimeAggregation.Max).Value);
        Assert.Equal(9, Eval1(reversed, TimeAggregation.Min).Value);

        // At the newest edge the earlier point is the one inside.
        var newest = Series((Eval, -0.0), (Eval + 1, 0.0));
        var last = Eval1(newest, TimeAggregation.Last);
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(last.Value));
    }

    [Fact]
    public void A_bucket_of_more_than_two_points_cut_by_an_edge_counts_whole()
    {
        // Three points, the edge between them: beyond Bucket.ExactPoints the bucket is not split.
        var slot = Series((Eval - (3 * R), 1), (Eval - (3 * R) + 1, 2), (Eval - (3 * R) + 2, 3));
        Assert.Equal(new EvaluationResult(true, 6, true, 3), Eval1(slot, TimeAggregation.Sum));

        // All before the start: out, however many.
        var before = Series((Eval - (3 * R) - 2, 1), (Eval - (3 * R) - 1, 2), (Eval - (3 * R), 3));
        Assert.False(Eval1(before, TimeAggregation.Sum).HasValue);
    }

    [Fact]
    public void Newest_point_is_the_latest_timestamp_of_the_group_up_to_the_evaluation_bucket()
    {
        var old = Series((T0 - (5 * R) + 7, 1));
        var recent = Series((T0 - R + 1, 1), (T0 - R + 4_321, 2), (T0 - R + 2, 3));
        var ahead = Series((T0 - (2 * R) + 9, 1), (T0 + R + 5, 2));
        var silent = Series();

        Assert.Equal(T0 - R + 4_321, _evaluator.NewestPointMs([old, recent, silent], Eval));
        Assert.Equal(T0 - (5 * R) + 7, _evaluator.NewestPointMs([old], Eval));

        // A point in a bucket after the evaluation's is not seen yet; the one before it is.
        Assert.Equal(T0 - (2 * R) + 9, _evaluator.NewestPointMs([ahead], Eval));
        Assert.Equal(long.MinValue, _evaluator.NewestPointMs([silent], Eval));
    }

    [Fact]
    public void Empty_window_has_no_value()
    {
        var silent = Series();
        var stale = Series((T0 - (5 * R), 1));
        Assert.Equal(EvaluationResult.NoValue(false, 0), Eval1(silent, TimeAggregation.Count));
        Assert.Equal(EvaluationResult.NoValue(false, 0), Eval1(stale, TimeAggregation.Avg));
    }

    [Fact]
    public void Full_window_needs_a_point_of_some_series_in_the_first_resolution_of_the_window()
    {
        // The window (Eval − 3R, Eval] starts at Eval − 3R + 1; its first r ms end at Eval − 2R.
        var recent = Series((T0, 1), (T0 - R, 1));
        Assert.False(Eval1(recent, TimeAggregation.Avg).FullWindow);
        var late = Series((Eval - (2 * R) + 1, 1));
        Assert.False(EvalGroup([recent, late], TimeAggregation.Avg, SpaceAggregation.Avg).FullWindow);
        var early = Series((Eval - (2 * R), 1));
        Assert.True(EvalGroup([recent, early], TimeAggregation.Avg, SpaceAggregation.Avg).FullWindow);
        Assert.True(Eval1(early, TimeAggregation.Avg).FullWindow);
    }

    [Fact]
    public void Avg_is_the_mean_of_bucket_means_not_of_raw_points()
    {
        var slot = Series((T0 - R, 1), (T0 - R + 1, 3), (T0, 10));
        Assert.Equal(6, Eval1(slot, TimeAggregation.Avg).Value);
    }

    [Fact]
    public void Last_takes_the_greatest_timestamp_and_the_later_arrival_on_ties()
    {
        var slot = Series((T0 + 500, 1), (T0 + 500, 2), (T0 + 100, 3), (T0 - R, 4));
        Assert.Equal(2, Eval1(slot, TimeAggregation.Last).Value);
    }

    [Fact]
    public void Last_of_a_group_combines_the_series_last_values_in_the_newest_bucket_with_data()
    {
        var a = Series((T0 - R, 1), (T0 + 10, 4));
        var b = Series((T0 - R, 100), (T0 + 20, 8));
        var c = Series((T0 - (2 * R), 1_000));
        Assert.Equal(12, EvalGroup([a, b, c], TimeAggregation.Last, SpaceAggregation.Sum).Value);
        Assert.Equal(6, EvalGroup([a, b, c], TimeAggregation.Last, SpaceAggregation.Avg).Value);
    }

    [Fact]
    public void Count_with_sum_counts_every_point_of_the_group()
    {
        var a = Series((T0, 1), (T0, 1), (T0 - R, 1));
        var b = Series((T0, -1));
        var result = EvalGroup([a, b], TimeAggregation.Count, SpaceAggregation.Sum);
        Assert.Equal(new EvaluationResult(true, 4, false, 4), result);
    }

    [Fact]
    public void Count_with_avg_sums_the_per_bucket_average_count_of_series_with_data()
    {
        var a = Series((T0, 1), (T0, 1), (T0 - R, 1));
        var b = Series((T0, -1));
        // bucket k−1: a has 1 point → 1; bucket k: a has 2, b has 1 → 1.5.
        Assert.Equal(2.5, EvalGroup([a, b], TimeAggregation.Count, SpaceAggregation.Avg).Value);
    }

    [Fact]
    public void Space_avg_only_counts_series_with_data_in_the_bucket()
    {
        var a = Series((T0 - R, 10), (T0, 20));
        var b = Series((T0, 40));
        // bucket k−1: 10; bucket k: (20 + 40) / 2 = 30; time avg = 20.
        Assert.Equal(20, EvalGroup([a, b], TimeAggregation.Avg, SpaceAggregation.Avg).Value);
        Assert.Equal(60, EvalGroup([a, b], TimeAggregation.Max, SpaceAggregation.Sum).Value);
        Assert.Equal(10, EvalGroup([a, b], TimeAggregation.Min, SpaceAggregation.Max).Value);
    }

    [Fact]
    public void Change_compares_with_the_window_ending_one_shift_earlier()
    {
        var slot = Series((T0 - (3 * R), 10), (T0 - (2 * R), 30), (T0, 25));
        var spec = WindowSpec.Change(TimeAggregation.Avg, SpaceAggregation.Avg, 2 * R, 2 * R, percent: false);
        // now: buckets k−1..k → 25; old: buckets k−3..k−2 → 20.
        Assert.Equal(new EvaluationResult(true, 5, false, 1), _evaluator.Evaluate(slot, spec, Eval));
        var pct = WindowSpec.Change(TimeAggregation.Avg, SpaceAggregation.Avg, 2 * R, 2 * R, percent: true);
        Assert.Equal(25, _evaluator.Evaluate(slot, pct, Eval).Value);
    }

    [Fact]
    public void Pct_change_from_zero_has_no_value()
    {
        var slot = Series((T0 - R, 0), (T0, 5));
        var spec = WindowSpec.Change(TimeAggregation.Last, SpaceAggregation.Avg, R, R, percent: true);
        Assert.False(_evaluator.Evaluate(slot, spec, Eval).HasValue);
        var change = WindowSpec.Change(TimeAggregation.Last, SpaceAggregation.Avg, R, R, percent: false);
        Assert.Equal(5, _evaluator.Evaluate(slot, change, Eval).Value);
    }

    [Fact]
    public void Change_without_old_data_has_no_value()
    {
        var slot = Series((T0, 5));
        var spec = WindowSpec.Change(TimeAggregation.Avg, SpaceAggregation.Avg, R, R, percent: false);
        Assert.Equal(EvaluationResult.NoValue(false, 1), _evaluator.Evaluate(slot, spec, Eval));
    }

    [Fact]
    public void Window_longer_than_the_ring_is_refused()
    {
        var slot = Series();
        Assert.Throws<ArgumentOutOfRangeException>(() => Eval1(slot, TimeAggregation.Avg, windowMs: (13 * R) + 1));
    }

    [Fact]
    public void Change_cannot_nest_change()
    {
        Assert.Throws<ArgumentException>(() => WindowSpec.Change(TimeAggregation.Change, SpaceAggregation.Avg, R, R, percent: false));
        Assert.Throws<ArgumentException>(() => WindowSpec.Of(TimeAggregation.PctChange, SpaceAggregation.Avg, R));
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Avg, 0));
    }

    [Fact]
    public void Evaluations_allocate_nothing()
    {
        var slots = Enumerable.Range(0, 8).Select(i => Series((T0 - R, i), (T0, i * 2))).ToArray();
        var plain = WindowSpec.Of(TimeAggregation.Avg, SpaceAggregation.Max, 5 * R);
        var change = WindowSpec.Change(TimeAggregation.Sum, SpaceAggregation.Sum, 3 * R, 5 * R, percent: true);
        _evaluator.Evaluate(slots, plain, Eval);
        var sum = 0.0;
        var allocated = AllocationProbe.SteadyBytes(() =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                sum += _evaluator.Evaluate(slots, plain, Eval).Value;
                sum += _evaluator.Evaluate(slots[i & 7], change, Eval).PointCount;
            }
        });

        Assert.Equal(0, allocated);
        Assert.True(sum > 0);
    }
}
