using System.Diagnostics;
using System.Globalization;
using Alerting.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;

namespace Alerting.LoadClient;

/// <summary>
/// M1: several concurrent <c>Ingest.Write</c> streams send batches over a fixed set of series on
/// a schedule (batch k of a stream is due at start + k × period), and every ack's latency is
/// measured from the batch's scheduled send time, not from when it was actually sent, so a
/// stalled server shows up in the latency instead of silently lowering the offered load
/// (coordinated omission).
/// </summary>
internal static class IngestScenario
{
    public static async Task<string> RunAsync(GrpcChannel channel, LoadOptions options)
    {
        var client = new Ingest.IngestClient(channel);
        var histogram = new LongConcurrentHistogram(1, TimeStamp.Seconds(60), 3);
        long acked = 0;
        long rejected = 0;
        var perStreamRate = (double)options.Rate / options.Streams;
        var period = TimeSpan.FromSeconds(options.BatchSize / perStreamRate);
        var deadline = Stopwatch.GetTimestamp() + (long)(options.Seconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();

        var streams = Enumerable.Range(0, options.Streams).Select(s => Task.Run(async () =>
        {
            using var call = client.Write(options.Headers());
            var scheduled = new System.Collections.Concurrent.ConcurrentQueue<long>();
            var reader = Task.Run(async () =>
            {
                await foreach (var ack in call.ResponseStream.ReadAllAsync())
                {
                    scheduled.TryDequeue(out var due);
                    histogram.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - due));
                    Interlocked.Add(ref acked, ack.Accepted);
                    Interlocked.Add(ref rejected, ack.Rejected.Sum(r => r.Count));
                }
            });

            var first = Stopwatch.GetTimestamp();
            for (long k = 0; ; k++)
            {
                var due = first + (long)(k * period.TotalSeconds * Stopwatch.Frequency);
                if (due >= deadline)
                {
                    break;
                }

                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                }

                scheduled.Enqueue(due);
                await call.RequestStream.WriteAsync(Batch(s, k, options));
            }

            await call.RequestStream.CompleteAsync();
            await reader;
        })).ToArray();
        await Task.WhenAll(streams);

        var seconds = (double)(Stopwatch.GetTimestamp() - started) / Stopwatch.Frequency;
        return string.Create(CultureInfo.InvariantCulture, $"""
            M1 ingest: {options.Streams} streams, batches of {options.BatchSize}, {options.Series} series, offered {options.Rate} points/s for {options.Seconds} s
              accepted {acked} points ({acked / seconds:F0} points/s), rejected {rejected}
              ack latency (from scheduled send) {Percentiles(histogram)}
            """);
    }

    internal static string Percentiles(HistogramBase histogram)
    {
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return string.Create(CultureInfo.InvariantCulture,
            $"p50 {Ms(histogram.GetValueAtPercentile(50)):F2} ms, p99 {Ms(histogram.GetValueAtPercentile(99)):F2} ms, p99.9 {Ms(histogram.GetValueAtPercentile(99.9)):F2} ms, max {Ms(histogram.GetMaxValue()):F2} ms (n={histogram.TotalCount})");
    }

    private static WriteRequest Batch(int stream, long k, LoadOptions options)
    {
        var request = new WriteRequest { BatchId = (ulong)k };
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var seriesBase = (int)((k * options.BatchSize) + (stream * 7919L));
        for (var i = 0; i < options.BatchSize; i++)
        {
            var series = (seriesBase + i) % options.Series;
            request.Points.Add(new Point
            {
                Metric = "load.metric",
                Tags = { "host:h" + series.ToString(CultureInfo.InvariantCulture) },
                UnixMs = now,
                Value = series % 100,
            });
        }

        return request;
    }
}
