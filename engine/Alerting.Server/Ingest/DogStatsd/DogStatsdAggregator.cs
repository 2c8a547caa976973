using System.Globalization;
using Alerting.Engine.Monitors.Query;
using Alerting.Protocol.V1;

namespace Alerting.Server.Ingest.DogStatsd;

/// <summary>
/// Aggregates DogStatsD lines over one flush interval, per metric, tags and kind:
/// a gauge keeps its last value (<c>GAUGE</c>); a counter sums <c>value / sample_rate</c>
/// (<c>COUNT</c>, the interval's delta); a timer, histogram or distribution becomes
/// <c>name.count</c> (samples, scaled by the sample rate), <c>name.sum</c>, <c>name.avg</c>,
/// <c>name.min</c>, <c>name.max</c>, <c>name.median</c> and <c>name.95percentile</c>
/// (<c>DISTRIBUTION</c>). Percentiles are over the first <see cref="MaxSamplesPerTimer"/> samples
/// of the interval; count, sum, min and max over all. A timer, histogram or distribution also
/// writes its bucket series <c>name.bucket</c> (what percentile monitors read): one point per
/// occupied bin of the fixed bound set <see cref="BinBounds"/>, tagged <c>bin_le:&lt;bound&gt;</c>,
/// holding the samples (scaled) in that bin only, plus <c>le:+Inf</c> holding the interval's count.
/// At most <see cref="MaxSeries"/> series per
/// interval: lines for more are dropped and counted. Not thread-safe: the listener locks.
/// </summary>
public sealed class DogStatsdAggregator
{
    /// <summary>Samples kept per timer series and interval for the percentiles.</summary>
    public const int MaxSamplesPerTimer = 1_000;

    /// <summary>Lowest and highest exponent k of the finite bin bounds 2^(k/4).</summary>
    public const int MinBinExponent = -80, MaxBinExponent = 159;

    /// <summary>
    /// The fixed bin bounds, increasing: 0 (samples at or below 0), then 2^(k/4) for
    /// <see cref="MinBinExponent"/> ≤ k ≤ <see cref="MaxBinExponent"/> (about 9.5e-7 to 9.2e11).
    /// A sample goes to the first bound at or above it; one above the last bound is only in
    /// <c>le:+Inf</c>. Neighbouring bounds differ by 2^(1/4), so a percentile interpolated inside
    /// a bin is within 19 % of the value (docs/ingestion.md).
    /// </summary>
    public static readonly double[] BinBounds = BuildBinBounds();

    private static readonly string[] BinTags = [.. BinBounds.Select(b => PercentileQuery.BinTag + ":" + b.ToString("R", CultureInfo.InvariantCulture))];

    private const string InfTag = PercentileQuery.BoundTag + ":+Inf";

    private Dictionary<(string Metric, string Tags, DogStatsdKind Kind), Aggregate> _series = new();

