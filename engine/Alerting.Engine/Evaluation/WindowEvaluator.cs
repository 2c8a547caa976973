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
/// <item>Window. The window of length W ending at t holds the points stamped in (t − W, t], to the
/// millisecond: buckets ⌊(t − W + 1) / r⌋ … ⌊t / r⌋, the two edge buckets cut at the edges. A
/// bucket cut by an edge counts with its points inside the window when it has at most
/// <see cref="Bucket.ExactPoints"/> points (they are all known); with more, or with a first offset
/// unknown since a format-1 store, it counts whole when some of its points are inside.</item>
/// <item>Rollup. Each series with points in a bucket is reduced with the time aggregation's
/// natural rollup: avg → sum / count of its points there, sum → sum, min → min, max → max,
/// last → value of its latest point, count → number of points.</item>
/// <item>Space. In each bucket, the rollups of the series that have points there are combined in
/// group order: avg → their sum / their number, sum → sum, min, max.</item>
/// <item>Time. Over the buckets that have a space value, oldest first: avg → sum / number of such
/// buckets, sum and count → sum, min, max, last → the newest bucket's value.</item>
/// <item>Change. change = value(window ending at t) − value(window ending at t − shift), both
/// with the inner aggregation; pct_change = 100 × change / |old|. Either side without data, or
/// old = 0 for pct_change, gives no value.</item>
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
    /// min, max, last → the newest). The full-window flag says the oldest interval has a value, or a
    /// series has a point in the window's first r ms (as without modifiers: the oldest interval may
    /// hold only a sliver of the window).
    /// </summary>
    public EvaluationResult Evaluate(ReadOnlySpan<int> slots, in WindowSpec spec, long evaluationMs, in SeriesModifiers modifiers)
    {
        if (modifiers.IsNone)
        {
            return Evaluate(slots, spec, evaluationMs);
        }

        var current = EvaluateIntervals(slots, spec.Inner, spec.Space, modifiers, RangeOf(_store, spec, evaluationMs));
        if (!spec.IsChange)
        {
            return current;
        }

        var old = EvaluateIntervals(slots, spec.Inner, spec.Space, modifiers, RangeOf(_store, spec, evaluationMs - spec.ShiftMs));
        return Compare(spec, current, old);
    }

    /// <summary>
    /// The space value of each rollup interval of the window <paramref name="range"/> with the
    /// query's modifiers: <paramref name="contributors"/>[k] is the number of series with a value in
    /// interval k (0: no value), <paramref name="values"/>[k] the value; both hold
    /// <see cref="IntervalCount"/>(range.First, range.Count, …) entries. Returns the points read, and
    /// in <paramref name="early"/> whether a series has a point in the window's first r ms. Intervals
    /// are aligned to multiples of the interval since bucket 0; the window's edges cut them as they
    /// cut buckets: an interval at an edge holds only the window's points (the edge buckets' points
    /// counted as in <see cref="FillBuckets"/>). For each series of the group:
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
    public long FillIntervals(ReadOnlySpan<int> slots, TimeAggregation natural, SpaceAggregation space, in SeriesModifiers modifiers, in WindowRange range, Span<double> values, Span<int> contributors, out bool early)
    {
        var intervalBuckets = IntervalBuckets(modifiers);
        var count = IntervalCount(range.First, range.Count, intervalBuckets);
        if (values.Length != count || contributors.Length != count || range.Count > _store.RingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(values), values.Length, $"values and contributors hold the {count} intervals of a window of at most the ring's {_store.RingLength} buckets");
        }

        contributors.Clear();
        var intervalSeconds = intervalBuckets * _store.ResolutionMs / 1_000.0;
        var fillIntervals = modifiers.Fill is FillMode.Zero or FillMode.Last
            ? (int)Math.Min(count, Math.Floor(modifiers.EffectiveFillLimitSeconds / intervalSeconds))
            : 0;
        long points = 0;
        early = false;
        var contributed = false;
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
                TimeAggregation.Avg => RollSeries<AvgRollup>(slot, range, intervalBuckets, seriesValues, seriesCounts, ref early),
                TimeAggregation.Sum => RollSeries<SumRollup>(slot, range, intervalBuckets, seriesValues, seriesCounts, ref early),
                TimeAggregation.Min => RollSeries<MinRollup>(slot, range, intervalBuckets, seriesValues, seriesCounts, ref early),
                TimeAggregation.Max => RollSeries<MaxRollup>(slot, range, intervalBuckets, seriesValues, seriesCounts, ref early),
                TimeAggregation.Last => RollSeries<LastRollup>(slot, range, intervalBuckets, seriesValues, seriesCounts, ref early),
                TimeAggregation.Count => RollSeries<CountRollup>(slot, range, intervalBuckets, seriesValues, seriesCounts, ref early),
                _ => throw new UnreachableException("change is evaluated as two inner windows"),
            };
            if (read == 0)
            {
                continue;
            }

            points += read;
            if (!contributed && counted && !scaled)
            {
                // The first series with points, zero-aligned and unscaled (a COUNT series under
                // .as_count(), most as_count groups): every interval takes its value or 0, as below.
                for (var k = 0; k < count; k++)
                {
                    values[k] = seriesCounts[k] != 0 ? seriesValues[k] : 0;
                    contributors[k] = 1;
                }

                contributed = true;
                continue;
            }

            contributed = true;
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

    private EvaluationResult EvaluateIntervals(ReadOnlySpan<int> slots, TimeAggregation aggregation, SpaceAggregation space, in SeriesModifiers modifiers, in WindowRange range)
    {
        var count = IntervalCount(range.First, range.Count, IntervalBuckets(modifiers));
        var values = _values.AsSpan(0, count);
        var contributors = _contributors.AsSpan(0, count);
        var points = FillIntervals(slots, aggregation, space, modifiers, range, values, contributors, out var early);
        var result = 0.0;
        var intervals = 0;
        if (aggregation is TimeAggregation.Min or TimeAggregation.Max or TimeAggregation.Last)
        {
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
                    _ => value,
                };
            }
        }
        else
        {
            // A sum in interval order without a branch per interval: −0 + x is x bit for bit (so the
            // first value is taken as is), and an interval without a value adds −0, which changes nothing.
            result = -0.0;
            for (var k = 0; k < count; k++)
            {
                var has = contributors[k] != 0;
                result += has ? values[k] : -0.0;
                intervals += has ? 1 : 0;
            }
        }

        var pointCount = (int)Math.Min(points, int.MaxValue);
        var full = contributors[0] != 0 || early;
        if (intervals == 0)
        {
            return EvaluationResult.NoValue(full, pointCount);
        }

        return new EvaluationResult(true, aggregation == TimeAggregation.Avg ? result / intervals : result, full, pointCount);
    }

    /// <summary>
    /// One series' rollup per interval over the window's buckets (the edge buckets cut as in
    /// <see cref="FillBuckets"/>): <paramref name="counts"/>[k] its points in interval k,
    /// <paramref name="values"/>[k] the rollup (avg: sum of sums / count). Returns the points read;
    /// sets <paramref name="early"/> when a counted point lies in the window's first r ms.
    /// </summary>
    private long RollSeries<TRollup>(int slot, in WindowRange range, int intervalBuckets, Span<double> values, Span<int> counts, ref bool early)
        where TRollup : struct, IRollup
    {
        counts.Clear();
        var head = _store.HeadOf(slot);
        var first = range.First;
        var last = range.Last;
        if (head < first)
        {
            return 0;
        }

        var ringLength = _store.RingLength;
        var columns = _store.ColumnsOf(slot);
        var top = Math.Min(last, head);
        var bottom = Math.Max(first, head - ringLength + 1);
        var firstInterval = FloorDiv(first, intervalBuckets) * intervalBuckets;
        var index = IndexOf(bottom, ringLength);
        var maxOffsetMs = (int)(_store.ResolutionMs - 1);

        // Interval k of bucket b and b's place in it, advanced per bucket (no division per bucket).
        var k = (int)((bottom - firstInterval) / intervalBuckets);
        var place = (int)((bottom - firstInterval) % intervalBuckets);
        long points = 0;
        for (var b = bottom; b <= top; b++)
        {
            int bucketCount;
            double value;
            if (b == first || b == last)
            {
                // The mean adds up sums and divides by the points once per interval: an edge gives its counted points' sum.
                var startOffsetMs = b == first ? range.StartOffsetMs : 0;
                var endOffsetMs = b == last ? range.EndOffsetMs : maxOffsetMs;
                bucketCount = TRollup.IsMean
                    ? Edge<SumRollup>(columns, index, startOffsetMs, endOffsetMs, out value)
                    : Edge<TRollup>(columns, index, startOffsetMs, endOffsetMs, out value);
            }
            else
            {
                bucketCount = columns.Count[index];
                value = bucketCount == 0 ? 0 : TRollup.IsMean ? columns.Sum[index] : TRollup.Of(columns, index);
            }

            if (bucketCount != 0)
            {
                points += bucketCount;
                early |= IsEarly(columns, index, b, range);
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

    /// <summary>The place of bucket <paramref name="value"/> in its interval of <paramref name="divisor"/> buckets (never negative).</summary>
    internal static long FloorMod(long value, long divisor) => value - (FloorDiv(value, divisor) * divisor);

    /// <summary>The store whose windows this evaluator reads.</summary>
    public SeriesStore Store => _store;

    /// <summary>Evaluates one series.</summary>
    public EvaluationResult Evaluate(int slot, in WindowSpec spec, long evaluationMs) =>
        Evaluate(new ReadOnlySpan<int>(in slot), spec, evaluationMs);

    /// <summary>Evaluates the group formed by <paramref name="slots"/> (live slots) at instant <paramref name="evaluationMs"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The window is longer than a series ring.</exception>
    public EvaluationResult Evaluate(ReadOnlySpan<int> slots, in WindowSpec spec, long evaluationMs)
    {
        var current = EvaluateWindow(slots, spec.Inner, spec.Space, RangeOf(_store, spec, evaluationMs));
        if (!spec.IsChange)
        {
            return current;
        }

        var old = EvaluateWindow(slots, spec.Inner, spec.Space, RangeOf(_store, spec, evaluationMs - spec.ShiftMs));
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
    /// The window of <paramref name="spec"/> ending at <paramref name="endMs"/>: (endMs − W, endMs],
    /// or for a calendar window [the last multiple of W (UTC, floor also before 1970), endMs].
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The window can touch more buckets than a series ring holds.</exception>
    internal static WindowRange RangeOf(SeriesStore store, in WindowSpec spec, long endMs)
    {
        if (spec.IsCalendar)
        {
            var remainder = endMs % spec.WindowMs;
            var startMs = endMs - (remainder < 0 ? remainder + spec.WindowMs : remainder);
            var calendar = WindowRange.Of(store, startMs, endMs);
            if (calendar.Count > store.RingLength)
            {
                throw new ArgumentOutOfRangeException(nameof(spec), spec.WindowMs, $"The calendar window spans {calendar.Count} buckets but the store keeps {store.RingLength} per series.");
            }

            return calendar;
        }

        var most = WindowRange.MaxBuckets(spec.WindowMs, store.ResolutionMs);
        if (most > store.RingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.WindowMs, $"The window touches up to {most} buckets but the store keeps {store.RingLength} per series.");
        }

        return WindowRange.Of(store, endMs - spec.WindowMs + 1, endMs);
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
            var columns = _store.ColumnsOf(slot);
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
    /// The space value of each bucket of <paramref name="range"/> for the group (steps 1–3 of the
    /// definition, edge buckets cut at the window's edges): <paramref name="contributors"/>[i] is the
    /// number of series with points of the window in bucket <c>range.First + i</c> (0: the bucket has
    /// no value), <paramref name="values"/>[i] its value. Returns the points read, and in
    /// <paramref name="early"/> whether a series has a point in the window's first r ms (see
    /// <see cref="EvaluationResult.FullWindow"/>). What a formula reads for each of its metric queries.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The spans are not the range's length or are longer than a series ring.</exception>
    public long FillBuckets(ReadOnlySpan<int> slots, TimeAggregation rollup, SpaceAggregation space, in WindowRange range, Span<double> values, Span<int> contributors, out bool early)
    {
        if (values.Length != contributors.Length || values.Length != range.Count || values.Length > _store.RingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(values), values.Length, $"values and contributors have the window's {range.Count} buckets, at most the ring's {_store.RingLength}");
        }

        contributors.Clear();
        if (slots.Length == 1)
        {
            // One series: its rollup is the space value whatever the space aggregation (x / 1 = x).
            return rollup switch
            {
                TimeAggregation.Avg => FillSingle<AvgRollup>(slots[0], range, values, contributors, out early),
                TimeAggregation.Sum => FillSingle<SumRollup>(slots[0], range, values, contributors, out early),
                TimeAggregation.Min => FillSingle<MinRollup>(slots[0], range, values, contributors, out early),
                TimeAggregation.Max => FillSingle<MaxRollup>(slots[0], range, values, contributors, out early),
                TimeAggregation.Last => FillSingle<LastRollup>(slots[0], range, values, contributors, out early),
                TimeAggregation.Count => FillSingle<CountRollup>(slots[0], range, values, contributors, out early),
                _ => throw new UnreachableException("change is evaluated as two inner windows"),
            };
        }

        var points = rollup switch
        {
            TimeAggregation.Avg => Accumulate<AvgRollup>(slots, space, range, values, contributors, out early),
            TimeAggregation.Sum => Accumulate<SumRollup>(slots, space, range, values, contributors, out early),
            TimeAggregation.Min => Accumulate<MinRollup>(slots, space, range, values, contributors, out early),
            TimeAggregation.Max => Accumulate<MaxRollup>(slots, space, range, values, contributors, out early),
            TimeAggregation.Last => Accumulate<LastRollup>(slots, space, range, values, contributors, out early),
            TimeAggregation.Count => Accumulate<CountRollup>(slots, space, range, values, contributors, out early),
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

    /// <summary>
    /// <see cref="FillBuckets"/> of a group of one series (what most formula operands read): each
    /// bucket's rollup written once, without the space combine's read of the entry before (the
    /// contributors are cleared by the caller).
    /// </summary>
    private long FillSingle<TRollup>(int slot, in WindowRange range, Span<double> values, Span<int> contributors, out bool early)
        where TRollup : struct, IRollup
    {
        Invariant.Check(_store.IsLive(slot), "evaluated slots must be live");
        early = false;
        var head = _store.HeadOf(slot);
        var first = range.First;
        var last = range.Last;
        if (head < first)
        {
            return 0;
        }

        var ringLength = _store.RingLength;
        var columns = _store.ColumnsOf(slot);
        var top = Math.Min(last, head);
        var bottom = Math.Max(first, head - ringLength + 1);
        var index = IndexOf(bottom, ringLength);
        var maxOffsetMs = (int)(_store.ResolutionMs - 1);
        long points = 0;
        for (var b = bottom; b <= top; b++)
        {
            var count = ReadBucket<TRollup>(columns, index, b, range, maxOffsetMs, out var rollup);
            if (count != 0)
            {
                points += count;
                early |= IsEarly(columns, index, b, range);
                var i = (int)(b - first);
                values[i] = rollup;
                contributors[i] = 1;
            }

            if (++index == ringLength)
            {
                index = 0;
            }
        }

        return points;
    }

    private long Accumulate<TRollup>(ReadOnlySpan<int> slots, SpaceAggregation space, in WindowRange range, Span<double> values, Span<int> contributors, out bool early)
        where TRollup : struct, IRollup => space switch
    {
        SpaceAggregation.Min => Accumulate<TRollup, MinSpace>(slots, range, values, contributors, out early),
        SpaceAggregation.Max => Accumulate<TRollup, MaxSpace>(slots, range, values, contributors, out early),
        _ => Accumulate<TRollup, SumSpace>(slots, range, values, contributors, out early),
    };

    private EvaluationResult EvaluateWindow(ReadOnlySpan<int> slots, TimeAggregation aggregation, SpaceAggregation space, in WindowRange range) => aggregation switch
    {
        TimeAggregation.Avg => EvaluateWindow<AvgRollup>(slots, space, range),
        TimeAggregation.Sum => EvaluateWindow<SumRollup>(slots, space, range),
        TimeAggregation.Min => EvaluateWindow<MinRollup>(slots, space, range),
        TimeAggregation.Max => EvaluateWindow<MaxRollup>(slots, space, range),
        TimeAggregation.Last => EvaluateWindow<LastRollup>(slots, space, range),
        TimeAggregation.Count => EvaluateWindow<CountRollup>(slots, space, range),
        _ => throw new UnreachableException("change is evaluated as two inner windows"),
    };

    private EvaluationResult EvaluateWindow<TRollup>(ReadOnlySpan<int> slots, SpaceAggregation space, in WindowRange range)
        where TRollup : struct, IRollup
    {
        if (slots.Length == 1)
        {
            return SingleSeries<TRollup>(slots[0], range);
        }

        var n = range.Count;
        var values = _values.AsSpan(0, n);
        var contributors = _contributors.AsSpan(0, n);
        contributors.Clear();
        bool early;
        var points = space switch
        {
            SpaceAggregation.Min => Accumulate<TRollup, MinSpace>(slots, range, values, contributors, out early),
            SpaceAggregation.Max => Accumulate<TRollup, MaxSpace>(slots, range, values, contributors, out early),
            _ => Accumulate<TRollup, SumSpace>(slots, range, values, contributors, out early),
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

        return Finish<TRollup>(result, buckets, early, points);
    }

    /// <summary>One series: the space aggregation of a single rollup is the rollup itself.</summary>
    private EvaluationResult SingleSeries<TRollup>(int slot, in WindowRange range)
        where TRollup : struct, IRollup
    {
        Invariant.Check(_store.IsLive(slot), "evaluated slots must be live");
        var head = _store.HeadOf(slot);
        var first = range.First;
        // Also skips series without data: NoData and the free marker are below any window.
        if (head < first)
        {
            return EvaluationResult.NoValue(false, 0);
        }

        var ringLength = _store.RingLength;
        var columns = _store.ColumnsOf(slot);
        var top = Math.Min(range.Last, head);
        var bottom = Math.Max(first, head - ringLength + 1);
        var index = IndexOf(bottom, ringLength);
        var maxOffsetMs = (int)(_store.ResolutionMs - 1);
        long points = 0;
        var result = 0.0;
        var buckets = 0;
        var full = false;
        for (var b = bottom; b <= top; b++)
        {
            var count = ReadBucket<TRollup>(columns, index, b, range, maxOffsetMs, out var value);
            if (count != 0)
            {
                points += count;
                full |= IsEarly(columns, index, b, range);
                result = buckets++ == 0 ? value : TRollup.Fold(result, value);
            }

            if (++index == ringLength)
            {
                index = 0;
            }
        }

        return Finish<TRollup>(result, buckets, full, points);
    }

    private long Accumulate<TRollup, TSpace>(ReadOnlySpan<int> slots, in WindowRange range, Span<double> values, Span<int> contributors, out bool early)
        where TRollup : struct, IRollup
        where TSpace : struct, ISpace
    {
        var ringLength = _store.RingLength;
        var first = range.First;
        var last = range.Last;
        var maxOffsetMs = (int)(_store.ResolutionMs - 1);
        long points = 0;
        early = false;
        foreach (var slot in slots)
        {
            Invariant.Check(_store.IsLive(slot), "evaluated slots must be live");
            var head = _store.HeadOf(slot);
            if (head < first)
            {
                continue;
            }

            var columns = _store.ColumnsOf(slot);
            var top = Math.Min(last, head);
            var bottom = Math.Max(first, head - ringLength + 1);
            var index = IndexOf(bottom, ringLength);
            for (var b = bottom; b <= top; b++)
            {
                var count = ReadBucket<TRollup>(columns, index, b, range, maxOffsetMs, out var rollup);
                if (count != 0)
                {
                    points += count;
                    early |= IsEarly(columns, index, b, range);
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

    /// <summary>
    /// The rollup of bucket <paramref name="b"/> of <paramref name="range"/>: an edge bucket through
    /// <see cref="Edge{TRollup}"/> (only its points inside the range count), any other whole; returns how many
    /// points count (0: none, <paramref name="rollup"/> is then 0).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int ReadBucket<TRollup>(in BucketColumns columns, int index, long b, in WindowRange range, int maxOffsetMs, out double rollup)
        where TRollup : struct, IRollup
    {
        if (b == range.First || b == range.Last)
        {
            return Edge<TRollup>(columns, index, b == range.First ? range.StartOffsetMs : 0, b == range.Last ? range.EndOffsetMs : maxOffsetMs, out rollup);
        }

        var count = columns.Count[index];
        rollup = count != 0 ? TRollup.Of(columns, index) : 0;
        return count;
    }

    /// <summary>
    /// The rollup of the points of one bucket inside the offsets [<paramref name="startOffsetMs"/>,
    /// <paramref name="endOffsetMs"/>] (step 1 of the definition); returns how many points count
    /// (0: none, <paramref name="value"/> is then 0).
    /// </summary>
    private static int Edge<TRollup>(in BucketColumns columns, int index, int startOffsetMs, int endOffsetMs, out double value)
        where TRollup : struct, IRollup
    {
        value = 0;
        var count = columns.Count[index];
        if (count == 0)
        {
            return 0;
        }

        var firstOffsetMs = columns.FirstOffsetMs[index];
        var lastOffsetMs = columns.LastOffsetMs[index];
        if (lastOffsetMs < startOffsetMs || firstOffsetMs > endOffsetMs)
        {
            return 0;
        }

        if ((firstOffsetMs >= startOffsetMs && lastOffsetMs <= endOffsetMs) || count > Bucket.ExactPoints || firstOffsetMs == Bucket.UnknownOffset)
        {
            value = TRollup.Of(columns, index);
            return count;
        }

        // Two points and an edge between them (one point is never cut): at most one is inside.
        Invariant.Check(count == 2, "only a bucket of two points is split at an edge");
        if (lastOffsetMs <= endOffsetMs)
        {
            value = TRollup.OfPoint(columns.Last[index]);
            return 1;
        }

        if (firstOffsetMs >= startOffsetMs)
        {
            value = TRollup.OfPoint(columns.EarlierOfTwo(index));
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// Whether a bucket whose points count in the window has one in the window's first r ms
    /// (the full-window test): any counted point of the oldest bucket, or in the next bucket a
    /// first point before the start offset (an unknown first offset counts as the bucket start).
    /// </summary>
    private static bool IsEarly(in BucketColumns columns, int index, long bucket, in WindowRange range) =>
        bucket == range.First || (bucket == range.First + 1 && Math.Max(columns.FirstOffsetMs[index], 0) < range.StartOffsetMs);

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

        /// <summary>The rollup of a bucket holding the single point <paramref name="value"/>.</summary>
        static abstract double OfPoint(double value);

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

        public static double OfPoint(double value) => value;

        public static double Fold(double accumulated, double value) => accumulated + value;
    }

    private readonly struct SumRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Sum[index];

        public static double OfPoint(double value) => value;

        public static double Fold(double accumulated, double value) => accumulated + value;
    }

    private readonly struct MinRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Min[index];

        public static double OfPoint(double value) => value;

        public static double Fold(double accumulated, double value) => Math.Min(accumulated, value);
    }

    private readonly struct MaxRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Max[index];

        public static double OfPoint(double value) => value;

        public static double Fold(double accumulated, double value) => Math.Max(accumulated, value);
    }

    private readonly struct LastRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Last[index];

        public static double OfPoint(double value) => value;

        public static double Fold(double accumulated, double value) => value;
    }

    private readonly struct CountRollup : IRollup
    {
        public static bool IsMean => false;

        public static double Of(in BucketColumns columns, int index) => columns.Count[index];

        public static double OfPoint(double value) => 1;

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
