using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// The naive model of <see cref="SeriesStore"/> + <see cref="WindowEvaluator"/>: keeps every raw
/// point and computes the documented definition directly with LINQ, without rings or scratch.
/// Sums run in the same documented order (arrival order, group order, oldest bucket first) so
/// results must be bit-identical.
/// </summary>
internal sealed class BruteForceEvaluator(long resolutionMs, int retainedBuckets, int futureBuckets)
{
    private readonly List<RawPoint> _points = [];
    private readonly Dictionary<int, SeriesType> _types = [];
    private long _nowMs;
    private int _arrivals;

    private sealed record RawPoint(int Series, long UnixMs, double Value, int Arrival);

    private int RingLength => retainedBuckets + futureBuckets;

    public void AdvanceClock(long nowMs) => _nowMs = Math.Max(_nowMs, nowMs);

    /// <summary>Accepts the point when finite and c − retained &lt; bucket ≤ c + future, c = the clock's bucket.</summary>
    public PointResult Add(int series, long unixMs, double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return PointResult.NotFinite;
        }

        var clock = BucketOf(_nowMs);
        var bucket = BucketOf(unixMs);
        if (bucket <= clock - retainedBuckets)
        {
            return PointResult.TooOld;
        }

        if (bucket > clock + futureBuckets)
        {
            return PointResult.TooFarInFuture;
        }

