using System.Diagnostics;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Protocol.Log;

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
/// The loops are generic over struct rollups and space combiners so the JIT emits one
/// branch-free loop per aggregation pair.
/// </remarks>
public sealed class WindowEvaluator
{
    private readonly SeriesStore _store;
    private readonly double[] _values;
    private readonly int[] _contributors;

    // One series' rollup per interval (modifiers): the value (for avg, the sum) and its point count (0: none).
    private readonly double[] _seriesValues;
    private readonly int[] _seriesCounts;

    /// <summary>Creates an evaluator for <paramref name="store"/>.</summary>
    public WindowEvaluator(SeriesStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _values = new double[store.RingLength];
        _contributors = new int[store.RingLength];
        _seriesValues = new double[store.RingLength];
        _seriesCounts = new int[store.RingLength];
    }

    /// <summary>
    /// The rollup interval of <paramref name="modifiers"/> in buckets of this store: the written
    /// seconds rounded up to whole buckets (at least 1), or 1 (the bucket) when none is written.
    /// </summary>
    public int IntervalBuckets(in SeriesModifiers modifiers)
    {
        if (modifiers.RollupSeconds == 0)
        {
            return 1;
        }

        var resolutionMs = _store.ResolutionMs;
        return (int)Math.Min(_store.RingLength, Math.Max(1, ((modifiers.RollupSeconds * 1_000L) + resolutionMs - 1) / resolutionMs));
    }

    /// <summary>
    /// Rollup intervals of <paramref name="intervalBuckets"/> buckets (aligned to multiples of it since
    /// bucket 0) that the buckets <paramref name="first"/> … <paramref name="first"/> + n − 1 touch.
    /// </summary>
    public static int IntervalCount(long first, int n, int intervalBuckets) =>
        (int)(FloorDiv(first + n - 1, intervalBuckets) - FloorDiv(first, intervalBuckets) + 1);

    /// <summary>
    /// Evaluates the group with the query's modifiers (<c>.as_count()</c>, <c>.as_rate()</c>,
    /// <c>.rollup()</c>, <c>.fill()</c>); without any it is <see cref="Evaluate(ReadOnlySpan{int}, in WindowSpec, long)"/>.
    /// See <see cref="FillIntervals"/> for what each series contributes; the intervals' space values
    /// are then reduced with the time aggregation as buckets are (avg → mean, sum and count → sum,
    /// min, max, last → the newest), and the full-window flag says the oldest interval has a value.
    /// </summary>
    public EvaluationResult Evaluate(ReadOnlySpan<int> slots, in WindowSpec spec, long evaluationMs, in SeriesModifiers modifiers)
    {
        if (modifiers.IsNone)
        {
            return Evaluate(slots, spec, evaluationMs);
        }

        var windowBuckets = _store.Options.BucketsFor(spec.WindowMs);
        if (windowBuckets > _store.RingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.WindowMs, $"The window spans {windowBuckets} buckets but the store keeps {_store.RingLength} per series.");
        }

        var end = _store.BucketOf(evaluationMs);
        var n = spec.IsCalendar ? CalendarBuckets(_store, spec.WindowMs, evaluationMs) : (int)windowBuckets;
        var current = EvaluateIntervals(slots, spec.Inner, spec.Space, modifiers, end - n + 1, n);
        if (!spec.IsChange)
        {
            return current;
        }

