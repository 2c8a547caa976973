using System.Globalization;
using System.Text.RegularExpressions;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;

namespace Alerting.Server.Tests;

/// <summary>The ack and journal commit latency histograms, scraped from a real server's <c>/metrics</c> and parsed.</summary>
public sealed partial class LatencyHistogramsTests
{
    private const int Writes = 3;

    [Fact]
    public async Task Acks_and_journal_commits_are_scraped_as_Prometheus_histograms_in_seconds()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        for (var i = 1; i <= Writes; i++)
        {
            var point = new Point { Metric = "m", UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = i };
            await server.Ingest.WriteBatchAsync(new WriteRequest { BatchId = (ulong)i, Points = { point } }, TestServer.Call(timeout.Token));
        }

        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress, Timeout = TestServer.Patience };
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), timeout.Token);

        var acks = Histogram.Parse(metrics, "alerting_ingest_ack_latency_seconds");
        Assert.Equal(Writes, acks.Count);
        Assert.True(acks.Sum > 0, $"ack latency sum {acks.Sum} s");

        // Each acknowledged write waited for at least one commit, and the meter existed before the first write.
        var commits = Histogram.Parse(metrics, "alerting_journal_commit_latency_seconds");
        Assert.True(commits.Count >= 1, $"{commits.Count} commits recorded");
        Assert.True(commits.Sum > 0, $"commit latency sum {commits.Sum} s");
    }

    /// <summary>One histogram of the Prometheus text format, checked for the invariants every histogram keeps.</summary>
    private sealed record Histogram(List<(double Le, long Count)> Buckets, long Count, double Sum)
    {
        public static Histogram Parse(string text, string name)
        {
            var buckets = new List<(double Le, long Count)>();
            long? count = null;
            double? sum = null;
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith(name + "_bucket{", StringComparison.Ordinal))
                {
                    var le = Le().Match(line).Groups[1].Value;
                    buckets.Add((le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), (long)Value(line)));
                }
                else if (line.StartsWith(name + "_count", StringComparison.Ordinal))
                {
                    count = (long)Value(line);
                }
                else if (line.StartsWith(name + "_sum", StringComparison.Ordinal))
                {
                    sum = Value(line);
                }
            }

            Assert.True(count is not null && sum is not null, $"{name}_count and {name}_sum are exported");
            Assert.Equal([.. LatencyHistograms.BoundsSeconds, double.PositiveInfinity], buckets.Select(b => b.Le).ToArray());
            for (var i = 1; i < buckets.Count; i++)
            {
                Assert.True(buckets[i].Count >= buckets[i - 1].Count, $"{name}: buckets are cumulative");
            }

            Assert.Equal(count, buckets[^1].Count);
            return new Histogram(buckets, count!.Value, sum!.Value);
        }

        /// <summary>The sample value: after the labels, before an optional timestamp.</summary>
        private static double Value(string line)
        {
            var afterLabels = line[(line.LastIndexOf('}') + 1)..].Trim();
            return double.Parse(afterLabels.Split(' ')[0], CultureInfo.InvariantCulture);
        }
    }

    [GeneratedRegex("le=\"([^\"]+)\"")]
    private static partial Regex Le();
}