        _points.Add(new RawPoint(series, unixMs, value, _arrivals++));
        return PointResult.Accepted;
    }

    /// <summary>Forgets a series (its id may come back as a new, empty series).</summary>
    public void Remove(int series)
    {
        _points.RemoveAll(p => p.Series == series);
        _types.Remove(series);
    }

    /// <summary>The metric type of a series (what as_count and as_rate read); unspecified until set.</summary>
    public void SetType(int series, SeriesType type) => _types[series] = type;

    /// <summary>
    /// Evaluation with a query's modifiers, straight from the words of
    /// <see cref="WindowEvaluator.FillIntervals"/>: per series, intervals of whole buckets aligned
    /// to multiples of the interval, holding the window's counted points only (the edges cut the
    /// edge intervals as they cut buckets), the method's rollup of the buckets' rollups oldest
    /// first, the conversion, the gaps, then space and time aggregation over the intervals; full
    /// when the oldest interval has a value or a counted point lies in the window's first r ms.
    /// </summary>
    public EvaluationResult Evaluate(IReadOnlyList<int> group, WindowSpec spec, long evaluationMs, SeriesModifiers modifiers)
    {
        if (modifiers.IsNone)
        {
            return Evaluate(group, spec, evaluationMs);
        }

        var current = EvaluateIntervals(group, spec.Inner, spec.Space, modifiers, StartOf(spec, evaluationMs), evaluationMs);
        if (!spec.IsChange)
        {
            return current;
        }

        var oldEnd = evaluationMs - spec.ShiftMs;
        var old = EvaluateIntervals(group, spec.Inner, spec.Space, modifiers, StartOf(spec, oldEnd), oldEnd);
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

    private EvaluationResult EvaluateIntervals(IReadOnlyList<int> group, TimeAggregation aggregation, SpaceAggregation space, SeriesModifiers modifiers, long startMs, long endMs)
    {
        var (values, points) = IntervalValues(group, aggregation, space, modifiers, startMs, endMs);
        var full = values[0].HasValue || HasEarlyPoint(group, startMs, endMs);
        return Fold(values.Where(v => v.HasValue).Select(v => v!.Value).ToList(), aggregation, full, points);
    }

    /// <summary>The rollup interval in buckets: the written seconds rounded up to whole buckets, at least 1 and at most the ring.</summary>
    public long IntervalBuckets(SeriesModifiers modifiers) =>
        modifiers.RollupSeconds == 0 ? 1 : Math.Min(RingLength, Math.Max(1, (long)Math.Ceiling(modifiers.RollupSeconds * 1_000m / resolutionMs)));

    /// <summary>
    /// The space value of each rollup interval of the window [<paramref name="startMs"/>, <paramref name="endMs"/>]
    /// (intervals touching its buckets, holding its counted points only), and the points read.
    /// </summary>
    public (double?[] Values, int Points) IntervalValues(IReadOnlyList<int> group, TimeAggregation natural, SpaceAggregation space, SeriesModifiers modifiers, long startMs, long endMs)
    {
        var window = Counted(group, startMs, endMs);
        var first = BucketOf(startMs);
        var last = BucketOf(endMs);
        var m = IntervalBuckets(modifiers);
        var firstInterval = (long)Math.Floor((decimal)first / m);
        var count = (int)((long)Math.Floor((decimal)last / m) - firstInterval + 1);
        var intervalSeconds = m * resolutionMs / 1_000.0;
        var fillIntervals = modifiers.Fill is FillMode.Zero or FillMode.Last
            ? (int)Math.Min(count, Math.Floor(modifiers.EffectiveFillLimitSeconds / intervalSeconds))
            : 0;
        var perInterval = Enumerable.Range(0, count).Select(_ => new List<double>()).ToArray();
        var points = 0;
        foreach (var series in group)
        {
            var visible = window.Where(c => c.Series == series).SelectMany(c => c.Points).ToList();
            if (visible.Count == 0)
            {
                continue;
            }

            points += visible.Count;
            var type = _types.GetValueOrDefault(series);
            var counted = modifiers.Conversion != TypeConversion.None && (type == SeriesType.Count || type == SeriesType.Rate);
            var method = modifiers.Rollup
                ?? (counted && (type == SeriesType.Count || modifiers.Conversion == TypeConversion.AsCount) ? TimeAggregation.Sum : natural);
            var multiplier = modifiers.Conversion == TypeConversion.AsCount && type == SeriesType.Rate && method != TimeAggregation.Count ? WindowEvaluator.SubmissionIntervalSeconds : 1.0;
            var divisor = modifiers.Conversion == TypeConversion.AsRate && type == SeriesType.Count && method != TimeAggregation.Count ? intervalSeconds : 1.0;
            int? lastAt = null;
            var lastValue = 0.0;
            for (var k = 0; k < count; k++)
            {
                // The interval's buckets in the window, oldest first, each rolled up from its points in arrival order.
                var buckets = visible
                    .Where(p => (long)Math.Floor((decimal)BucketOf(p.UnixMs) / m) == firstInterval + k)
                    .GroupBy(p => BucketOf(p.UnixMs))
                    .OrderBy(g => g.Key)
                    .Select(g => g.ToList())
                    .ToList();
                double? value = null;
                if (buckets.Count > 0)
                {
                    var rolled = method switch
                    {
                        TimeAggregation.Avg => buckets.Select(b => Rollup(TimeAggregation.Sum, b)).Aggregate((a, b) => a + b) / buckets.Sum(b => b.Count),
                        TimeAggregation.Sum => buckets.Select(b => Rollup(TimeAggregation.Sum, b)).Aggregate((a, b) => a + b),
                        TimeAggregation.Min => buckets.Select(b => Rollup(TimeAggregation.Min, b)).Aggregate(Math.Min),
                        TimeAggregation.Max => buckets.Select(b => Rollup(TimeAggregation.Max, b)).Aggregate(Math.Max),
                        TimeAggregation.Last => Rollup(TimeAggregation.Last, buckets[^1]),
                        TimeAggregation.Count => buckets.Select(b => (double)b.Count).Aggregate((a, b) => a + b),
                        _ => throw new ArgumentOutOfRangeException(nameof(natural)),
                    };
                    value = rolled * multiplier / divisor;
                    lastAt = k;
                    lastValue = value.Value;
                }
                else if (counted)
                {
                    value = 0;
                }
                else if (lastAt is { } at && k - at <= fillIntervals)
                {
                    value = modifiers.Fill == FillMode.Zero ? 0 : lastValue;
                }

                if (value is { } v)
                {
                    perInterval[k].Add(v);
                }
            }
        }

        var values = perInterval.Select(list => list.Count == 0 ? (double?)null : space switch
        {
            SpaceAggregation.Avg => list.Aggregate((a, b) => a + b) / list.Count,
            SpaceAggregation.Sum => list.Aggregate((a, b) => a + b),
            SpaceAggregation.Min => list.Aggregate(Math.Min),
            SpaceAggregation.Max => list.Aggregate(Math.Max),
            _ => throw new ArgumentOutOfRangeException(nameof(space)),
        }).ToArray();
        return (values, points);
    }

    public EvaluationResult Evaluate(IReadOnlyList<int> group, WindowSpec spec, long evaluationMs)
    {
        var current = EvaluateWindow(group, spec.Inner, spec.Space, StartOf(spec, evaluationMs), evaluationMs);
        if (!spec.IsChange)
        {
            return current;
        }

        var oldEnd = evaluationMs - spec.ShiftMs;
        var old = EvaluateWindow(group, spec.Inner, spec.Space, StartOf(spec, oldEnd), oldEnd);
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

    /// <summary>
    /// <c>percentile(window):q</c> from raw points, straight from the words of
    /// <see cref="PercentileEvaluator"/>: each series summed over the window as <c>sum:sum</c> sums it
    /// (series without a value, or without a bound (NaN), left out), the sums of one bound added in
    /// group order, the bounds sorted, and Prometheus's histogram_quantile over the cumulative counts.
    /// A bin series (<paramref name="bins"/>, DogStatsD's <c>bin_le</c>) counts only its bin: the
    /// bins' sums per bound are added the same way, and each finite bound's count gets the running
    /// total of the bins at or below it; +Inf gets only its own bins (le:+Inf counts every observation).
    /// </summary>
    public EvaluationResult Percentile(IReadOnlyList<int> group, IReadOnlyList<double> bounds, long windowMs, long evaluationMs, double quantile, int maxBounds, IReadOnlyList<bool>? bins = null)
    {
        var spec = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, windowMs);
        var sums = group.Select((series, i) => (Bound: bounds[i], Bin: bins is not null && bins[i], Result: Evaluate([series], spec, evaluationMs))).ToList();
        var full = sums.Any(s => s.Result.FullWindow);
        var points = sums.Sum(s => s.Result.PointCount);
        var perBound = sums
            .Where(s => s.Result.HasValue && !double.IsNaN(s.Bound))
            .GroupBy(s => s.Bound)
            .Select(g => (Bound: g.Key,
                Count: g.Where(s => !s.Bin).Aggregate(0.0, (total, s) => total + s.Result.Value),
                InBin: g.Where(s => s.Bin).Aggregate(0.0, (total, s) => total + s.Result.Value)))
            .OrderBy(b => b.Bound)
            .ToList();
        var running = 0.0;
        var buckets = new List<(double Bound, double Count)>();
        foreach (var bound in perBound)
        {
            running += bound.InBin;
            buckets.Add((bound.Bound, bound.Count + (double.IsPositiveInfinity(bound.Bound) ? bound.InBin : running)));
        }

        if (buckets.Count > maxBounds || buckets.Count < 2 || !double.IsPositiveInfinity(buckets[^1].Bound))
        {
            return EvaluationResult.NoValue(full, points);
        }

        // Monotonic: each cumulative count at least the one below it.
        for (var i = 1; i < buckets.Count; i++)
        {
            buckets[i] = (buckets[i].Bound, Math.Max(buckets[i].Count, buckets[i - 1].Count));
        }

        var observations = buckets[^1].Count;
        if (!(observations > 0))
        {
            return EvaluationResult.NoValue(full, points);
        }

        var rank = quantile * observations;
        var b = buckets.FindIndex(0, buckets.Count - 1, x => x.Count >= rank);
        double value;
        if (b < 0)
        {
            value = buckets[^2].Bound;
        }
        else if (b == 0 && buckets[0].Bound <= 0)
        {
            value = buckets[0].Bound;
        }
        else
        {
            var lower = b == 0 ? 0.0 : buckets[b - 1].Bound;
            var below = b == 0 ? 0.0 : buckets[b - 1].Count;
            value = lower + ((buckets[b].Bound - lower) * ((rank - below) / (buckets[b].Count - below)));
        }

        return new EvaluationResult(true, value, full, points);
    }

    /// <summary>
    /// First instant of the window ending at <paramref name="endMs"/>: endMs − W + 1 (the window is
    /// (endMs − W, endMs]), or for a calendar window the last multiple of W since the epoch.
    /// </summary>
    public static long StartOf(WindowSpec spec, long endMs) => spec.IsCalendar
        ? (long)(Math.Floor((decimal)endMs / spec.WindowMs) * spec.WindowMs)
        : endMs - spec.WindowMs + 1;

    private EvaluationResult EvaluateWindow(IReadOnlyList<int> group, TimeAggregation aggregation, SpaceAggregation space, long startMs, long endMs)
    {
        var counted = Counted(group, startMs, endMs);
        var bucketValues = new List<double>();
        for (var bucket = BucketOf(startMs); bucket <= BucketOf(endMs); bucket++)
        {
            if (SpaceValue(counted, group, aggregation, space, bucket) is { } value)
            {
                bucketValues.Add(value);
            }
        }

        return Fold(bucketValues, aggregation, IsEarly(counted, startMs), counted.Sum(c => c.Points.Count));
    }

    /// <summary>Step 4 of the definition: the time aggregation over the values of the window, oldest first (none: no value).</summary>
    private static EvaluationResult Fold(List<double> values, TimeAggregation aggregation, bool full, int points)
    {
        if (values.Count == 0)
        {
            return new EvaluationResult(false, 0, full, points);
        }

        var result = aggregation switch
        {
            TimeAggregation.Avg => values.Aggregate((a, b) => a + b) / values.Count,
            TimeAggregation.Sum or TimeAggregation.Count => values.Aggregate((a, b) => a + b),
            TimeAggregation.Min => values.Aggregate(Math.Min),
            TimeAggregation.Max => values.Aggregate(Math.Max),
            TimeAggregation.Last => values[^1],
            _ => throw new ArgumentOutOfRangeException(nameof(aggregation)),
        };
        return new EvaluationResult(true, result, full, points);
    }

    /// <summary>
    /// The points that count in the window [<paramref name="startMs"/>, <paramref name="endMs"/>],
    /// per series and bucket (the series' ring still holding the bucket): all of a bucket's points
    /// inside → all; all before the start or all after the end → none; otherwise (an edge cuts the
    /// bucket) its points inside when it has at most <see cref="Alerting.Engine.Evaluation.Bucket.ExactPoints"/>, else all.
    /// </summary>
    private List<(int Series, long Bucket, List<RawPoint> Points)> Counted(IReadOnlyList<int> group, long startMs, long endMs)
    {
        var first = BucketOf(startMs);
        var last = BucketOf(endMs);
        var counted = new List<(int, long, List<RawPoint>)>();
        foreach (var series in group.Distinct())
        {
            for (var bucket = first; bucket <= last; bucket++)
            {
                var points = _points
                    .Where(p => p.Series == series && BucketOf(p.UnixMs) == bucket && bucket > NewestBucket(series) - RingLength)
                    .ToList();
                if (points.Count == 0 || points.All(p => p.UnixMs < startMs) || points.All(p => p.UnixMs > endMs))
                {
                    continue;
                }

                var inside = points.Where(p => p.UnixMs >= startMs && p.UnixMs <= endMs).ToList();
                counted.Add((series, bucket, inside.Count == points.Count || points.Count > Alerting.Engine.Evaluation.Bucket.ExactPoints ? points : inside));
            }
        }

        return counted;
    }

    /// <summary>Whether a counted point lies in the window's first r ms (the full-window test).</summary>
    private bool IsEarly(List<(int Series, long Bucket, List<RawPoint> Points)> counted, long startMs) =>
        counted.Any(c => c.Points.Any(p => p.UnixMs <= startMs + resolutionMs - 1));

    // Rollups of the group's series in group order, combined with the space aggregation.
    private static double? SpaceValue(List<(int Series, long Bucket, List<RawPoint> Points)> counted, IReadOnlyList<int> group, TimeAggregation rollup, SpaceAggregation space, long bucket)
    {
        var rollups = group
            .Select(series => counted.Where(c => c.Series == series && c.Bucket == bucket).SelectMany(c => c.Points).ToList())
            .Where(points => points.Count > 0)
            .Select(points => Rollup(rollup, points))
            .ToList();
        if (rollups.Count == 0)
        {
            return null;
        }

        return space switch
        {
            SpaceAggregation.Avg => rollups.Aggregate((a, b) => a + b) / rollups.Count,
            SpaceAggregation.Sum => rollups.Aggregate((a, b) => a + b),
            SpaceAggregation.Min => rollups.Aggregate(Math.Min),
            SpaceAggregation.Max => rollups.Aggregate(Math.Max),
            _ => throw new ArgumentOutOfRangeException(nameof(space)),
        };
    }

    /// <summary>
    /// The space value of one bucket of the window [<paramref name="startMs"/>, <paramref name="endMs"/>]
    /// for the group (steps 1–3 of the definition), or null when no series of the group has a
    /// counted point there.
    /// </summary>
    public double? BucketValue(IReadOnlyList<int> group, TimeAggregation rollup, SpaceAggregation space, long bucket, long startMs, long endMs) =>
        SpaceValue(Counted(group, startMs, endMs), group, rollup, space, bucket);

    /// <summary>Counted points of the group in the window [<paramref name="startMs"/>, <paramref name="endMs"/>].</summary>
    public int PointsIn(IReadOnlyList<int> group, long startMs, long endMs) => Counted(group, startMs, endMs).Sum(c => c.Points.Count);

    /// <summary>Whether the group has a counted point in the window's first r ms.</summary>
    public bool HasEarlyPoint(IReadOnlyList<int> group, long startMs, long endMs) => IsEarly(Counted(group, startMs, endMs), startMs);

    /// <summary>The bucket holding <paramref name="unixMs"/>.</summary>
    public long Bucket(long unixMs) => BucketOf(unixMs);


    private static double Rollup(TimeAggregation aggregation, List<RawPoint> points) => aggregation switch
    {
        TimeAggregation.Avg => points.Select(p => p.Value).Aggregate((a, b) => a + b) / points.Count,
        TimeAggregation.Sum => points.Select(p => p.Value).Aggregate((a, b) => a + b),
        TimeAggregation.Min => points.Select(p => p.Value).Aggregate(Math.Min),
        TimeAggregation.Max => points.Select(p => p.Value).Aggregate(Math.Max),
        TimeAggregation.Last => points.OrderBy(p => p.UnixMs).ThenBy(p => p.Arrival).Last().Value,
        TimeAggregation.Count => points.Count,
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation)),
    };

    private long NewestBucket(int series) => _points.Where(p => p.Series == series).Max(p => BucketOf(p.UnixMs));

    private long BucketOf(long unixMs) => (long)Math.Floor((decimal)unixMs / resolutionMs);
}
