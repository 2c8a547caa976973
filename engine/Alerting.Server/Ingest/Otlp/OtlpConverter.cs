using System.Globalization;
using Alerting.Protocol.OpenTelemetry.Collector.Metrics.V1;
using Alerting.Protocol.OpenTelemetry.Common.V1;
using Alerting.Protocol.OpenTelemetry.Metrics.V1;
using Alerting.Protocol.V1;

namespace Alerting.Server.Ingest.Otlp;

/// <summary>
/// Maps an OTLP <c>ExportMetricsServiceRequest</c> onto our <see cref="WriteRequest"/>.
/// Tags are the resource's, the scope's and the point's attributes (<c>key:value</c>; on a
/// clash the point's win over the scope's, which win over the resource's); only scalar values
/// (string, bool, int, double) become tags, arrays, maps and bytes are left out.
/// <list type="bullet">
/// <item>Gauge → <c>GAUGE</c>, the value as sent.</item>
/// <item>Monotonic sum → <c>COUNT</c>: a delta sum as sent; a cumulative one as per-series deltas
/// (<see cref="CumulativeDeltas"/>: the start time tells a reset, the first point gives none).
/// A non-monotonic cumulative sum (an UpDownCounter) is a level: <c>GAUGE</c>, as sent; a
/// non-monotonic delta sum is <c>COUNT</c>.</item>
/// <item>Histogram → <c>DISTRIBUTION</c> points <c>name.count</c>, <c>name.sum</c> and
/// <c>name.bucket</c> with an <c>le</c> tag (cumulative counts up to that bound, the last
/// <c>le:+Inf</c>, as Prometheus buckets), deltas either way. Exponential histogram →
/// <c>name.count</c> and <c>name.sum</c> only.</item>
/// <item>Summary → <c>name.count</c> and <c>name.sum</c> (<c>DISTRIBUTION</c>, deltas) and
/// <c>name.quantile</c> with a <c>quantile</c> tag (<c>GAUGE</c>).</item>
/// </list>
/// Points flagged "no recorded value" are skipped.
/// </summary>
public static class OtlpConverter
{
    private const uint NoRecordedValueFlag = 1;

    public static WriteRequest ToWriteRequest(ExportMetricsServiceRequest request, CumulativeDeltas.Batch deltas)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(deltas);
        var write = new WriteRequest();
        foreach (var resource in request.ResourceMetrics)
        {
            var resourceTags = new SortedDictionary<string, string>(StringComparer.Ordinal);
            AddAttributes(resourceTags, resource.Resource?.Attributes);
            foreach (var scope in resource.ScopeMetrics)
            {
                var scopeTags = new SortedDictionary<string, string>(resourceTags, StringComparer.Ordinal);
                AddAttributes(scopeTags, scope.Scope?.Attributes);
                foreach (var metric in scope.Metrics)
                {
                    new MetricWriter(write, deltas, metric.Name, scopeTags).Add(metric);
                }
            }
        }

