using System.Globalization;

namespace Alerting.Perf;

/// <summary>Reads the server's Prometheus text endpoint (<c>/metrics</c>) and its <c>/healthz</c>.</summary>
internal sealed class MetricsClient(Uri http) : IDisposable
{
    // Names as the OpenTelemetry Prometheus exporter writes them.
    public const string Accepted = "alerting_ingest_accepted_total";
    public const string Rejected = "alerting_ingest_rejected_total";
    public const string MonitorCount = "alerting_monitors";
    public const string SeriesCount = "alerting_series";
    public const string Scheduled = "alerting_evaluations_scheduled_total";
    public const string CaughtUp = "alerting_evaluations_caught_up_total";
    public const string Lateness = "alerting_evaluations_lateness_milliseconds";
    public const string WorkingSet = "dotnet_process_memory_working_set_bytes";
    public const string HeapAfterGc = "dotnet_gc_last_collection_heap_size_bytes";
    public const string Allocated = "dotnet_gc_heap_total_allocated_bytes_total";
    public const string CpuSeconds = "dotnet_process_cpu_time_seconds_total";

    private readonly HttpClient _client = new() { BaseAddress = http, Timeout = TimeSpan.FromSeconds(30) };

    public async Task<Scrape> ScrapeAsync(CancellationToken cancellationToken = default)
    {
        var text = await _client.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return new Scrape(Parse(text));
    }

    public async Task<bool> HealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await _client.GetAsync(new Uri("/healthz", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>
    /// Polls until <paramref name="done"/> holds on a scrape or <paramref name="timeout"/> passes
    /// (the server copies its state-machine counters about once a second); returns the last scrape.
    /// </summary>
    public async Task<(Scrape Scrape, bool Held)> WaitForAsync(Func<Scrape, bool> done, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (true)
        {
            var scrape = await ScrapeAsync(cancellationToken).ConfigureAwait(false);
            if (done(scrape))
            {
                return (scrape, true);
            }

            if (DateTime.UtcNow >= deadline)
            {
                return (scrape, false);
            }

            await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// Sums every sample of each metric name over its labels, except a histogram's
    /// <c>_bucket</c> samples, kept per bucket as <c>name{le="bound"}</c>.
    /// </summary>
    internal static Dictionary<string, double> Parse(string text)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd <= 0)
            {
                continue;
            }

            var name = line[..nameEnd];
            var rest = line[nameEnd..];
            if (rest[0] == '{')
            {
                var close = rest.LastIndexOf('}');
                if (close < 0)
                {
                    continue;
                }

                if (name.EndsWith("_bucket", StringComparison.Ordinal) && LabelValue(rest[..close], "le") is { } le)
                {
                    name = BucketKey(name, le);
                }

                rest = rest[(close + 1)..];
            }

            var fields = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || !double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            values[name] = values.GetValueOrDefault(name) + value;
        }

        return values;
    }

    internal static string BucketKey(string bucketName, string le) => $"{bucketName}{{le=\"{le}\"}}";

    private static string? LabelValue(string labels, string label)
    {
        var key = label + "=\"";
        var at = labels.IndexOf(key, StringComparison.Ordinal);
        while (at > 0 && labels[at - 1] != '{' && labels[at - 1] != ',')
        {
            at = labels.IndexOf(key, at + 1, StringComparison.Ordinal);
        }

        if (at < 0)
        {
            return null;
        }

        var start = at + key.Length;
        var end = labels.IndexOf('"', start);
        return end < 0 ? null : labels[start..end];
    }
}

/// <summary>One scrape of <c>/metrics</c>, summed over labels.</summary>
internal sealed class Scrape(Dictionary<string, double> values)
{
    public double this[string name] => values.GetValueOrDefault(name);

    public bool Has(string name) => values.ContainsKey(name);

    public long Long(string name) => (long)Math.Round(this[name]);

    /// <summary>
    /// The finite bucket bounds of histogram <paramref name="histogram"/> in increasing order,
    /// and its cumulative counts at each and at +Inf (last); empty before the server exports it.
    /// </summary>
    public (double[] Bounds, double[] Cumulative) Histogram(string histogram)
    {
        var prefix = histogram + "_bucket{le=\"";
        var buckets = values
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(kv => (Le: kv.Key[prefix.Length..^2], Count: kv.Value))
            .Select(b => (Bound: b.Le == "+Inf" ? double.PositiveInfinity : double.Parse(b.Le, NumberStyles.Float, CultureInfo.InvariantCulture), b.Count))
            .OrderBy(b => b.Bound)
            .ToList();
        return ([.. buckets.Where(b => !double.IsPositiveInfinity(b.Bound)).Select(b => b.Bound)], [.. buckets.Select(b => b.Count)]);
    }

    /// <summary>
    /// The <paramref name="q"/>-quantile of a histogram from its cumulative bucket counts, as
    /// Prometheus' <c>histogram_quantile</c> does: linear interpolation inside the bucket the
    /// rank falls in (from 0 for the first), the last finite bound if it falls in +Inf, NaN
    /// with no observations.
    /// </summary>
    public static double Quantile(IReadOnlyList<double> bounds, IReadOnlyList<double> cumulative, double q)
    {
        if (bounds.Count == 0 || cumulative.Count != bounds.Count + 1 || cumulative[^1] <= 0)
        {
            return double.NaN;
        }

        var rank = q * cumulative[^1];
        for (var i = 0; i < bounds.Count; i++)
        {
            if (cumulative[i] >= rank)
            {
                var lower = i == 0 ? 0 : bounds[i - 1];
                var below = i == 0 ? 0 : cumulative[i - 1];
                var inBucket = cumulative[i] - below;
                return inBucket <= 0 ? bounds[i] : lower + ((bounds[i] - lower) * (rank - below) / inBucket);
            }
        }

        return bounds[^1];
    }
}
