using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// Computes <c>time_aggregation(window):formula</c> over one group of a formula monitor, whose
/// metric queries each have their own series. Single-threaded; allocation-free (scratch sized once
/// to <see cref="QueryLimits.MaxFormulaOperands"/> rings).
/// </summary>
/// <remarks>
/// Definition (docs/query-language.md has the worked version; the brute-force oracle in the
/// tests encodes the same words). With the window's buckets as in <see cref="WindowEvaluator"/>:
/// <list type="number">
/// <item>Operands. Each metric query gets a value in each bucket exactly as a plain monitor's
/// group does (rollup with the time aggregation's natural rollup, then its space aggregation),
/// or none when none of its series has a point there.</item>
/// <item>Formula. A bucket where no operand has a value is skipped. Otherwise the formula is
/// computed with a missing operand as "undefined"; an operator or function of an undefined
/// value is undefined, except <c>default_zero</c>, which turns it into 0. Division by zero, a
/// logarithm of a value ≤ 0 and any non-finite intermediate are undefined too. A bucket whose
/// result is undefined is skipped. <c>per_second</c>, <c>per_minute</c> and <c>diff</c> read
/// their argument in the previous bucket of the window where it is defined (p, i − p buckets
/// back): <c>diff</c> is x[i] − x[p]; <c>per_second</c> is the growth x[i] − x[p], or x[i] when
/// x fell (a counter reset; 0 if x[i] &lt; 0), over (i − p) × the resolution in seconds, and
/// <c>per_minute</c> the same over minutes. With no such p they are undefined.</item>
/// <item>Time. The remaining bucket values are reduced as a plain monitor's are: avg → sum /
/// number, sum and count → sum, min, max, last → the newest.</item>
/// <item>Change and pct_change compare two such windows as <see cref="WindowEvaluator"/> does.</item>
/// </list>
/// The full-window flag says the formula has a value in the window's oldest bucket, or in the next
/// one while some operand has a point in the window's first r ms (the window's start cuts its
/// oldest bucket); the point count adds up the points each operand read.
/// </remarks>
public sealed class FormulaEvaluator
{
    private readonly WindowEvaluator _windows;
    private readonly SeriesStore _store;
    private readonly int _ringLength;
    private readonly double[] _values;
    private readonly int[] _contributors;
    private readonly bool[] _present;
    private readonly double[] _stack;
    private readonly double[] _points;
    private readonly double[] _divisors;

    /// <summary>Creates a formula evaluator reading through <paramref name="windows"/>.</summary>
    public FormulaEvaluator(WindowEvaluator windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        _windows = windows;
        _store = windows.Store;
        _ringLength = _store.RingLength;
        _values = new double[QueryLimits.MaxFormulaOperands * _ringLength];
        _contributors = new int[QueryLimits.MaxFormulaOperands * _ringLength];
        _present = new bool[_ringLength];

        // A postfix program of at most MaxFormulaNodes steps never holds more rows than that.
        _stack = new double[QueryLimits.MaxFormulaNodes * _ringLength];
        _points = new double[_ringLength];
        _divisors = new double[_ringLength];
    }

    /// <summary>
    /// Evaluates the formula over the group whose operand k reads the live slots
    /// <paramref name="operandSlots"/>[k], at instant <paramref name="evaluationMs"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The window is longer than a series ring.</exception>
    /// <exception cref="ArgumentException">The slot lists do not match the program's operands.</exception>
    public EvaluationResult Evaluate(FormulaProgram program, ReadOnlySpan<SmallIntList> operandSlots, in WindowSpec spec, long evaluationMs)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (operandSlots.Length != program.OperandCount)
        {
            throw new ArgumentException($"the formula reads {program.OperandCount} metric queries, {operandSlots.Length} slot lists were given", nameof(operandSlots));
        }