    public DogStatsdAggregator(int maxSeries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeries, 1);
        MaxSeries = maxSeries;
    }

    public int MaxSeries { get; }

    /// <summary>Series in the current interval.</summary>
    public int Count => _series.Count;

    /// <summary>Adds a line; false when it would be a series past <see cref="MaxSeries"/>.</summary>
    public bool Add(in DogStatsdLine line)
    {
        var key = (line.Metric, string.Join(',', line.Tags), line.Kind);
        if (!_series.TryGetValue(key, out var aggregate))
        {
            if (_series.Count >= MaxSeries)
            {
                return false;
            }

            aggregate = new Aggregate(line.Tags);
            _series.Add(key, aggregate);
        }

        aggregate.Add(line);
        return true;
    }

    /// <summary>Ends the interval: the points of every series, stamped <paramref name="unixMs"/>, in metric and tag order.</summary>
    public List<Point> Flush(long unixMs)
    {
        var series = _series;
        _series = new();
        var points = new List<Point>();
        foreach (var ((metric, _, kind), aggregate) in series.OrderBy(s => s.Key.Metric, StringComparer.Ordinal).ThenBy(s => s.Key.Tags, StringComparer.Ordinal).ThenBy(s => s.Key.Kind))
        {
            void Emit(string name, double value, MetricType type)
            {
                var point = new Point { Metric = name, UnixMs = unixMs, Value = value, Type = type };
                point.Tags.AddRange(aggregate.Tags);
                points.Add(point);
            }

            void EmitBucket(string name, string boundTag, double value)
            {
                var point = new Point { Metric = name, UnixMs = unixMs, Value = value, Type = MetricType.Distribution };
                var at = 0;
                while (at < aggregate.Tags.Length && string.CompareOrdinal(aggregate.Tags[at], boundTag) < 0)
                {
                    at++;
                }

                point.Tags.AddRange(aggregate.Tags.Take(at));
                point.Tags.Add(boundTag);
                point.Tags.AddRange(aggregate.Tags.Skip(at));
                points.Add(point);
            }

            switch (kind)
            {
                case DogStatsdKind.Gauge:
                    Emit(metric, aggregate.Last, MetricType.Gauge);
                    break;
                case DogStatsdKind.Counter:
                    Emit(metric, aggregate.Sum, MetricType.Count);
                    break;
                default:
                    var samples = aggregate.Samples;
                    samples.Sort();
                    Emit(metric + ".count", aggregate.Count, MetricType.Distribution);
                    Emit(metric + ".sum", aggregate.Sum, MetricType.Distribution);
                    Emit(metric + ".avg", aggregate.Sum / aggregate.Count, MetricType.Distribution);
                    Emit(metric + ".min", aggregate.Min, MetricType.Distribution);
                    Emit(metric + ".max", aggregate.Max, MetricType.Distribution);
                    Emit(metric + ".median", Percentile(samples, 0.5), MetricType.Distribution);
                    Emit(metric + ".95percentile", Percentile(samples, 0.95), MetricType.Distribution);
                    foreach (var (bin, count) in aggregate.Bins.OrderBy(b => b.Key))
                    {
                        EmitBucket(metric + ".bucket", BinTags[bin], count);
                    }

                    EmitBucket(metric + ".bucket", InfTag, aggregate.Count);
                    break;
            }
        }

        return points;
    }

    /// <summary>The index in <see cref="BinBounds"/> of the bin holding <paramref name="value"/>, or -1 above the last bound (or NaN).</summary>
    public static int BinOf(double value)
    {
        if (!(value > 0))
        {
            return double.IsNaN(value) ? -1 : 0;
        }

        var index = Array.BinarySearch(BinBounds, value);
        index = index < 0 ? ~index : index;
        return index < BinBounds.Length ? index : -1;
    }

    private static double[] BuildBinBounds()
    {
        var bounds = new double[MaxBinExponent - MinBinExponent + 2];
        for (var k = MinBinExponent; k <= MaxBinExponent; k++)
        {
            bounds[k - MinBinExponent + 1] = Math.Pow(2, k / 4.0);
        }

        return bounds;
    }

    /// <summary>Nearest rank on sorted samples.</summary>
    internal static double Percentile(List<double> sorted, double p)
    {
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private sealed class Aggregate(string[] tags)
    {
        public string[] Tags { get; } = tags;

        public double Last { get; private set; }

        /// <summary>Counter: the scaled sum. Timer: the sum of sample values.</summary>
        public double Sum { get; private set; }

        /// <summary>Timer samples, scaled by their sample rate.</summary>
        public double Count { get; private set; }

        public double Min { get; private set; } = double.PositiveInfinity;

        public double Max { get; private set; } = double.NegativeInfinity;

        public List<double> Samples { get; } = [];

        /// <summary>Scaled sample counts per occupied bin (index in <see cref="BinBounds"/>).</summary>
        public Dictionary<int, double> Bins { get; } = [];

        public void Add(in DogStatsdLine line)
        {
            switch (line.Kind)
            {
                case DogStatsdKind.Gauge:
                    Last = line.Value;
                    break;
                case DogStatsdKind.Counter:
                    Sum += line.Value / line.SampleRate;
                    break;
                default:
                    Count += 1 / line.SampleRate;
                    Sum += line.Value / line.SampleRate;
                    Min = Math.Min(Min, line.Value);
                    Max = Math.Max(Max, line.Value);
                    var bin = BinOf(line.Value);
                    if (bin >= 0)
                    {
                        Bins[bin] = Bins.GetValueOrDefault(bin) + (1 / line.SampleRate);
                    }

                    if (Samples.Count < MaxSamplesPerTimer)
                    {
                        Samples.Add(line.Value);
                    }

                    break;
            }
        }
    }
}
