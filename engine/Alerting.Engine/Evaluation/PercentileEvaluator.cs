using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// Computes <c>percentile(window):pNN</c> over the bucket series of a distribution (cumulative
/// counts per upper bound, tagged <c>le:&lt;bound&gt;</c>). Single-threaded; allocation-free
/// (scratch sized once to <see cref="MaxBounds"/>).
/// </summary>
/// <remarks>
/// Definition (docs/query-language.md, "Percentiles"; the brute-force oracle in the tests encodes
/// the same words):
/// <list type="number">
/// <item>Counts. Each series of the group is summed over the window exactly as
/// <c>sum(window):sum</c> sums one series (<see cref="WindowEvaluator"/>: the window's edges cut
/// buckets the same way). A series without a readable <c>le</c> tag (a number, <c>+Inf</c>) is left out.</item>
/// <item>Bounds. The sums of the series that share a bound are added in group order: the
/// cumulative count of observations at or below the bound over the window, for the whole group.
/// A bin series (tagged <c>bin_le:&lt;bound&gt;</c>, DogStatsD) counts only its bin: the sums of
/// the bin series are added per bound the same way, then each finite bound's count gets the bins'
/// sums at or below it, added in increasing bound order (the running total); <c>+Inf</c> gets only
/// its own bins' sum, since DogStatsD's <c>le:+Inf</c> series already counts every observation.</item>
/// <item>Quantile (Prometheus's <c>histogram_quantile</c>). Bounds in increasing order; the highest
/// must be <c>+Inf</c>, and there must be at least two, else no value; counts made monotonic (each at
/// least the one before it); total = the <c>+Inf</c> count, no value when 0. rank = q × total; the
/// bucket is the first bound whose count is ≥ rank. In the <c>+Inf</c> bucket the value is the
/// highest finite bound; in the first bucket with a bound ≤ 0 it is that bound; otherwise
/// lower + (upper − lower) × (rank − count below) / (count of the bucket), the lower bound being 0
/// for the first bucket.</item>
/// </list>
/// A group whose series carry more than <see cref="MaxBounds"/> distinct bounds has no value: the
/// cap bounds the work and the scratch of one evaluation.
/// </remarks>
public sealed class PercentileEvaluator
{
    /// <summary>Most distinct bucket bounds a group may hold (OTLP SDKs default to 16; DogStatsD's fixed bin bounds are 241 and <c>+Inf</c>).</summary>
    public const int MaxBounds = 256;

    private readonly WindowEvaluator _window;
    private readonly double[] _bounds = new double[MaxBounds];
    private readonly double[] _counts = new double[MaxBounds];
    private readonly double[] _bins = new double[MaxBounds];

    private WindowSpec _sum;
    private long _evaluationMs;
    private int _used;
    private bool _overflow;
    private bool _fullWindow;
    private int _points;

    /// <summary>Creates an evaluator over <paramref name="window"/>'s store.</summary>
    public PercentileEvaluator(WindowEvaluator window)
    {
        ArgumentNullException.ThrowIfNull(window);
        _window = window;
    }

    /// <summary>The window evaluator this one reads through.</summary>
    public WindowEvaluator Window => _window;