        var shiftBuckets = _store.Options.BucketsFor(spec.ShiftMs);
        var old = EvaluateIntervals(slots, spec.Inner, spec.Space, modifiers, end - shiftBuckets - n + 1, n);
        return Compare(spec, current, old);
    }

    /// <summary>
    /// The space value of each rollup interval of the window <c>first … first + n − 1</c> with the
    /// query's modifiers: <paramref name="contributors"/>[k] is the number of series with a value in
    /// interval k (0: no value), <paramref name="values"/>[k] the value; both hold
    /// <see cref="IntervalCount"/> entries. Returns the points read. For each series of the group:
    /// <list type="number">
    /// <item>Method. The written rollup method; without one, sum for a COUNT series under
    /// <c>.as_count()</c> or <c>.as_rate()</c> and for a RATE series under <c>.as_count()</c>
    /// (Datadog sets the time aggregator to sum); otherwise <paramref name="natural"/>.</item>
    /// <item>Rollup. Over the window's buckets of each interval, oldest first: avg → the sum of the
    /// buckets' sums / their point count, sum → the sum of the buckets' sums, min, max, count → the
    /// point count, last → the newest bucket's last.</item>
    /// <item>Conversion (not for count). <c>.as_count()</c> of a RATE series multiplies by
    /// <see cref="SubmissionIntervalSeconds"/>; <c>.as_rate()</c> of a COUNT series divides by the
    /// interval's length in seconds; anything else (gauges too) is unchanged.</item>
    /// <item>Gaps. A series with no point in the window contributes nothing. Otherwise an interval
    /// without a point reads 0 for a COUNT or RATE series under <c>.as_count()</c>/<c>.as_rate()</c>
    /// (Datadog aligns them as 0); else, with <c>.fill(zero)</c> or <c>.fill(last)</c>, 0 or the
    /// series' newest earlier value when that value is at most the fill limit (in seconds, whole
    /// intervals apart × the interval length) back; else nothing.</item>
    /// <item>Space. The series' interval values combine as bucket rollups do (group order).</item>
    /// </list>
    /// </summary>
    public long FillIntervals(ReadOnlySpan<int> slots, TimeAggregation natural, SpaceAggregation space, in SeriesModifiers modifiers, long first, int n, Span<double> values, Span<int> contributors)
    {
        var intervalBuckets = IntervalBuckets(modifiers);
        var count = IntervalCount(first, n, intervalBuckets);
        if (values.Length != count || contributors.Length != count || n > _store.RingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(values), values.Length, $"values and contributors hold the {count} intervals of a window of at most the ring's {_store.RingLength} buckets");
        }

        contributors.Clear();
        var intervalSeconds = intervalBuckets * _store.ResolutionMs / 1_000.0;
        var fillIntervals = modifiers.Fill is FillMode.Zero or FillMode.Last
            ? (int)Math.Min(count, Math.Floor(modifiers.EffectiveFillLimitSeconds / intervalSeconds))
            : 0;
        long points = 0;
        foreach (var slot in slots)
        {
            Invariant.Check(_store.IsLive(slot), "evaluated slots must be live");
            var type = _store.TypeOf(slot);
            var counted = modifiers.Conversion != TypeConversion.None && type is SeriesType.Count or SeriesType.Rate;
            var method = modifiers.Rollup
                ?? (counted && (type == SeriesType.Count || modifiers.Conversion == TypeConversion.AsCount) ? TimeAggregation.Sum : natural);
            var (multiplier, divisor) = modifiers.Conversion switch
            {
                TypeConversion.AsCount when type == SeriesType.Rate && method != TimeAggregation.Count => (SubmissionIntervalSeconds, 1.0),
                TypeConversion.AsRate when type == SeriesType.Count && method != TimeAggregation.Count => (1.0, intervalSeconds),
                _ => (1.0, 1.0),
            };
            // x × 1 and x ÷ 1 are x exactly, so the scaling (a division) is skipped when it is 1.
            var scaled = multiplier != 1 || divisor != 1;
            var seriesValues = _seriesValues.AsSpan(0, count);
            var seriesCounts = _seriesCounts.AsSpan(0, count);
            var read = method switch
            {
                TimeAggregation.Avg => RollSeries<AvgRollup>(slot, first, n, intervalBuckets, seriesValues, seriesCounts),
                TimeAggregation.Sum => RollSeries<SumRollup>(slot, first, n, intervalBuckets, seriesValues, seriesCounts),
                TimeAggregation.Min => RollSeries<MinRollup>(slot, first, n, intervalBuckets, seriesValues, seriesCounts),
                TimeAggregation.Max => RollSeries<MaxRollup>(slot, first, n, intervalBuckets, seriesValues, seriesCounts),
                TimeAggregation.Last => RollSeries<LastRollup>(slot, first, n, intervalBuckets, seriesValues, seriesCounts),
                TimeAggregation.Count => RollSeries<CountRollup>(slot, first, n, intervalBuckets, seriesValues, seriesCounts),
                _ => throw new UnreachableException("change is evaluated as two inner windows"),
            };
            if (read == 0)
            {
                continue;
            }

            points += read;
            var lastAt = -1;
            var lastValue = 0.0;
            for (var k = 0; k < count; k++)
            {
                double value;
                if (seriesCounts[k] != 0)
                {
                    value = scaled ? seriesValues[k] * multiplier / divisor : seriesValues[k];
                    lastAt = k;
                    lastValue = value;
                }
                else if (counted)
                {
                    value = 0;
                }
                else if (lastAt >= 0 && k - lastAt <= fillIntervals)
                {
                    value = modifiers.Fill == FillMode.Zero ? 0 : lastValue;
                }
                else
                {
                    continue;
                }

                ref var combined = ref values[k];
                if (contributors[k]++ == 0)
                {
                    combined = value;
                }
                else
                {
                    combined = space switch
                    {
                        SpaceAggregation.Min => Math.Min(combined, value),
                        SpaceAggregation.Max => Math.Max(combined, value),
                        _ => combined + value,
                    };
                }
            }
        }

        if (space == SpaceAggregation.Avg)
        {
            for (var k = 0; k < count; k++)
            {
                if (contributors[k] != 0)
                {
                    values[k] /= contributors[k];
                }
            }
        }

        return points;
    }

    /// <summary>
    /// Seconds a RATE point stands for when <c>.as_count()</c> turns it into a count: the points
    /// carry no interval, so DogStatsD's flush interval (Datadog's default for rates it receives).
    /// </summary>
    public const double SubmissionIntervalSeconds = 10;

    private EvaluationResult EvaluateIntervals(ReadOnlySpan<int> slots, TimeAggregation aggregation, SpaceAggregation space, in SeriesModifiers modifiers, long first, int n)
    {
        var count = IntervalCount(first, n, IntervalBuckets(modifiers));
        var values = _values.AsSpan(0, count);
        var contributors = _contributors.AsSpan(0, count);
        var points = FillIntervals(slots, aggregation, space, modifiers, first, n, values, contributors);
        var result = 0.0;
        var intervals = 0;
        for (var k = 0; k < count; k++)
        {
            if (contributors[k] == 0)
            {
                continue;
            }

            var value = values[k];
            result = intervals++ == 0 ? value : aggregation switch
            {
                TimeAggregation.Min => Math.Min(result, value),
                TimeAggregation.Max => Math.Max(result, value),
                TimeAggregation.Last => value,
                _ => result + value,
            };
        }

        var pointCount = (int)Math.Min(points, int.MaxValue);
        if (intervals == 0)
        {
            return EvaluationResult.NoValue(false, pointCount);
        }

        return new EvaluationResult(true, aggregation == TimeAggregation.Avg ? result / intervals : result, contributors[0] != 0, pointCount);
    }

    /// <summary>
    /// One series' rollup per interval over the window's buckets: <paramref name="counts"/>[k] its
    /// points in interval k, <paramref name="values"/>[k] the rollup (avg: sum of sums / count).
    /// Returns the points read.
    /// </summary>
    private long RollSeries<TRollup>(int slot, long first, int n, int intervalBuckets, Span<double> values, Span<int> counts)
        where TRollup : struct, IRollup
    {
        counts.Clear();
        var head = _store.HeadOf(slot);
        if (head < first)
        {
            return 0;
        }

        var ringLength = _store.RingLength;
        var columns = _store.Columns.Slice(slot * ringLength, ringLength);
        var top = Math.Min(first + n - 1, head);
        var bottom = Math.Max(first, head - ringLength + 1);
        var firstInterval = FloorDiv(first, intervalBuckets) * intervalBuckets;
        var index = IndexOf(bottom, ringLength);

        // Interval k of bucket b and b's place in it, advanced per bucket (no division per bucket).
        var k = (int)((bottom - firstInterval) / intervalBuckets);
        var place = (int)((bottom - firstInterval) % intervalBuckets);
        long points = 0;
        for (var b = bottom; b <= top; b++)
        {
            var bucketCount = columns.Count[index];
            if (bucketCount != 0)
            {
                points += bucketCount;
                var value = TRollup.IsMean ? columns.Sum[index] : TRollup.Of(columns, index);
                ref var accumulated = ref values[k];
                accumulated = counts[k] == 0 ? value : TRollup.IsMean ? accumulated + value : TRollup.Fold(accumulated, value);
                counts[k] += bucketCount;
            }

            if (++index == ringLength)
            {
                index = 0;
            }

            if (++place == intervalBuckets)
            {
                place = 0;
                k++;
            }
        }

        if (TRollup.IsMean)
        {
            for (var i = 0; i < counts.Length; i++)
            {
                if (counts[i] != 0)
                {
                    values[i] /= counts[i];
                }
            }
        }

        return points;
    }

    private static long FloorDiv(long value, long divisor)
    {
        var (quotient, remainder) = Math.DivRem(value, divisor);
        return remainder < 0 ? quotient - 1 : quotient;
    }

    /// <summary>The store whose windows this evaluator reads.</summary>
    public SeriesStore Store => _store;

    /// <summary>Evaluates one series.</summary>
    public EvaluationResult Evaluate(int slot, in WindowSpec spec, long evaluationMs) =>
        Evaluate(new ReadOnlySpan<int>(in slot), spec, evaluationMs);

    /// <summary>Evaluates the group formed by <paramref name="slots"/> (live slots) at instant <paramref name="evaluationMs"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The window is longer than a series ring.</exception>
    public EvaluationResult Evaluate(ReadOnlySpan<int> slots, in WindowSpec spec, long evaluationMs)
    {
        var windowBuckets = _store.Options.BucketsFor(spec.WindowMs);
        if (windowBuckets > _store.RingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.WindowMs, $"The window spans {windowBuckets} buckets but the store keeps {_store.RingLength} per series.");
        }

        var end = _store.BucketOf(evaluationMs);
        var n = spec.IsCalendar ? CalendarBuckets(_store, spec.WindowMs, evaluationMs) : (int)windowBuckets;
        var current = EvaluateWindow(slots, spec.Inner, spec.Space, end - n + 1, n);
        if (!spec.IsChange)
        {
            return current;
        }

        var shiftBuckets = _store.Options.BucketsFor(spec.ShiftMs);
        var old = EvaluateWindow(slots, spec.Inner, spec.Space, end - shiftBuckets - n + 1, n);
        return Compare(spec, current, old);
    }

    /// <summary>change and pct_change of two windows' values (see the definition).</summary>
    private static EvaluationResult Compare(in WindowSpec spec, EvaluationResult current, EvaluationResult old)
    {
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

    /// <summary>
    /// Buckets of a calendar-aligned window at <paramref name="evaluationMs"/>: from the bucket of
    /// the last multiple of <paramref name="windowMs"/> (UTC, floor also before 1970) to the
    /// evaluation's bucket. At most ⌈windowMs / r⌉ when r divides windowMs, as for 1 h and 1 d.
    /// </summary>
    internal static int CalendarBuckets(SeriesStore store, long windowMs, long evaluationMs)
    {
        var remainder = evaluationMs % windowMs;
        var startMs = evaluationMs - (remainder < 0 ? remainder + windowMs : remainder);
        var n = store.BucketOf(evaluationMs) - store.BucketOf(startMs) + 1;
        if (n > store.RingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(windowMs), windowMs, $"The calendar window spans {n} buckets but the store keeps {store.RingLength} per series.");
        }

        return (int)n;
    }

    /// <summary>
    /// Timestamp of the newest point of the group that an evaluation at <paramref name="evaluationMs"/>
    /// can see (in its bucket or an older one still in the ring), or <see cref="long.MinValue"/> when
    /// there is none. The state processor's no-data and auto-resolve clocks run from it. Usually O(1)
    /// per series: only points stamped after the evaluation's bucket make it look further back.
    /// </summary>
    public long NewestPointMs(ReadOnlySpan<int> slots, long evaluationMs)
    {
        var ringLength = _store.RingLength;
        var all = _store.Columns;
        var end = _store.BucketOf(evaluationMs);
        var resolutionMs = _store.ResolutionMs;
        var newest = long.MinValue;
        foreach (var slot in slots)
        {
            Invariant.Check(_store.IsLive(slot), "evaluated slots must be live");
            var head = _store.HeadOf(slot);
            if (head == SeriesWindow.NoData)
            {
                continue;
            }

            var oldest = head - ringLength + 1;
            var columns = all.Slice(slot * ringLength, ringLength);
            for (var b = Math.Min(head, end); b >= oldest; b--)
            {
                var index = IndexOf(b, ringLength);
                if (columns.Count[index] != 0)
                {
                    newest = Math.Max(newest, (b * resolutionMs) + columns.LastOffsetMs[index]);
                    break;
                }
            }
        }

        return newest;
    }

    /// <summary>
    /// The space value of each bucket <c>first … first + values.Length − 1</c> of the group (steps 1–3
    /// of the definition): <paramref name="contributors"/>[i] is the number of series with points in
    /// bucket i (0: the bucket has no value), <paramref name="values"/>[i] its value. Returns the
    /// points read. What a formula reads for each of its metric queries.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The spans differ in length or are longer than a series ring.</exception>
    public long FillBuckets(ReadOnlySpan<int> slots, TimeAggregation rollup, SpaceAggregation space, long first, Span<double> values, Span<int> contributors)
    {
        if (values.Length != contributors.Length || values.Length > _store.RingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(values), values.Length, $"values and contributors have the same length, at most the ring's {_store.RingLength} buckets");
        }

        contributors.Clear();
        var points = rollup switch
        {
            TimeAggregation.Avg => Accumulate<AvgRollup>(slots, space, first, values, contributors),
            TimeAggregation.Sum => Accumulate<SumRollup>(slots, space, first, values, contributors),
            TimeAggregation.Min => Accumulate<MinRollup>(slots, space, first, values, contributors),
            TimeAggregation.Max => Accumulate<MaxRollup>(slots, space, first, values, contributors),
            TimeAggregation.Last => Accumulate<LastRollup>(slots, space, first, values, contributors),
            TimeAggregation.Count => Accumulate<CountRollup>(slots, space, first, values, contributors),
            _ => throw new UnreachableException("change is evaluated as two inner windows"),
        };
        if (space == SpaceAggregation.Avg)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (contributors[i] != 0)
                {
                    values[i] /= contributors[i];
                }
            }
        }

        return points;
    }

    private long Accumulate<TRollup>(ReadOnlySpan<int> slots, SpaceAggregation space, long first, Span<double> values, Span<int> contributors)
        where TRollup : struct, IRollup => space switch
    {
        SpaceAggregation.Min => Accumulate<TRollup, MinSpace>(slots, first, values, contributors),
        SpaceAggregation.Max => Accumulate<TRollup, MaxSpace>(slots, first, values, contributors),
        _ => Accumulate<TRollup, SumSpace>(slots, first, values, contributors),
    };

    private EvaluationResult EvaluateWindow(ReadOnlySpan<int> slots, TimeAggregation aggregation, SpaceAggregation space, long first, int n) => aggregation switch
    {
        TimeAggregation.Avg => EvaluateWindow<AvgRollup>(slots, space, first, n),
        TimeAggregation.Sum => EvaluateWindow<SumRollup>(slots, space, first, n),
        TimeAggregation.Min => EvaluateWindow<MinRollup>(slots, space, first, n),
        TimeAggregation.Max => EvaluateWindow<MaxRollup>(slots, space, first, n),
        TimeAggregation.Last => EvaluateWindow<LastRollup>(slots, space, first, n),
        TimeAggregation.Count => EvaluateWindow<CountRollup>(slots, space, first, n),
        _ => throw new UnreachableException("change is evaluated as two inner windows"),
    };

    private EvaluationResult EvaluateWindow<TRollup>(ReadOnlySpan<int> slots, SpaceAggregation space, long first, int n)
        where TRollup : struct, IRollup
    {
        if (slots.Length == 1)
        {
            return SingleSeries<TRollup>(slots[0], first, n);
        }

        var values = _values.AsSpan(0, n);
        var contributors = _contributors.AsSpan(0, n);
        contributors.Clear();
        var points = space switch
        {
            SpaceAggregation.Min => Accumulate<TRollup, MinSpace>(slots, first, values, contributors),
            SpaceAggregation.Max => Accumulate<TRollup, MaxSpace>(slots, first, values, contributors),
            _ => Accumulate<TRollup, SumSpace>(slots, first, values, contributors),
        };

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
            result = buckets++ == 0 ? value : TRollup.Fold(result, value);
        }

        return Finish<TRollup>(result, buckets, contributors[0] > 0, points);
    }

    /// <summary>One series: the space aggregation of a single rollup is the rollup itself.</summary>
    private EvaluationResult SingleSeries<TRollup>(int slot, long first, int n)
        where TRollup : struct, IRollup
    {
        Invariant.Check(_store.IsLive(slot), "evaluated slots must be live");
        var head = _store.HeadOf(slot);
        // Also skips series without data: NoData and the free marker are below any window.
        if (head < first)
        {
            return EvaluationResult.NoValue(false, 0);
        }

        var ringLength = _store.RingLength;
        var columns = _store.Columns.Slice(slot * ringLength, ringLength);
        var top = Math.Min(first + n - 1, head);
        var bottom = Math.Max(first, head - ringLength + 1);
        var index = IndexOf(bottom, ringLength);
        long points = 0;
        var result = 0.0;
        var buckets = 0;
        for (var b = bottom; b <= top; b++)
        {
            var count = columns.Count[index];
            if (count != 0)
            {
                points += count;
                var value = TRollup.Of(columns, index);
                result = buckets++ == 0 ? value : TRollup.Fold(result, value);
            }

            if (++index == ringLength)
            {
                index = 0;
            }
        }

        return Finish<TRollup>(result, buckets, bottom == first && columns.Count[IndexOf(first, ringLength)] != 0, points);
    }

    private long Accumulate<TRollup, TSpace>(ReadOnlySpan<int> slots, long first, Span<double> values, Span<int> contributors)
        where TRollup : struct, IRollup
        where TSpace : struct, ISpace
    {
        var ringLength = _store.RingLength;
        var all = _store.Columns;
        var last = first + values.Length - 1;
        long points = 0;
        foreach (var slot in slots)
        {
            Invariant.Check(_store.IsLive(slot), "evaluated slots must be live");
            var head = _store.HeadOf(slot);
            if (head < first)
            {
                continue;
            }

            var columns = all.Slice(slot * ringLength, ringLength);
            var top = Math.Min(last, head);
            var bottom = Math.Max(first, head - ringLength + 1);
            var index = IndexOf(bottom, ringLength);
            for (var b = bottom; b <= top; b++)
            {
                var count = columns.Count[index];
                if (count != 0)
                {
                    points += count;
                    var rollup = TRollup.Of(columns, index);
                    var i = (int)(b - first);
                    ref var value = ref values[i];
                    value = contributors[i]++ == 0 ? rollup : TSpace.Combine(value, rollup);
                }

                if (++index == ringLength)
                {
                    index = 0;
                }
            }
        }

        return points;
    }

    private static EvaluationResult Finish<TRollup>(double result, int buckets, bool fullWindow, long points)
        where TRollup : struct, IRollup
    {
        var pointCount = (int)Math.Min(points, int.MaxValue);
        if (buckets == 0)
        {
            return EvaluationResult.NoValue(fullWindow, pointCount);
        }

        return new EvaluationResult(true, TRollup.IsMean ? result / buckets : result, fullWindow, pointCount);
    }

    private static int IndexOf(long bucketNumber, int ringLength)
    {
        var index = bucketNumber % ringLength;
        return (int)(index < 0 ? index + ringLength : index);
    }

    /// <summary>A time aggregation: the per-bucket rollup of one series and the fold over buckets.</summary>
    private interface IRollup
    {
        /// <summary>Whether the folded sum is divided by the number of buckets (avg).</summary>
        static abstract bool IsMean { get; }

        static abstract double Of(in BucketColumns columns, int index);

        static abstract double Fold(double accumulated, double value);
    }

    /// <summary>How the rollups of several series in one bucket combine (avg sums, then divides).</summary>
    private interface ISpace
    {
        static abstract double Combine(double accumulated, double value);
    }

    private readonly struct AvgRollup : IRollup
    {
        public static bool IsMean => true;

        public static double Of(in BucketColumns columns, int index) => columns.Sum[index] / columns.Count[index];

        public static double Fold(double accumulated, double value) => accumulated + value;
    }

    private readonly struct SumRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Sum[index];

        public static double Fold(double accumulated, double value) => accumulated + value;
    }

    private readonly struct MinRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Min[index];

        public static double Fold(double accumulated, double value) => Math.Min(accumulated, value);
    }

    private readonly struct MaxRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Max[index];

        public static double Fold(double accumulated, double value) => Math.Max(accumulated, value);
    }

    private readonly struct LastRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Last[index];

        public static double Fold(double accumulated, double value) => value;
    }

    private readonly struct CountRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Count[index];

        public static double Fold(double accumulated, double value) => accumulated + value;
    }

    private readonly struct SumSpace : ISpace
    {
        public static double Combine(double accumulated, double value) => accumulated + value;
    }

    private readonly struct MinSpace : ISpace
    {
        public static double Combine(double accumulated, double value) => Math.Min(accumulated, value);
    }

    private readonly struct MaxSpace : ISpace
    {
        public static double Combine(double accumulated, double value) => Math.Max(accumulated, value);
    }
}