        return write;
    }

    private static void AddAttributes(SortedDictionary<string, string> tags, IEnumerable<KeyValue>? attributes)
    {
        if (attributes is null)
        {
            return;
        }

        foreach (var attribute in attributes)
        {
            var value = attribute.Value?.ValueCase switch
            {
                AnyValue.ValueOneofCase.StringValue => attribute.Value.StringValue,
                AnyValue.ValueOneofCase.BoolValue => attribute.Value.BoolValue ? "true" : "false",
                AnyValue.ValueOneofCase.IntValue => attribute.Value.IntValue.ToString(CultureInfo.InvariantCulture),
                AnyValue.ValueOneofCase.DoubleValue => attribute.Value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
                _ => null,
            };
            if (attribute.Key.Length > 0 && !string.IsNullOrEmpty(value))
            {
                tags[attribute.Key] = value;
            }
        }
    }

    private static long Ms(ulong unixNano) => (long)(unixNano / 1_000_000);

    private readonly struct MetricWriter(WriteRequest write, CumulativeDeltas.Batch deltas, string name, SortedDictionary<string, string> scopeTags)
    {
        public void Add(Metric metric)
        {
            switch (metric.DataCase)
            {
                case Metric.DataOneofCase.Gauge:
                    foreach (var p in metric.Gauge.DataPoints)
                    {
                        Number(p, MetricType.Gauge, cumulative: false);
                    }

                    break;
                case Metric.DataOneofCase.Sum:
                    var cumulative = metric.Sum.AggregationTemporality == AggregationTemporality.Cumulative;
                    var level = cumulative && !metric.Sum.IsMonotonic;
                    foreach (var p in metric.Sum.DataPoints)
                    {
                        Number(p, level ? MetricType.Gauge : MetricType.Count, cumulative && !level);
                    }

                    break;
                case Metric.DataOneofCase.Histogram:
                    var histogramCumulative = metric.Histogram.AggregationTemporality == AggregationTemporality.Cumulative;
                    foreach (var p in metric.Histogram.DataPoints)
                    {
                        Histogram(p, histogramCumulative);
                    }

                    break;
                case Metric.DataOneofCase.ExponentialHistogram:
                    var exponentialCumulative = metric.ExponentialHistogram.AggregationTemporality == AggregationTemporality.Cumulative;
                    foreach (var p in metric.ExponentialHistogram.DataPoints)
                    {
                        if ((p.Flags & NoRecordedValueFlag) != 0)
                        {
                            continue;
                        }

                        var tags = Tags(p.Attributes);
                        Emit(name + ".count", tags, null, p.StartTimeUnixNano, p.TimeUnixNano, p.Count, MetricType.Distribution, exponentialCumulative);
                        if (p.HasSum)
                        {
                            Emit(name + ".sum", tags, null, p.StartTimeUnixNano, p.TimeUnixNano, p.Sum, MetricType.Distribution, exponentialCumulative);
                        }
                    }

                    break;
                case Metric.DataOneofCase.Summary:
                    foreach (var p in metric.Summary.DataPoints)
                    {
                        if ((p.Flags & NoRecordedValueFlag) != 0)
                        {
                            continue;
                        }

                        var tags = Tags(p.Attributes);
                        // Summaries are cumulative by definition.
                        Emit(name + ".count", tags, null, p.StartTimeUnixNano, p.TimeUnixNano, p.Count, MetricType.Distribution, cumulative: true);
                        Emit(name + ".sum", tags, null, p.StartTimeUnixNano, p.TimeUnixNano, p.Sum, MetricType.Distribution, cumulative: true);
                        foreach (var q in p.QuantileValues)
                        {
                            Emit(name + ".quantile", tags, "quantile:" + q.Quantile.ToString("R", CultureInfo.InvariantCulture), p.StartTimeUnixNano, p.TimeUnixNano, q.Value, MetricType.Gauge, cumulative: false);
                        }
                    }

                    break;
                default:
                    break;
            }
        }

        private void Number(NumberDataPoint p, MetricType type, bool cumulative)
        {
            if ((p.Flags & NoRecordedValueFlag) != 0 || p.ValueCase == NumberDataPoint.ValueOneofCase.None)
            {
                return;
            }

            var value = p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : p.AsDouble;
            Emit(name, Tags(p.Attributes), null, p.StartTimeUnixNano, p.TimeUnixNano, value, type, cumulative);
        }

        private void Histogram(HistogramDataPoint p, bool cumulative)
        {
            if ((p.Flags & NoRecordedValueFlag) != 0)
            {
                return;
            }

            var tags = Tags(p.Attributes);
            Emit(name + ".count", tags, null, p.StartTimeUnixNano, p.TimeUnixNano, p.Count, MetricType.Distribution, cumulative);
            if (p.HasSum)
            {
                Emit(name + ".sum", tags, null, p.StartTimeUnixNano, p.TimeUnixNano, p.Sum, MetricType.Distribution, cumulative);
            }

            ulong below = 0;
            for (var i = 0; i < p.BucketCounts.Count; i++)
            {
                below += p.BucketCounts[i];
                var le = i < p.ExplicitBounds.Count ? p.ExplicitBounds[i].ToString("R", CultureInfo.InvariantCulture) : "+Inf";
                Emit(name + ".bucket", tags, "le:" + le, p.StartTimeUnixNano, p.TimeUnixNano, below, MetricType.Distribution, cumulative);
            }
        }

        private string[] Tags(IEnumerable<KeyValue> attributes)
        {
            var all = new SortedDictionary<string, string>(scopeTags, StringComparer.Ordinal);
            AddAttributes(all, attributes);
            return all.Select(t => t.Key + ":" + t.Value).ToArray();
        }

        private void Emit(string metric, string[] tags, string? extraTag, ulong startNano, ulong timeNano, double value, MetricType type, bool cumulative)
        {
            var unixMs = Ms(timeNano);
            if (cumulative)
            {
                var key = metric + "\0" + string.Join('\0', tags) + "\0" + extraTag;
                if (deltas.Delta(key, (long)startNano, (long)timeNano, value) is not { } delta)
                {
                    return;
                }

                value = delta;
            }

            var point = new Point { Metric = metric, UnixMs = unixMs, Value = value, Type = type };
            point.Tags.AddRange(tags);
            if (extraTag is not null)
            {
                point.Tags.Add(extraTag);
            }

            write.Points.Add(point);
        }
    }
}
