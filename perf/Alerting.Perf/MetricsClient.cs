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

    /// <summary>Sums every sample of each metric name over its labels.</summary>
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
}

/// <summary>One scrape of <c>/metrics</c>, summed over labels.</summary>
internal sealed class Scrape(Dictionary<string, double> values)
{
    public double this[string name] => values.GetValueOrDefault(name);

    public bool Has(string name) => values.ContainsKey(name);

    public long Long(string name) => (long)Math.Round(this[name]);
}