        var current = EvaluateWindow(program, operandSlots, spec.Inner, WindowEvaluator.RangeOf(_store, spec, evaluationMs));
        if (!spec.IsChange)
        {
            return current;
        }

        var old = EvaluateWindow(program, operandSlots, spec.Inner, WindowEvaluator.RangeOf(_store, spec, evaluationMs - spec.ShiftMs));
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

    /// <summary>Newest point any operand of the group can see (see <see cref="WindowEvaluator.NewestPointMs"/>).</summary>
    public long NewestPointMs(ReadOnlySpan<SmallIntList> operandSlots, long evaluationMs)
    {
        var newest = long.MinValue;
        foreach (var slots in operandSlots)
        {
            newest = Math.Max(newest, _windows.NewestPointMs(slots.AsSpan(), evaluationMs));
        }

        return newest;
    }

    /// <summary>
    /// The number <c>top()</c> ranks the group by (<see cref="FormulaProgram.Top"/>): its reducer
    /// over the bucket values of the window ending at <paramref name="evaluationMs"/>, computed as
    /// the monitor computes them (the time aggregation's rollup, the space aggregation, the
    /// formula); false when no bucket has a value or the result is not finite. With modifiers the
    /// rows are the ones the group is evaluated from: the formula per rollup interval (area: × the
    /// interval's seconds), or with <c>.as_count()</c> its one value over the window (area: × the
    /// window's seconds).
    /// </summary>
    public bool Rank(FormulaProgram program, ReadOnlySpan<SmallIntList> operandSlots, in WindowSpec spec, long evaluationMs, out double rank)
    {
        ArgumentNullException.ThrowIfNull(program);
        Invariant.Check(program.Top is not null, "only a top() program is ranked");
        Invariant.Check(!spec.IsChange && !spec.IsCalendar, "top() reads a plain window");
        if (operandSlots.Length != program.OperandCount)
        {
            throw new ArgumentException("the slot lists do not fit the program", nameof(operandSlots));
        }

        var range = WindowEvaluator.RangeOf(_store, spec, evaluationMs);
        int n;
        Span<double> values;
        double rowSeconds;
        if (program.HasModifiers)
        {
            // The rows the group is evaluated from: the formula per rollup interval, or with
            // .as_count() its one value over the window (each query totalled first).
            n = FillIntervalRows(program, operandSlots, spec.Inner, range, out var intervalBuckets, out _, out _);
            values = Run(program.Steps.AsSpan(), n, intervalBuckets);
            rowSeconds = program.AggregatesFirst ? spec.WindowMs / 1_000.0 : intervalBuckets * _store.ResolutionMs / 1_000.0;
        }
        else
        {
            n = range.Count;
            FillOperands(program, operandSlots, spec.Inner, range, out _);
            values = Run(program.Steps.AsSpan(), n, 1);
            rowSeconds = _store.ResolutionMs / 1_000.0;
        }

        var present = _present.AsSpan(0, n);
        var reducer = program.Top!.Reducer;
        var result = 0.0;
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            var value = values[i];
            if (!present[i] || double.IsNaN(value))
            {
                continue;
            }

            result = reducer switch
            {
                TopReducer.Min => count == 0 ? value : Math.Min(result, value),
                TopReducer.Max => count == 0 ? value : Math.Max(result, value),
                TopReducer.Last => value,
                TopReducer.L2Norm or TopReducer.Norm => result + (value * value),
                _ => result + value,
            };
            count++;
        }

