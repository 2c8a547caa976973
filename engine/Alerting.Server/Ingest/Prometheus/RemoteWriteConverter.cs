using Alerting.Protocol.V1;
using Prom = Alerting.Protocol.Prometheus;

namespace Alerting.Server.Ingest.Prometheus;

/// <summary>
/// Maps a Prometheus remote_write 1.0 <c>WriteRequest</c> onto ours: <c>__name__</c> is the
/// metric, every other label a <c>name:value</c> tag, sample timestamps are already unix ms.
/// <para>
/// Types: remote_write 1.0 sends samples without their type (metadata travels separately, late,
/// and not at all for some setups), so the type comes from the name, as Prometheus's own naming
/// conventions define it: <c>_total</c> is a counter (<c>METRIC_TYPE_COUNT</c>); <c>_bucket</c>,
/// <c>_count</c> and <c>_sum</c> are a histogram's or summary's cumulative parts
/// (<c>METRIC_TYPE_DISTRIBUTION</c>). Both arrive cumulative and leave as per-series deltas
/// (<see cref="CumulativeDeltas"/>: resets handled, the first sample of a series gives none), so a
/// monitor sums increases or asks for a rate without doing arithmetic. Everything else is a gauge.
/// Staleness markers (Prometheus's special NaN) end a series in Prometheus and carry no value:
/// they are skipped. Native histograms are not ingested.
/// </para>
/// </summary>
public static class RemoteWriteConverter
{
    /// <summary>The NaN Prometheus writes when a series goes stale (value.StaleNaN).</summary>
    public const ulong StaleNaNBits = 0x7ff0000000000002;

    public const string MetricNameLabel = "__name__";

    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming the series without a name or with a bad label.</exception>
    public static WriteRequest ToWriteRequest(Prom.WriteRequest request, CumulativeDeltas.Batch deltas)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(deltas);
        var write = new WriteRequest();
        for (var s = 0; s < request.Timeseries.Count; s++)
        {
            var series = request.Timeseries[s];
            string? metric = null;
            var tags = new List<string>(series.Labels.Count);
            foreach (var label in series.Labels)
            {
                if (label.Name == MetricNameLabel)
                {
                    metric = label.Value;
                }
                else if (label.Value.Length > 0)
                {
                    // An empty label value means "no such label" in Prometheus.
                    tags.Add(label.Name + ":" + label.Value);
                }
            }

            if (string.IsNullOrEmpty(metric))
            {
                throw HttpIngest.Invalid($"timeseries[{s}]: no {MetricNameLabel} label");
            }

            var type = TypeOf(metric);
            var key = type == MetricType.Gauge ? null : metric + "\0" + string.Join('\0', tags);
            foreach (var sample in series.Samples)
            {
                if (BitConverter.DoubleToUInt64Bits(sample.Value) == StaleNaNBits)
                {
                    continue;
                }

                var value = sample.Value;
                if (key is not null)
                {
                    if (deltas.Delta(key, 0, sample.Timestamp, sample.Value) is not { } delta)
                    {
                        continue;
                    }

                    value = delta;
                }

                var point = new Point { Metric = metric, UnixMs = sample.Timestamp, Value = value, Type = type };
                point.Tags.AddRange(tags);
                write.Points.Add(point);
            }
        }

        return write;
    }

    /// <summary>The type a series' name says it has (see the class summary).</summary>
    public static MetricType TypeOf(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (metric.EndsWith("_total", StringComparison.Ordinal))
        {
            return MetricType.Count;
        }

        return metric.EndsWith("_bucket", StringComparison.Ordinal) || metric.EndsWith("_count", StringComparison.Ordinal) || metric.EndsWith("_sum", StringComparison.Ordinal)
            ? MetricType.Distribution
            : MetricType.Gauge;
    }
}
