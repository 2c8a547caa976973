using System.Collections.Immutable;
using System.Globalization;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// A percentile monitor query over a distribution metric, in Datadog's syntax:
/// <c>percentile(last_5m):p99:request.latency{service:api} by {host} &gt; 0.5</c>.
/// </summary>
/// <remarks>
/// The series read are the distribution's cumulative bucket counts, <see cref="BucketMetric"/>
/// (<c>M.bucket</c>, tagged <c>le:&lt;upper bound&gt;</c>, as OTLP histograms and DogStatsD
/// distributions are ingested). At each evaluation the counts of each bound are summed over the
/// window across the group's series (the <c>le</c> tag never splits a group), and the percentile
/// is interpolated linearly inside the bucket that holds its rank, as Prometheus's
/// <c>histogram_quantile</c> does (<c>Evaluation.PercentileEvaluator</c>).
/// </remarks>
public sealed record PercentileQuery : MonitorQuery
{
    /// <summary>The tag that carries a bucket's upper bound; never a group-by tag (nor is <see cref="BinTag"/>).</summary>
    public const string BoundTag = "le";

    /// <summary>
    /// The tag that carries a bin's upper bound (DogStatsD): the series counts only the observations
    /// in that bin (above the bound below it), not all those at or below it as <see cref="BoundTag"/> does.
    /// </summary>
    public const string BinTag = "bin_le";

    /// <summary>Suffix of the bucket series of a distribution <c>M</c> (OTLP, DogStatsD): <c>M.bucket</c>.</summary>
    public const string BucketSuffix = ".bucket";

    /// <summary>Suffix of a Prometheus histogram's bucket series, read as written: <c>M_bucket</c>.</summary>
    public const string PrometheusBucketSuffix = "_bucket";

    /// <summary>Highest percentile, in hundredths of a percent (exclusive): p100 is the maximum, not a percentile.</summary>
    public const int HundredthsPerWhole = 10_000;

    /// <summary>Builds a query, checking every bound the parser checks.</summary>
    /// <param name="percentileHundredths">The percentile in hundredths of a percent: 9900 for p99, 9990 for p99.9; 1 .. 9999.</param>
    /// <exception cref="ArgumentException">A field breaks a rule of the language.</exception>
    public PercentileQuery(
        long windowMs,
        int percentileHundredths,
        string metric,
        ImmutableArray<TagFilter> scope,
        ImmutableArray<string> groupBy,
        Comparator comparator,
        double threshold)
    {
        ArgumentNullException.ThrowIfNull(metric);
        MetricQuery.ValidateWindow(windowMs, nameof(windowMs));
        if (percentileHundredths is < 1 or >= HundredthsPerWhole)
        {
            throw new ArgumentOutOfRangeException(nameof(percentileHundredths), percentileHundredths, "a percentile is above p0 and below p100, with at most two decimals");
        }

        MetricQuery.ValidateMetricName(metric, nameof(metric));

        if (!Enum.IsDefined(comparator))
        {
            throw new ArgumentOutOfRangeException(nameof(comparator), comparator, "unknown comparator");
        }

        if (!double.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be a finite number");
        }

        GroupBy = ValidateGroupBy(groupBy, nameof(groupBy));
        if (GroupBy.Contains(BoundTag))
        {
            throw new ArgumentException("a percentile query cannot group by 'le': the bucket bound is what the percentile is computed over", nameof(groupBy));
        }

        if (GroupBy.Contains(BinTag))
        {
            throw new ArgumentException("a percentile query cannot group by 'bin_le': the bin bound is what the percentile is computed over", nameof(groupBy));
        }

        WindowMs = windowMs;
        PercentileHundredths = percentileHundredths;
        Metric = metric;
        Scope = ValidateScope(scope, nameof(scope));
        Comparator = comparator;
        Threshold = threshold;
    }

    /// <summary>Length of the evaluation window, a whole number of seconds.</summary>
    public long WindowMs { get; }

    /// <summary>The percentile in hundredths of a percent (p99 is 9900, p99.9 is 9990).</summary>
    public int PercentileHundredths { get; }

    /// <summary>The quantile the percentile stands for, in (0, 1): p99 is 0.99.</summary>
    public double Quantile => PercentileHundredths / (double)HundredthsPerWhole;

    /// <summary>The distribution's name as written.</summary>
    public string Metric { get; }

    /// <summary>
    /// The series the query reads: <c>M.bucket</c>, or <c>M</c> itself when it already names a
    /// Prometheus histogram's buckets (<c>…_bucket</c>).
    /// </summary>
    public string BucketMetric => BucketMetricOf(Metric);

    /// <summary>The series filters, ANDed; a single <see cref="TagFilter.Any"/> for <c>{*}</c>.</summary>
    public ImmutableArray<TagFilter> Scope { get; }

    /// <inheritdoc/>
    public override ImmutableArray<string> GroupBy { get; }

    /// <summary>How the evaluated value is compared with the threshold.</summary>
    public Comparator Comparator { get; }

    /// <summary>The finite threshold written in the query.</summary>
    public double Threshold { get; }

    /// <summary>The bucket series a percentile over <paramref name="metric"/> reads (see <see cref="BucketMetric"/>).</summary>
    public static string BucketMetricOf(string metric) =>
        metric.EndsWith(PrometheusBucketSuffix, StringComparison.Ordinal) ? metric : metric + BucketSuffix;

    /// <summary>The percentile as written in canonical text: <c>p99</c>, <c>p99.9</c>, <c>p99.99</c>.</summary>
    public static string FormatPercentile(int hundredths)
    {
        var whole = hundredths / 100;
        var fraction = hundredths % 100;
        var text = "p" + whole.ToString(CultureInfo.InvariantCulture);
        if (fraction == 0)
        {
            return text;
        }

        return fraction % 10 == 0
            ? text + "." + (fraction / 10).ToString(CultureInfo.InvariantCulture)
            : text + "." + fraction.ToString("00", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public bool Equals(PercentileQuery? other) =>
        other is not null
        && WindowMs == other.WindowMs
        && PercentileHundredths == other.PercentileHundredths
        && string.Equals(Metric, other.Metric, StringComparison.Ordinal)
        && SequenceEqual(Scope, other.Scope)
        && SequenceEqual(GroupBy, other.GroupBy)
        && Comparator == other.Comparator
        && Threshold.Equals(other.Threshold);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(WindowMs);
        hash.Add(PercentileHundredths);
        hash.Add(Metric, StringComparer.Ordinal);
        AddAll(ref hash, Scope);
        AddAll(ref hash, GroupBy);
        hash.Add(Comparator);
        hash.Add(Threshold);
        return hash.ToHashCode();
    }

    /// <summary>The canonical query text.</summary>
    public override string ToString() => QueryFormatter.Format(this);
}