    /// <summary>Starts a group's evaluation over the window of <paramref name="windowMs"/> ending at <paramref name="evaluationMs"/>.</summary>
    public void Begin(long windowMs, long evaluationMs)
    {
        _sum = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, windowMs);
        _evaluationMs = evaluationMs;
        _used = 0;
        _overflow = false;
        _fullWindow = false;
        _points = 0;
    }

    /// <summary>Adds a series of the group (in group order): its window sum goes to its bound.</summary>
    public void Add(int slot, double bound) => Add(slot, bound, bin: false);

    /// <summary>
    /// Adds a series of the group (in group order): its window sum goes to its bound, as a count at
    /// or below the bound, or when <paramref name="bin"/> as the count of the bin under the bound.
    /// </summary>
    public void Add(int slot, double bound, bool bin)
    {
        var result = _window.Evaluate(slot, _sum, _evaluationMs);
        _fullWindow |= result.FullWindow;
        _points += result.PointCount;
        if (!result.HasValue || double.IsNaN(bound))
        {
            return;
        }

        var index = Array.BinarySearch(_bounds, 0, _used, bound);
        if (index < 0)
        {
            if (_used == MaxBounds)
            {
                _overflow = true;
                return;
            }

            index = ~index;
            Array.Copy(_bounds, index, _bounds, index + 1, _used - index);
            Array.Copy(_counts, index, _counts, index + 1, _used - index);
            Array.Copy(_bins, index, _bins, index + 1, _used - index);
            _bounds[index] = bound;
            _counts[index] = 0;
            _bins[index] = 0;
            _used++;
        }

        if (bin)
        {
            _bins[index] += result.Value;
        }
        else
        {
            _counts[index] += result.Value;
        }
    }

    /// <summary>The percentile <paramref name="quantile"/> of the series added since <see cref="Begin"/>.</summary>
    public EvaluationResult Finish(double quantile)
    {
        if (_overflow)
        {
            return EvaluationResult.NoValue(_fullWindow, _points);
        }

        var below = 0.0;
        for (var i = 0; i < _used; i++)
        {
            below += _bins[i];
            _counts[i] += double.IsPositiveInfinity(_bounds[i]) ? _bins[i] : below;
        }

        var value = Quantile(quantile, _bounds.AsSpan(0, _used), _counts.AsSpan(0, _used));
        return double.IsNaN(value)
            ? EvaluationResult.NoValue(_fullWindow, _points)
            : new EvaluationResult(true, value, _fullWindow, _points);
    }

    /// <summary>
    /// Prometheus's <c>histogram_quantile</c> over cumulative <paramref name="counts"/> at increasing
    /// <paramref name="bounds"/> (distinct); NaN when there is no value. Makes the counts monotonic in place.
    /// </summary>
    public static double Quantile(double quantile, ReadOnlySpan<double> bounds, Span<double> counts)
    {
        Invariant.Check(bounds.Length == counts.Length, "one count per bound");
        var n = bounds.Length;
        if (n < 2 || !double.IsPositiveInfinity(bounds[n - 1]))
        {
            return double.NaN;
        }

        for (var i = 1; i < n; i++)
        {
            if (counts[i] < counts[i - 1])
            {
                counts[i] = counts[i - 1];
            }
        }

        var total = counts[n - 1];
        if (!(total > 0))
        {
            return double.NaN;
        }

        var rank = quantile * total;
        var b = 0;
        while (b < n - 1 && counts[b] < rank)
        {
            b++;
        }

        if (b == n - 1)
        {
            return bounds[n - 2];
        }

        if (b == 0 && bounds[0] <= 0)
        {
            return bounds[0];
        }

        var start = 0.0;
        var end = bounds[b];
        var count = counts[b];
        if (b > 0)
        {
            start = bounds[b - 1];
            count -= counts[b - 1];
            rank -= counts[b - 1];
        }

        return start + ((end - start) * (rank / count));
    }

    /// <summary>
    /// The upper bound a bucket series' tags carry (<c>le:0.5</c>, <c>le:+Inf</c>), or NaN when it
    /// has no <c>le</c> tag or its value is not a number. Tags are sorted, <c>key:value</c>.
    /// </summary>
    public static double BoundOf(ReadOnlySpan<string> tags) => BoundOf(tags, out _);

    /// <summary>
    /// The upper bound a bucket series' tags carry: <c>le:&lt;bound&gt;</c> (<paramref name="bin"/>
    /// false) or <c>bin_le:&lt;bound&gt;</c> (true, a bin series); NaN when there is neither or the
    /// value is not a number. The first of them in tag order counts.
    /// </summary>
    public static double BoundOf(ReadOnlySpan<string> tags, out bool bin)
    {
        foreach (var tag in tags)
        {
            if (tag.Length > 3 && tag[0] == 'l' && tag[1] == 'e' && tag[2] == ':')
            {
                bin = false;
                return ParseBound(tag.AsSpan(3));
            }

            if (tag.Length > BinPrefix.Length && tag.StartsWith(BinPrefix, StringComparison.Ordinal))
            {
                bin = true;
                return ParseBound(tag.AsSpan(BinPrefix.Length));
            }
        }

        bin = false;
        return double.NaN;
    }

    private const string BinPrefix = PercentileQuery.BinTag + ":";

    /// <summary>A bound as ingestion writes it: a number (invariant), or <c>+Inf</c>/<c>Inf</c>; NaN otherwise.</summary>
    public static double ParseBound(ReadOnlySpan<char> text)
    {
        if (text.SequenceEqual("+Inf") || text.SequenceEqual("Inf") || text.SequenceEqual("inf") || text.SequenceEqual("+inf"))
        {
            return double.PositiveInfinity;
        }

        // Only the spellings above are infinite: a number too large for a double (1e400) or "Infinity" is a bad bound,
        // not another +Inf bucket (Prometheus drops such a series).
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var bound) && double.IsFinite(bound)
            ? bound
            : double.NaN;
    }
}
