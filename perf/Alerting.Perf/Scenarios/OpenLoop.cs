using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Alerting.Client;
using Alerting.Protocol.V1;
using Grpc.Core;
using HdrHistogram;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// The open-loop load generator: <see cref="RunOptions.Streams"/> concurrent <c>Ingest.Write</c>
/// streams, each sending batch k at start + k × period whatever the server answers, so a stalled
/// server shows up in the latency rather than lowering the offered load (no coordinated
/// omission). Each ack's latency is taken from its batch's intended send time. The first
/// <see cref="RunOptions.Warmup"/> seconds send the same load unmeasured: their acks are
/// checked like the others but stay out of the latency and throughput figures, so the figures
/// describe the steady state, not series creation, JIT tiering and the first GCs.
/// </summary>
internal static class OpenLoop
{
    internal sealed record Outcome(
        long Batches,
        long Acks,
        long OutOfOrderAcks,
        long Points,
        long Accepted,
        long Rejected,
        string RejectReasons,
        HistogramBase Latency,
        IReadOnlyList<double> PerSecond,
        double Seconds,
        int DistinctSeries);

    /// <param name="extraTagOf">A second tag for series k (null: the host tag only); schedule's multi-alert monitors group a rack's hosts by it.</param>
    public static async Task<Outcome> RunAsync(Target target, RunOptions options, string metricBase, Action<string> progress, CancellationToken cancellationToken, Func<int, string>? extraTagOf = null)
    {
        var client = new Ingest.IngestClient(target.Channel);
        // A value above the histogram's range throws (and took the M3 run at 1 M down once its
        // acks queued for more than about 137 s): track up to an hour and clamp above it.
        var highest = TimeStamp.Seconds(3600);
        var latency = new LongConcurrentHistogram(1, highest, 3);
        long batches = 0, acks = 0, outOfOrder = 0, points = 0, accepted = 0, rejected = 0, secondMaxTicks = 0;
        var reasons = new ConcurrentDictionary<string, long>();
        var perStreamRate = (double)options.Rate / options.Streams;
        var periodTicks = options.Batch / perStreamRate * Stopwatch.Frequency;
        var started = Stopwatch.GetTimestamp();
        var measuredFrom = started + (long)(options.Warmup * Stopwatch.Frequency);
        var deadline = measuredFrom + (long)(options.Seconds * Stopwatch.Frequency);
        var metrics = Enumerable.Range(0, options.Series).Select(k => options.MetricOf(metricBase, k)).ToArray();
        var hosts = Enumerable.Range(0, options.Series).Select(RunOptions.HostTag).ToArray();
        var extraTags = extraTagOf is null ? null : Enumerable.Range(0, options.Series).Select(extraTagOf).ToArray();
        var perSecond = new List<double>();
        using var sampling = new CancellationTokenSource();

        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var last = 0L;
            try
            {
                while (await timer.WaitForNextTickAsync(sampling.Token))
                {
                    var now = Interlocked.Read(ref accepted);
                    var max = Interlocked.Exchange(ref secondMaxTicks, 0);
                    var at = Stopwatch.GetTimestamp();
                    var warming = at - Stopwatch.Frequency < measuredFrom;
                    if (!warming && at <= deadline)
                    {
                        perSecond.Add(now - last);
                    }

                    progress(string.Create(CultureInfo.InvariantCulture,
                        $"{Stopwatch.GetElapsedTime(started).TotalSeconds:F0}/{options.Warmup + options.Seconds:F0} s{(warming ? " (warm-up)" : "")}, acked {now - last:N0} points/s (offered {options.Rate:N0}), slowest ack this second {max * 1000.0 / Stopwatch.Frequency:F1} ms"));
                    last = now;
                }
            }
            catch (OperationCanceledException) when (sampling.IsCancellationRequested)
            {
                // Run over.
            }
        }, CancellationToken.None);

        var streams = Enumerable.Range(0, options.Streams).Select(stream => Task.Run(async () =>
        {
            using var call = client.Write(options.Headers(), cancellationToken: cancellationToken);
            // Each stream is one client: its batches carry sequences, as a retrying ingester's
            // would, so the figure includes the state machine's deduplication bookkeeping.
            var sequence = new BatchSequence(BatchSequence.NewClientId($"perf-stream-{stream}"));
            var due = new ConcurrentQueue<(ulong Id, long Due)>();
            var reader = Task.Run(async () =>
            {
                long received = 0;
                await foreach (var ack in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    received++;
                    if (options.DropAcksEvery > 0 && received % options.DropAcksEvery == 0)
                    {
                        // Injected harness fault: this ack is lost on our side.
                        due.TryDequeue(out _);
                        continue;
                    }

                    var now = Stopwatch.GetTimestamp();
                    if (!due.TryDequeue(out var sent) || sent.Id != ack.BatchId)
                    {
                        Interlocked.Increment(ref outOfOrder);
                    }

                    var ticks = Math.Max(1, now - sent.Due);
                    if (sent.Due >= measuredFrom)
                    {
                        latency.RecordValue(Math.Min(ticks, highest));
                    }

                    InterlockedMax(ref secondMaxTicks, ticks);
                    Interlocked.Increment(ref acks);
                    Interlocked.Add(ref accepted, ack.Accepted);
                    foreach (var r in ack.Rejected)
                    {
                        Interlocked.Add(ref rejected, r.Count);
                        reasons.AddOrUpdate(r.Reason, r.Count, (_, c) => c + r.Count);
                    }
                }
            }, cancellationToken);

            // Every stream's schedule starts at the same instant, so the offered load is exactly --rate × (--warmup + --seconds).
            for (long k = 0; ; k++)
            {
                var dueAt = started + (long)(k * periodTicks);
                if (dueAt >= deadline)
                {
                    break;
                }

                var wait = dueAt - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                }

                var request = sequence.Stamp(Batch(stream, k, options, metrics, hosts, extraTags));
                due.Enqueue(((ulong)k, dueAt));
                Interlocked.Increment(ref batches);
                Interlocked.Add(ref points, request.Points.Count);
                await call.RequestStream.WriteAsync(request, cancellationToken);
            }

            await call.RequestStream.CompleteAsync();
            await reader;
        }, cancellationToken)).ToArray();
        await Task.WhenAll(streams).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds - options.Warmup;
        await sampling.CancelAsync().ConfigureAwait(false);
        await sampler.ConfigureAwait(false);

        var distinct = (int)Math.Min(options.Series, points);
        return new Outcome(batches, acks, outOfOrder, points, accepted, rejected,
            string.Join(", ", reasons.Select(r => $"{r.Key} {r.Value}")), latency, perSecond, seconds, distinct);
    }

    /// <summary>Records the M1-style figures and the accounting checks of an open-loop run.</summary>
    /// <param name="namePrefix">Put before every figure's and check's name (a ramp's step: "step 2 (450 000 points/s): ").</param>
    public static async Task ReportAsync(ScenarioResult result, Target target, RunOptions options, Scrape before, Outcome outcome, string idPrefix, CancellationToken cancellationToken, string namePrefix = "")
    {
        var throughput = Median(outcome.PerSecond);
        result.Add(idPrefix + ".offered", namePrefix + "offered load", options.Rate, "points/s");
        result.Add(idPrefix + ".window", namePrefix + string.Create(CultureInfo.InvariantCulture, $"measured window (after {options.Warmup:0.#} s of warm-up at the same load)"), options.Seconds, "s");
        result.Add(idPrefix + ".throughput", namePrefix + "accepted (median of per-second samples)", throughput, "points/s", "≥ 1 000 000 points/s (local)", throughput >= 1_000_000);
        Latency(result, idPrefix + ".ack", namePrefix + "ack latency from intended send", outcome.Latency, p99Bar: 10);

        result.Check(namePrefix + "every batch acknowledged, in order", outcome.Acks == outcome.Batches && outcome.OutOfOrderAcks == 0,
            $"{outcome.Acks} acks for {outcome.Batches} batches, {outcome.OutOfOrderAcks} out of order");
        result.Check(namePrefix + "every point accepted", outcome.Accepted == outcome.Points && outcome.Rejected == 0,
            $"{outcome.Accepted} of {outcome.Points} points accepted by acks, {outcome.Rejected} rejected {outcome.RejectReasons}");
        var expected = before.Long(MetricsClient.Accepted) + outcome.Points;
        var (after, _) = await target.Metrics.WaitForAsync(s => s.Long(MetricsClient.Accepted) >= expected, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        var counted = after.Long(MetricsClient.Accepted) - before.Long(MetricsClient.Accepted);
        result.Check(namePrefix + "server's accepted count equals the points acknowledged", counted == outcome.Accepted && counted == outcome.Points,
            $"server {counted}, acks {outcome.Accepted}, sent {outcome.Points}");
    }

    public static void Latency(ScenarioResult result, string id, string name, HistogramBase histogram, double p99Bar, double? p50Bar = null)
    {
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var p50 = Ms(histogram.GetValueAtPercentile(50));
        var p99 = Ms(histogram.GetValueAtPercentile(99));
        result.Add(id + ".p50", name + " p50", p50, "ms", p50Bar is { } b ? $"≤ {b} ms" : "", p50Bar is { } c ? p50 <= c : null);
        result.Add(id + ".p90", name + " p90", Ms(histogram.GetValueAtPercentile(90)), "ms");
        result.Add(id + ".p99", name + " p99", p99, "ms", $"≤ {p99Bar} ms", p99 <= p99Bar);
        result.Add(id + ".p999", name + " p99.9", Ms(histogram.GetValueAtPercentile(99.9)), "ms");
        result.Add(id + ".max", name + " max", Ms(histogram.GetMaxValue()), "ms");
        result.Add(id + ".count", name + " samples", histogram.TotalCount, "");
    }

    public static double Median(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0)
        {
            return 0;
        }

        var sorted = samples.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static WriteRequest Batch(int stream, long k, RunOptions options, string[] metrics, string[] hosts, string[]? extraTags)
    {
        var request = new WriteRequest { BatchId = (ulong)k };
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var seriesBase = (k * options.Batch) + (stream * 7919L);
        for (var i = 0; i < options.Batch; i++)
        {
            var series = (int)((seriesBase + i) % options.Series);
            var point = new Point { Metric = metrics[series], Tags = { hosts[series] }, UnixMs = now, Value = series % 100 };
            if (extraTags is not null)
            {
                point.Tags.Add(extraTags[series]);
            }

            request.Points.Add(point);
        }

        return request;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
