using System.Diagnostics;
using Alerting.Engine.Monitors;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// Computes <c>time_aggregation(window):space_aggregation</c> over a group of series in a
/// <see cref="SeriesStore"/>. Single-threaded; allocation-free (scratch sized once to the ring).
/// </summary>
/// <remarks>
/// Definition (docs/evaluation.md has the worked version; the brute-force oracle in the tests
/// encodes the same words):
/// <list type="number">
/// <item>Window. With resolution r, k = ⌊t / r⌋ and n = ⌈W / r⌉, the window ending at t is the
/// buckets k − n + 1 … k. The current, partial bucket k is included, with every point already in
/// it (even one stamped after t), so an on-arrival evaluation sees the point that triggered it.</item>
/// <item>Rollup. Each series with points in a bucket is reduced with the time aggregation's
/// natural rollup: avg → sum / count of its points there, sum → sum, min → min, max → max,
/// last → value of its latest point, count → number of points.</item>
/// <item>Space. In each bucket, the rollups of the series that have points there are combined in
/// group order: avg → their sum / their number, sum → sum, min, max.</item>
/// <item>Time. Over the buckets that have a space value, oldest first: avg → sum / number of such
/// buckets, sum and count → sum, min, max, last → the newest bucket's value.</item>
/// <item>Change. change = value(window ending at t) − value(same n buckets ending at bucket
/// k − ⌈shift / r⌉), both with the inner aggregation; pct_change = 100 × change / |old|. Either
/// side without data, or old = 0 for pct_change, gives no value.</item>
/// </list>
/// Sums run in a fixed order (points in arrival order within a bucket, series in group order,
/// buckets oldest first), so results are bit-identical to the oracle and across replicas.
/// </remarks>
public sealed class WindowEvaluator
{
    private readonly SeriesStore _store;
    private readonly double[] _values;
    private readonly int[] _contributors;

    /// <summary>Creates an evaluator for <paramref name="store"/>.</summary>
    public WindowEvaluator(SeriesStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _values = new double[store.RingLength];
        _contributors = new int[store.RingLength];
    }

    /// <summary>Evaluates one series.</summary>
    public EvaluationResult Evaluate(int slot, in WindowSpec spec, long evaluationMs) =>
        Evaluate(new ReadOnlySpan<int>(in slot), spec, evaluationMs);

    /// <summary>Evaluates the group formed by <paramref name="slots"/> at instant <paramref name="evaluationMs"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The window is longer than a series ring.</exception>
    public EvaluationResult Evaluate(ReadOnlySpan<int> slots, in WindowSpec spec, long evaluationMs)
    {
        var windowBuckets = _store.Options.BucketsFor(spec.WindowMs);
        if (windowBuckets > _store.RingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.WindowMs, $"The window spans {windowBuckets} buckets but the store keeps {_store.RingLength} per series.");
        }

        var n = (int)windowBuckets;
        var end = _store.BucketOf(evaluationMs);
        var current = EvaluateWindow(slots, spec.Inner, spec.Space, end - n + 1, n);
        if (!spec.IsChange)
        {
            return current;
        }

        var shiftBuckets = _store.Options.BucketsFor(spec.ShiftMs);
        var old = EvaluateWindow(slots, spec.Inner, spec.Space, end - shiftBuckets - n + 1, n);
        var fullWindow = current.FullWindow && old.FullWindow;
        if (!current.HasValue || !old.HasValue)
        {
            return EvaluationResult.NoValue(fullWindow, current.PointCount);
        }

        var change = current.Value - old.Value;
        if (spec.Aggregation == TimeAggregation.Change)
        {
            return new EvaluationResult(true, change, fullWindow, current.PointCount);
        }

        return old.Value == 0
            ? EvaluationResult.NoValue(fullWindow, current.PointCount)
            : new EvaluationResult(true, 100 * change / Math.Abs(old.Value), fullWindow, current.PointCount);
    }

    private EvaluationResult EvaluateWindow(ReadOnlySpan<int> slots, TimeAggregation aggregation, SpaceAggregation space, long first, int n)
    {
        Debug.Assert(aggregation is not (TimeAggregation.Change or TimeAggregation.PctChange), "change is evaluated as two inner windows");
        var values = _values.AsSpan(0, n);
        var contributors = _contributors.AsSpan(0, n);
        contributors.Clear();
        var last = first + n - 1;
        var ringLength = _store.RingLength;
        long points = 0;

        foreach (var slot in slots)
        {
            var window = _store.Window(slot);
            var head = window.Head;
            if (head == SeriesWindow.NoData)
            {
                continue;
            }

            var top = Math.Min(last, head);
            var bottom = Math.Max(first, head - ringLength + 1);
            var ring = window.Ring;
            var index = window.IndexOf(bottom);
            for (var b = bottom; b <= top; b++)
            {
                ref readonly var bucket = ref ring[index];
                if (++index == ringLength)
                {
                    index = 0;
                }

                if (bucket.Count == 0)
                {
                    continue;
                }

                points += bucket.Count;
                var rollup = aggregation switch
                {
                    TimeAggregation.Avg => bucket.Sum / bucket.Count,
                    TimeAggregation.Sum => bucket.Sum,
                    TimeAggregation.Min => bucket.Min,
                    TimeAggregation.Max => bucket.Max,
                    TimeAggregation.Last => bucket.Last,
                    _ => bucket.Count,
                };
                var i = (int)(b - first);
                ref var value = ref values[i];
                if (contributors[i]++ == 0)
                {
                    value = rollup;
                }
                else
                {
                    value = space switch
                    {
                        SpaceAggregation.Min => Math.Min(value, rollup),
                        SpaceAggregation.Max => Math.Max(value, rollup),
                        _ => value + rollup,
                    };
                }
            }
        }

        var pointCount = (int)Math.Min(points, int.MaxValue);
        var fullWindow = contributors[0] > 0;
        var result = 0.0;
        var buckets = 0;
        for (var i = 0; i < n; i++)
        {
            var count = contributors[i];
            if (count == 0)
            {
                continue;
            }

            var value = space == SpaceAggregation.Avg ? values[i] / count : values[i];
            result = buckets++ == 0
                ? value
                : aggregation switch
                {
                    TimeAggregation.Min => Math.Min(result, value),
                    TimeAggregation.Max => Math.Max(result, value),
                    TimeAggregation.Last => value,
                    _ => result + value,
                };
        }

        if (buckets == 0)
        {
            return EvaluationResult.NoValue(fullWindow, pointCount);
        }

        return new EvaluationResult(true, aggregation == TimeAggregation.Avg ? result / buckets : result, fullWindow, pointCount);
    }
}
