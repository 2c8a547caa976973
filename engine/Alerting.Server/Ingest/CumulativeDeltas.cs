namespace Alerting.Server.Ingest;

/// <summary>
/// Turns cumulative counters (a Prometheus <c>_total</c>, an OTLP cumulative sum) into the deltas a
/// <c>METRIC_TYPE_COUNT</c> point carries, per series. The first sample of a series gives no point
/// (what it counted before we saw it is unknown, and counting it all at once would be a spike
/// after every restart of this server); a value below the previous one, or a new start time, is a
/// counter reset, and the delta is the new value (counted from zero). A sample not newer than the
/// last one (a retry, out of order) gives no point.
/// <para>
/// The table lives at the ingestion boundary, not in the log: it is lost on restart or failover,
/// which costs each counter one sample. It holds at most <see cref="MaxSeries"/> series, in two
/// generations: when the young one is full, the old one is dropped (series not seen for a
/// generation lose one sample). Deltas are computed in a <see cref="Batch"/> and committed only
/// after the write is acknowledged, so a request that failed and is retried gives the same deltas.
/// </para>
/// </summary>
public sealed class CumulativeDeltas
{
    /// <summary>Default bound on series tracked.</summary>
    public const int DefaultMaxSeries = 1_000_000;

    private readonly object _lock = new();
    private Dictionary<string, Last> _young = new(StringComparer.Ordinal);
    private Dictionary<string, Last> _old = new(StringComparer.Ordinal);

    public CumulativeDeltas(int maxSeries = DefaultMaxSeries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeries, 2);
        MaxSeries = maxSeries;
    }

    public int MaxSeries { get; }

    /// <summary>Series tracked now (both generations).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _young.Count + _old.Count;
            }
        }
    }

    public Batch Begin() => new(this);

    private bool TryGet(string key, out Last last)
    {
        lock (_lock)
        {
            return _young.TryGetValue(key, out last) || _old.TryGetValue(key, out last);
        }
    }

    private void Commit(Dictionary<string, Last> updates)
    {
        lock (_lock)
        {
            foreach (var (key, last) in updates)
            {
                if ((_young.TryGetValue(key, out var known) || _old.TryGetValue(key, out known)) && known.Timestamp >= last.Timestamp)
                {
                    continue;
                }

                if (_young.Count >= MaxSeries / 2 && !_young.ContainsKey(key))
                {
                    _old = _young;
                    _young = new Dictionary<string, Last>(StringComparer.Ordinal);
                }

                _young[key] = last;
                _old.Remove(key);
            }

            Alerting.Engine.Invariant.Check(_young.Count + _old.Count <= MaxSeries, "the cumulative-counter table holds at most MaxSeries series");
        }
    }

    private readonly record struct Last(long Timestamp, double Value, long Start);

    /// <summary>The deltas of one request; <see cref="Commit"/> once it is acknowledged.</summary>
    public sealed class Batch
    {
        private readonly CumulativeDeltas _table;
        private readonly Dictionary<string, Last> _updates = new(StringComparer.Ordinal);

        internal Batch(CumulativeDeltas table)
        {
            _table = table;
        }

        /// <summary>
        /// The increase since the series' previous sample, or null when there is none to give.
        /// </summary>
        /// <param name="start">When the counter started (OTLP's start time), 0 when unknown.</param>
        /// <param name="timestamp">The sample's time, in whatever unit the protocol has (Prometheus ms, OTLP ns), the same for a series.</param>
        public double? Delta(string seriesKey, long start, long timestamp, double value)
        {
            ArgumentNullException.ThrowIfNull(seriesKey);
            if (!double.IsFinite(value))
            {
                return null;
            }

            var known = _updates.TryGetValue(seriesKey, out var last) || _table.TryGet(seriesKey, out last);
            if (known && timestamp <= last.Timestamp)
            {
                return null;
            }

            _updates[seriesKey] = new Last(timestamp, value, start);
            if (!known)
            {
                return null;
            }

            var reset = value < last.Value || (start != 0 && last.Start != 0 && start != last.Start);
            return reset ? value : value - last.Value;
        }

        public void Commit() => _table.Commit(_updates);
    }
}