        rank = reducer switch
        {
            TopReducer.Mean => result / count,
            TopReducer.Area => result * rowSeconds,
            TopReducer.L2Norm or TopReducer.Norm => Math.Sqrt(result),
            _ => result,
        };
        return count > 0 && double.IsFinite(rank);
    }

    // Each operand's bucket values over the buckets of the range (as Run's operand rows: see Encode),
    // and which buckets any operand has a value in; returns the points read, and whether the oldest
    // bucket lies partly before the window so that the bucket after it is the window's first full one.
    private long FillOperands(FormulaProgram program, ReadOnlySpan<SmallIntList> operandSlots, TimeAggregation aggregation, in WindowRange range, out bool early)
    {
        var n = range.Count;
        early = false;
        long points = 0;
        var present = _present.AsSpan(0, n);
        present.Clear();
        for (var k = 0; k < program.OperandCount; k++)
        {
            var contributors = _contributors.AsSpan(k * _ringLength, n);
            var values = _values.AsSpan(k * _ringLength, n);
            points += _windows.FillBuckets(
                operandSlots[k].AsSpan(),
                aggregation,
                program.OperandSpaces[k],
                range,
                values,
                contributors,
                out var operandEarly);
            early |= operandEarly;
            Encode(values, contributors, present);
        }

        return points;
    }

    // An operand's values as the formula reads them, in place: undefined (NaN) where it has no value
    // or a non-finite one; and the buckets where it has a value marked present. One pass, so that the
    // formula's operand step is a copy.
    private static void Encode(Span<double> values, ReadOnlySpan<int> contributors, Span<bool> present)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var has = contributors[i] != 0;
            values[i] = has ? Defined(values[i]) : double.NaN;
            present[i] |= has;
        }
    }

    private EvaluationResult EvaluateWindow(FormulaProgram program, ReadOnlySpan<SmallIntList> operandSlots, TimeAggregation aggregation, in WindowRange range)
    {
        if (program.HasModifiers)
        {
            return EvaluateIntervals(program, operandSlots, aggregation, range);
        }

        var n = range.Count;
        var points = FillOperands(program, operandSlots, aggregation, range, out var early);
        var present = _present.AsSpan(0, n);

        // The formula runs step by step over the whole window (one tight loop per step), not bucket
        // by bucket: the same operations on each bucket's values, so the same bits, with the
        // dispatch paid once per step instead of once per step and bucket.
        var values = Run(program.Steps.AsSpan(), n, 1);
        if (program.Anomaly is { } anomaly)
        {
            return EvaluateAnomalies(anomaly, values, present, aggregation, (int)Math.Min(points, int.MaxValue), early, 1, 0, 0);
        }

        return Reduce(values, present, aggregation, points, early);
    }

    /// <summary>
    /// A formula whose operands carry modifiers: each operand is read per rollup interval
    /// (<see cref="WindowEvaluator.FillIntervals"/>; the formula's operands share one interval, and
    /// the window's edges cut the intervals at its ends) and the formula runs over the intervals as
    /// it runs over buckets, <c>per_second</c> dividing by intervals apart × the interval's length.
    /// With an operand read <c>.as_count()</c>, each operand is first reduced over the window with
    /// the time aggregation (Datadog's as_count evaluation path), and the formula computed once from
    /// those values (not for anomalies(), which judges the formula's intervals as it judges buckets,
    /// an interval standing for a bucket). The full-window flag is as for buckets: a value in the
    /// oldest interval, or in the next one while some operand has a point in the window's first r ms.
    /// </summary>
    private EvaluationResult EvaluateIntervals(FormulaProgram program, ReadOnlySpan<SmallIntList> operandSlots, TimeAggregation aggregation, in WindowRange range)
    {
        var rows = FillIntervalRows(program, operandSlots, aggregation, range, out var intervalBuckets, out var points, out var early);
        var result = Run(program.Steps.AsSpan(), rows, intervalBuckets);
        if (program.Anomaly is { } anomaly)
        {
            // Only whole intervals make points: the window's edges cut its oldest interval (starting
            // before the window) and its newest (ending after the evaluation), and a cut interval of
            // a sum or count would read as a drop.
            var lead = WindowEvaluator.FloorMod(range.First, intervalBuckets) != 0 || range.StartOffsetMs != 0 ? 1 : 0;
            var trail = WindowEvaluator.FloorMod(range.Last + 1, intervalBuckets) != 0 || range.EndOffsetMs != _store.ResolutionMs - 1 ? 1 : 0;
            return EvaluateAnomalies(anomaly, result, _present.AsSpan(0, rows), aggregation, (int)Math.Min(points, int.MaxValue), early, intervalBuckets, lead, trail);
        }

        return Reduce(result, _present.AsSpan(0, rows), aggregation, points, early);
    }

    // Each operand's values per rollup interval of the range (or, aggregating first, over the window in
    // row 0), and which rows any operand has a value in; returns the number of rows.
    private int FillIntervalRows(FormulaProgram program, ReadOnlySpan<SmallIntList> operandSlots, TimeAggregation aggregation, in WindowRange range, out int intervalBuckets, out long points, out bool early)
    {
        points = 0;
        early = false;
        var operands = program.OperandCount;
        intervalBuckets = _windows.IntervalBuckets(program.OperandModifiers[0]);
        var count = WindowEvaluator.IntervalCount(range.First, range.Count, intervalBuckets);
        var rows = program.AggregatesFirst ? 1 : count;
        var present = _present.AsSpan(0, rows);
        present.Clear();
        for (var k = 0; k < operands; k++)
        {
            var values = _values.AsSpan(k * _ringLength, count);
            var contributors = _contributors.AsSpan(k * _ringLength, count);
            points += _windows.FillIntervals(
                operandSlots[k].AsSpan(),
                aggregation,
                program.OperandSpaces[k],
                program.OperandModifiers[k],
                range,
                values,
                contributors,
                out var operandEarly);
            early |= operandEarly;
            if (program.AggregatesFirst)
            {
                // The operand's value over the window goes in row 0, as one interval.
                var folded = Reduce(values, contributors, aggregation);
                contributors[0] = double.IsNaN(folded) ? 0 : 1;
                values[0] = folded;
                Encode(values[..1], contributors[..1], present);
                continue;
            }

            Encode(values, contributors, present);
        }

        return rows;
    }

    // The time aggregation of an operand's interval values (NaN: none has a value).
    private static double Reduce(ReadOnlySpan<double> values, ReadOnlySpan<int> contributors, TimeAggregation aggregation)
    {
        var result = 0.0;
        var count = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (contributors[i] == 0)
            {
                continue;
            }

            var value = values[i];
            result = count++ == 0 ? value : aggregation switch
            {
                TimeAggregation.Min => Math.Min(result, value),
                TimeAggregation.Max => Math.Max(result, value),
                TimeAggregation.Last => value,
                _ => result + value,
            };
        }

        return count == 0 ? double.NaN : aggregation == TimeAggregation.Avg ? result / count : result;
    }

    // The formula's row values reduced over the window: rows without an operand value or undefined
    // are skipped; full when the oldest row has a value, or the next one while early (a point in the
    // window's first r ms: the oldest row may hold only a sliver of the window).
    private static EvaluationResult Reduce(ReadOnlySpan<double> values, ReadOnlySpan<bool> present, TimeAggregation aggregation, long points, bool early)
    {
        var n = values.Length;
        var pointCount = (int)Math.Min(points, int.MaxValue);
        var result = 0.0;
        var buckets = 0;
        var oldestHasValue = (n > 0 && present[0] && !double.IsNaN(values[0])) || (early && n > 1 && present[1] && !double.IsNaN(values[1]));
        if (aggregation is TimeAggregation.Min or TimeAggregation.Max or TimeAggregation.Last)
        {
            for (var i = 0; i < n; i++)
            {
                var value = values[i];
                if (!present[i] || double.IsNaN(value))
                {
                    continue;
                }

                result = buckets++ == 0 ? value : aggregation switch
                {
                    TimeAggregation.Min => Math.Min(result, value),
                    TimeAggregation.Max => Math.Max(result, value),
                    _ => value,
                };
            }
        }
        else
        {
            // The sum oldest first without a branch per bucket: −0 + x is x bit for bit (so the first
            // value is taken as is), and a bucket without a value adds −0, which changes nothing.
            result = -0.0;
            for (var i = 0; i < n; i++)
            {
                var value = values[i];
                var has = present[i] && !double.IsNaN(value);
                result += has ? value : -0.0;
                buckets += has ? 1 : 0;
            }
        }

        if (buckets == 0)
        {
            return EvaluationResult.NoValue(oldestHasValue, pointCount);
        }

        return new EvaluationResult(true, aggregation == TimeAggregation.Avg ? result / buckets : result, oldestHasValue, pointCount);
    }

    // anomalies(formula, 'basic', k, …) over the window's bucket values, or with modifiers its rollup
    // intervals' values, a row for a bucket (docs/query-language.md, "Anomalies"): points of q rows
    // ending with the newest row (each the time aggregation of its rows with a value); the last A
    // points (the alert window) are each judged against the mean ± k·σ (population) of the
    // H = P − A points before it, when at least two of those have a value; the value is the
    // fraction judged anomalous. The first lead and last trail rows (intervals cut by the window's
    // edges) make no point; the full-window flag still reads them. O(A·H) with P ≤ ring length; no
    // allocation.
    private EvaluationResult EvaluateAnomalies(AnomalySpec anomaly, ReadOnlySpan<double> values, ReadOnlySpan<bool> present, TimeAggregation aggregation, int pointCount, bool early, int intervalBuckets, int lead, int trail)
    {
        var oldestHasValue = (values.Length > 0 && present[0] && !double.IsNaN(values[0])) || (early && values.Length > 1 && present[1] && !double.IsNaN(values[1]));
        var whole = Math.Max(0, values.Length - lead - trail);
        values = values.Slice(Math.Min(lead, values.Length), whole);
        present = present.Slice(Math.Min(lead, present.Length), whole);
        var n = values.Length;

        // A row is a bucket, or with modifiers a rollup interval of intervalBuckets buckets.
        var rowMs = intervalBuckets * _store.ResolutionMs;
        var q = AnomalyPointBuckets(anomaly, rowMs);
        var pointTotal = n / q;
        var skipped = n - (pointTotal * q);
        var alertPoints = (int)Math.Min(pointTotal, (((anomaly.AlertWindowMs + rowMs - 1) / rowMs) + q - 1) / q);
        var history = pointTotal - alertPoints;
        var pointValues = _points.AsSpan(0, pointTotal);
        for (var j = 0; j < pointTotal; j++)
        {
            var value = 0.0;
            var count = 0;
            var from = skipped + (j * q);
            for (var i = from; i < from + q; i++)
            {
                var bucket = values[i];
                if (!present[i] || double.IsNaN(bucket))
                {
                    continue;
                }

                value = count++ == 0 ? bucket : aggregation switch
                {
                    TimeAggregation.Min => Math.Min(value, bucket),
                    TimeAggregation.Max => Math.Max(value, bucket),
                    TimeAggregation.Last => bucket,
                    _ => value + bucket,
                };
            }

            pointValues[j] = count == 0
                ? anomaly.CountDefaultZero ? 0 : double.NaN
                : aggregation == TimeAggregation.Avg ? value / count : value;
        }

        var judged = 0;
        var anomalous = 0;
        for (var j = history; j < pointTotal; j++)
        {
            var x = pointValues[j];
            if (double.IsNaN(x))
            {
                continue;
            }

            var sum = 0.0;
            var defined = 0;
            for (var h = j - history; h < j; h++)
            {
                if (!double.IsNaN(pointValues[h]))
                {
                    sum += pointValues[h];
                    defined++;
                }
            }

            if (defined < 2)
            {
                continue;
            }

            var mean = sum / defined;
            var squares = 0.0;
            for (var h = j - history; h < j; h++)
            {
                if (!double.IsNaN(pointValues[h]))
                {
                    var deviation = pointValues[h] - mean;
                    squares += deviation * deviation;
                }
            }

            var band = anomaly.Bounds * Math.Sqrt(squares / defined);
            var above = x > mean + band;
            var below = x < mean - band;
            judged++;
            if (anomaly.Direction switch
            {
                AnomalyDirection.Above => above,
                AnomalyDirection.Below => below,
                _ => above || below,
            })
            {
                anomalous++;
            }
        }

        return judged == 0
            ? EvaluationResult.NoValue(oldestHasValue, pointCount)
            : new EvaluationResult(true, (double)anomalous / judged, oldestHasValue, pointCount);
    }

    /// <summary>
    /// Rows per anomalies() point: the interval rounded up to whole rows of <paramref name="resolutionMs"/>
    /// (buckets, or with modifiers rollup intervals), at least one.
    /// </summary>
    public static int AnomalyPointBuckets(AnomalySpec anomaly, long resolutionMs)
    {
        ArgumentNullException.ThrowIfNull(anomaly);
        return (int)Math.Max(1, ((anomaly.IntervalSeconds * 1_000) + resolutionMs - 1) / resolutionMs);
    }

    // The formula over buckets 0 … n − 1 on a stack of bucket rows; NaN stands for "undefined" and
    // propagates through arithmetic. Returns the row holding the result.
    private Span<double> Run(ReadOnlySpan<FormulaStep> steps, int n, int intervalBuckets)
    {
        var top = -1;
        foreach (var step in steps)
        {
            switch (step.Kind)
            {
                case FormulaStepKind.Operand:
                {
                    // The operand's row was encoded when it was filled (Encode).
                    _values.AsSpan(step.Operand * _ringLength, n).CopyTo(Row(++top, n));
                    break;
                }

                case FormulaStepKind.Constant:
                    Row(++top, n).Fill(step.Constant);
                    break;
                case FormulaStepKind.Negate:
                {
                    var row = Row(top, n);
                    for (var i = 0; i < n; i++)
                    {
                        row[i] = -row[i];
                    }

                    break;
                }

                case FormulaStepKind.Abs:
                {
                    var row = Row(top, n);
                    for (var i = 0; i < n; i++)
                    {
                        row[i] = Math.Abs(row[i]);
                    }

                    break;
                }

                case FormulaStepKind.Log2:
                {
                    var row = Row(top, n);
                    for (var i = 0; i < n; i++)
                    {
                        row[i] = row[i] > 0 ? Math.Log2(row[i]) : double.NaN;
                    }

                    break;
                }

                case FormulaStepKind.Log10:
                {
                    var row = Row(top, n);
                    for (var i = 0; i < n; i++)
                    {
                        row[i] = row[i] > 0 ? Math.Log10(row[i]) : double.NaN;
                    }

                    break;
                }

                case FormulaStepKind.DefaultZero:
                {
                    var row = Row(top, n);
                    for (var i = 0; i < n; i++)
                    {
                        row[i] = double.IsNaN(row[i]) ? 0 : row[i];
                    }

                    break;
                }

                case FormulaStepKind.PerSecond:
                    Derive(Row(top, n), step.Kind, intervalBuckets * _store.ResolutionMs / 1_000.0);
                    break;
                case FormulaStepKind.PerMinute:
                    Derive(Row(top, n), step.Kind, intervalBuckets * _store.ResolutionMs / 60_000.0);
                    break;
                case FormulaStepKind.Diff:
                    Derive(Row(top, n), step.Kind, 1);
                    break;

                default:
                {
                    var right = Row(top--, n);
                    var left = Row(top, n);
                    Apply(step.Kind, left, right);
                    break;
                }
            }
        }

        Invariant.Check(top == 0, "a compiled formula leaves exactly one row on the stack");
        return Row(0, n);
    }

    // In place, oldest bucket first: each defined value against the previous defined one (the
    // original, kept in `previous`); a rate over `bucketUnits` (a bucket's length in seconds or
    // minutes) per bucket apart, a diff as is. The divisions run after the walk, over the whole row
    // at once (Divide): an entry without a rate divides by 1, which leaves it as it is.
    private void Derive(Span<double> row, FormulaStepKind kind, double bucketUnits)
    {
        var divisors = _divisors.AsSpan(0, row.Length);
        var previous = double.NaN;
        var previousAt = -1;
        for (var i = 0; i < row.Length; i++)
        {
            var value = row[i];
            divisors[i] = 1;
            if (double.IsNaN(value))
            {
                continue;
            }

            if (previousAt < 0)
            {
                row[i] = double.NaN;
            }
            else if (kind == FormulaStepKind.Diff)
            {
                row[i] = value - previous;
            }
            else
            {
                row[i] = value >= previous ? value - previous : Math.Max(value, 0);
                divisors[i] = (i - previousAt) * bucketUnits;
            }

            previous = value;
            previousAt = i;
        }

        Apply<DivideOperator>(row, divisors);
    }

    private static void Apply(FormulaStepKind kind, Span<double> left, ReadOnlySpan<double> right)
    {
        switch (kind)
        {
            case FormulaStepKind.Add:
                Apply<AddOperator>(left, right);
                break;
            case FormulaStepKind.Subtract:
                Apply<SubtractOperator>(left, right);
                break;
            case FormulaStepKind.Multiply:
                Apply<MultiplyOperator>(left, right);
                break;
            default:
                // x / 0 is ±∞ or NaN, which Defined makes undefined.
                Apply<DivideOperator>(left, right);
                break;
        }
    }

    // left[i] = Defined(left[i] op right[i]), 4 buckets at a time where the hardware has 256-bit
    // vectors: IEEE operations give the same bits one lane at a time or four, and every undefined
    // result becomes the same NaN.
    private static void Apply<TOperator>(Span<double> left, ReadOnlySpan<double> right)
        where TOperator : struct, IFormulaOperator
    {
        Invariant.Check(right.Length >= left.Length, "an operator reads two rows of the same length");
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var undefined = Vector256.Create(double.NaN);
            for (; i <= left.Length - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var result = TOperator.Of(Vector256.Create((ReadOnlySpan<double>)left.Slice(i)), Vector256.Create(right.Slice(i)));
                var finite = Vector256.Equals(result - result, Vector256<double>.Zero);
                Vector256.ConditionalSelect(finite, result, undefined).CopyTo(left.Slice(i));
            }
        }

        for (; i < left.Length; i++)
        {
            left[i] = Defined(TOperator.Of(left[i], right[i]));
        }
    }

    private interface IFormulaOperator
    {
        static abstract double Of(double left, double right);

        static abstract Vector256<double> Of(Vector256<double> left, Vector256<double> right);
    }

    private readonly struct AddOperator : IFormulaOperator
    {
        public static double Of(double left, double right) => left + right;

        public static Vector256<double> Of(Vector256<double> left, Vector256<double> right) => left + right;
    }

    private readonly struct SubtractOperator : IFormulaOperator
    {
        public static double Of(double left, double right) => left - right;

        public static Vector256<double> Of(Vector256<double> left, Vector256<double> right) => left - right;
    }

    private readonly struct MultiplyOperator : IFormulaOperator
    {
        public static double Of(double left, double right) => left * right;

        public static Vector256<double> Of(Vector256<double> left, Vector256<double> right) => left * right;
    }

    private readonly struct DivideOperator : IFormulaOperator
    {
        public static double Of(double left, double right) => left / right;

        public static Vector256<double> Of(Vector256<double> left, Vector256<double> right) => left / right;
    }

    private Span<double> Row(int index, int n) => _stack.AsSpan(index * _ringLength, n);

    private static double Defined(double value) => double.IsFinite(value) ? value : double.NaN;
}
