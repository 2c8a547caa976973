using Alerting.Protocol.V1;

namespace Alerting.Server.Ingest.DogStatsd;

/// <summary>
/// Aggregates DogStatsD lines over one flush interval, per metric, tags and kind:
/// a gauge keeps its last value (<c>GAUGE</c>); a counter sums <c>value / sample_rate</c>
/// (<c>COUNT</c>, the interval's delta); a timer, histogram or distribution becomes
/// <c>name.count</c> (samples, scaled by the sample rate), <c>name.sum</c>, <c>name.avg</c>,
/// <c>name.min</c>, <c>name.max</c>, <c>name.median</c> and <c>name.95percentile</c>
/// (<c>DISTRIBUTION</c>). Percentiles are over the first <see cref="MaxSamplesPerTimer"/> samples
/// of the interval; count, sum, min and max over all. At most <see cref="MaxSeries"/> series per
/// interval: lines for more are dropped and counted. Not thread-safe: the listener locks.
/// </summary>
public sealed class DogStatsdAggregator
{
    /// <summary>Samples kept per timer series and interval for the percentiles.</summary>
    public const int MaxSamplesPerTimer = 1_000;

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
                    break;
            }
        }

        return points;
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
                    if (Samples.Count < MaxSamplesPerTimer)
                    {
                        Samples.Add(line.Value);
                    }

                    break;
            }
        }
    }
}
