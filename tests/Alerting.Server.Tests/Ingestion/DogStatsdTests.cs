using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Alerting.Protocol.V1;
using Alerting.Server.Ingest.DogStatsd;

namespace Alerting.Server.Tests.Ingestion;

public sealed class DogStatsdTests
{
    [Theory]
    [InlineData("page.views:1|c", "page.views", 1.0, DogStatsdKind.Counter, 1.0, "")]
    [InlineData("temp:21.5|g|#room:lab,env:prod", "temp", 21.5, DogStatsdKind.Gauge, 1.0, "env:prod,room:lab")]
    [InlineData("req:3|c|@0.5|#env:prod", "req", 3.0, DogStatsdKind.Counter, 0.5, "env:prod")]
    [InlineData("latency:120|ms|T1700000000", "latency", 120.0, DogStatsdKind.Timer, 1.0, "")]
    [InlineData("size:4|h", "size", 4.0, DogStatsdKind.Timer, 1.0, "")]
    [InlineData("size:4|d|c:abc", "size", 4.0, DogStatsdKind.Timer, 1.0, "")]
    public void Lines_parse_into_name_value_kind_rate_and_sorted_tags(string text, string metric, double value, DogStatsdKind kind, double rate, string tags)
    {
        Assert.True(DogStatsdLine.TryParse(text, out var line, out var error), error);
        Assert.Equal((metric, value, kind, rate), (line.Metric, line.Value, line.Kind, line.SampleRate));
        Assert.Equal(tags, string.Join(',', line.Tags));
    }

    [Theory]
    [InlineData("no value")]
    [InlineData("m:abc|c")]
    [InlineData("m:1|s")]
    [InlineData("m:1|c|@2")]
    [InlineData("m:1|g|#bare")]
    [InlineData("_e{5,4}:title|text")]
    [InlineData("_sc|check|0")]
    [InlineData("m:1:2|d")]
    public void Bad_or_unsupported_lines_are_refused(string text) => Assert.False(DogStatsdLine.TryParse(text, out _, out _));

    /// <summary>Set to a failing seed to replay only that case.</summary>
    private const int ReplaySeed = 0;

    [Fact]
    public void Counters_scale_by_sample_rate_gauges_keep_the_last_and_timers_match_a_naive_summary()
    {
        foreach (var seed in ReplaySeed != 0 ? [ReplaySeed] : Enumerable.Range(1, 20))
        {
            Aggregate(seed);
        }
    }

    private static void Aggregate(int seed)
    {
        var random = new Random(seed);
        var aggregator = new DogStatsdAggregator(maxSeries: 10);
        var samples = Enumerable.Range(0, random.Next(1, 2 * DogStatsdAggregator.MaxSamplesPerTimer)).Select(_ => (double)random.Next(1, 500)).ToList();
        foreach (var s in samples)
        {
            Assert.True(aggregator.Add(new DogStatsdLine("latency", s, DogStatsdKind.Timer, 1, [])));
        }

        aggregator.Add(new DogStatsdLine("hits", 2, DogStatsdKind.Counter, 0.5, ["env:prod"]));
        aggregator.Add(new DogStatsdLine("hits", 1, DogStatsdKind.Counter, 1, ["env:prod"]));
        aggregator.Add(new DogStatsdLine("temp", 20, DogStatsdKind.Gauge, 1, []));
        aggregator.Add(new DogStatsdLine("temp", 22, DogStatsdKind.Gauge, 1, []));

        var points = aggregator.Flush(1_000).Where(p => p.Metric != "latency.bucket").ToDictionary(p => p.Metric);
        var kept = samples.Take(DogStatsdAggregator.MaxSamplesPerTimer).Order().ToList();
        double Rank(double p) => kept[Math.Max(0, (int)Math.Ceiling(p * kept.Count) - 1)];
        Assert.Equal((5.0, MetricType.Count), (points["hits"].Value, points["hits"].Type));
        Assert.Equal(["env:prod"], points["hits"].Tags);
        Assert.Equal((22.0, MetricType.Gauge), (points["temp"].Value, points["temp"].Type));
        Assert.True(samples.Count == points["latency.count"].Value, $"seed {seed}: count");
        Assert.True(samples.Sum() == points["latency.sum"].Value, $"seed {seed}: sum");
        Assert.True(Math.Abs(samples.Average() - points["latency.avg"].Value) < 1e-9, $"seed {seed}: avg");
        Assert.True(samples.Min() == points["latency.min"].Value, $"seed {seed}: min");
        Assert.True(samples.Max() == points["latency.max"].Value, $"seed {seed}: max");
        Assert.True(Rank(0.5) == points["latency.median"].Value, $"seed {seed}: median");
        Assert.True(Rank(0.95) == points["latency.95percentile"].Value, $"seed {seed}: 95th percentile");
        Assert.All(points.Values, p => Assert.Equal(1_000, p.UnixMs));
        Assert.Empty(aggregator.Flush(2_000));
    }

    [Fact]
    public void A_distribution_writes_one_bin_point_per_occupied_bin_and_its_count_at_plus_inf()
    {
        var aggregator = new DogStatsdAggregator(maxSeries: 10);
        string[] tags = ["env:prod", "zone:a"];
        foreach (var (value, rate) in new[] { (1.0, 1.0), (1.0, 1.0), (1.1, 0.5), (3.0, 1.0), (0.0, 1.0), (-2.0, 1.0), (1e13, 1.0) })
        {
            Assert.True(aggregator.Add(new DogStatsdLine("latency", value, DogStatsdKind.Timer, rate, tags)));
        }

        var buckets = aggregator.Flush(1_000).Where(p => p.Metric == "latency.bucket").Select(p => (Tags: string.Join(',', p.Tags), p.Value, p.Type)).ToList();

        // 0 and -2 in bin 0; 1 in bin 2^0; 1.1 (at rate 0.5, two) in bin 2^(1/4); 3 in bin 2^(7/4);
        // 1e13 above the last bound counts only in +Inf. Tags stay sorted around the bound tag.
        string Bin(double bound) => "bin_le:" + bound.ToString("R", CultureInfo.InvariantCulture) + ",env:prod,zone:a";
        Assert.Equal(
            [
                (Bin(0), 2.0, MetricType.Distribution),
                (Bin(1), 2.0, MetricType.Distribution),
                (Bin(Math.Pow(2, 0.25)), 2.0, MetricType.Distribution),
                (Bin(Math.Pow(2, 1.75)), 1.0, MetricType.Distribution),
                ("env:prod,le:+Inf,zone:a", 8.0, MetricType.Distribution),
            ],
            buckets);
        Assert.Equal("bin_le:1.189207115002721", Bin(Math.Pow(2, 0.25)).Split(',')[0]);
    }

    [Fact]
    public void Bins_rebuild_the_exact_cumulative_counts_at_every_fixed_bound_within_19_percent()
    {
        var bounds = DogStatsdAggregator.BinBounds;
        Assert.Equal(241, bounds.Length);
        Assert.True(bounds.Length < Engine.Evaluation.PercentileEvaluator.MaxBounds, "one metric's bins and +Inf fit the evaluator's cap");
        foreach (var seed in ReplaySeed != 0 ? [ReplaySeed] : Enumerable.Range(1, 50))
        {
            var random = new Random(seed);
            var aggregator = new DogStatsdAggregator(maxSeries: 10);
            var samples = Enumerable.Range(0, random.Next(1, 3 * DogStatsdAggregator.MaxSamplesPerTimer))
                .Select(_ => random.Next(20) == 0 ? -random.NextDouble() : Math.Pow(10, (random.NextDouble() * 24) - 8))
                .ToList();
            foreach (var s in samples)
            {
                aggregator.Add(new DogStatsdLine("d", s, DogStatsdKind.Timer, 1, []));
            }

            var points = aggregator.Flush(1_000).Where(p => p.Metric == "d.bucket").ToList();
            var bins = points.Where(p => p.Tags[0].StartsWith("bin_le:", StringComparison.Ordinal))
                .Select(p => (Bound: double.Parse(p.Tags[0]["bin_le:".Length..], CultureInfo.InvariantCulture), p.Value))
                .ToList();
            Assert.True(bins.Select(b => b.Bound).SequenceEqual(bins.Select(b => b.Bound).Order()), $"seed {seed}: bins in bound order");
            Assert.True(bins.All(b => bounds.Contains(b.Bound) && b.Value > 0), $"seed {seed}: only occupied fixed bins");
            Assert.True(points[^1].Tags.SequenceEqual(["le:+Inf"]) && points[^1].Value == samples.Count, $"seed {seed}: +Inf is the count");
            foreach (var bound in bounds)
            {
                var cumulative = bins.Where(b => b.Bound <= bound).Sum(b => b.Value);
                Assert.True(cumulative == samples.Count(s => s <= bound), $"seed {seed}: count at or below {bound}");
            }

            foreach (var s in samples.Where(s => s > bounds[1] && s <= bounds[^1]))
            {
                var bin = DogStatsdAggregator.BinOf(s);
                Assert.True(bounds[bin - 1] < s && s <= bounds[bin] && bounds[bin] / s < 1.19, $"seed {seed}: {s} in ({bounds[bin - 1]}, {bounds[bin]}]");
            }
        }
    }

    [Fact]
    public async Task A_percentile_monitor_fires_from_d_lines_over_UDP()
    {
        var options = TestServer.Options();
        options.DogStatsdPort = 0;
        options.DogStatsdFlushIntervalMs = (int)TimeSpan.FromHours(1).TotalMilliseconds;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Alerting.Protocol.Log.Monitor { Name = "slow checkout", Type = "metric", Query = "percentile(last_5m):p90:checkout.latency{*} by {env} > 0.5", Message = "m", Options = new Alerting.Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, OnArrival = true } };
        var created = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        var listener = server.Host.DogStatsd!;

        using var udp = new UdpClient();
        udp.Connect("127.0.0.1", listener.Port);
        var lines = string.Join('\n', Enumerable.Range(0, 5).Select(_ => "checkout.latency:0.05|d|#env:prod\ncheckout.latency:0.8|d|#env:prod"));
        await udp.SendAsync(Encoding.UTF8.GetBytes(lines), timeout.Token);
        await listener.WaitForLinesAsync(10, timeout.Token);
        Assert.Equal(7 + 2 + 1, await listener.FlushAsync());

        Assert.True(await subscription.ResponseStream.MoveNext(timeout.Token));
        var e = subscription.ResponseStream.Current;
        Assert.Equal((created.Monitor.Id, "env:prod", "ALERT"), (e.MonitorId, e.GroupKey, e.NewState));

        // 0.05 is in the bin (2^(-18/4), 2^(-17/4)], 0.8 in (2^(-2/4), 2^(-1/4)]: rank 9 of 10 is the
        // 4th of the 5 in the second, interpolated from the first's bound (the bins between are empty).
        var (lower, upper) = (Math.Pow(2, -17 / 4.0), Math.Pow(2, -1 / 4.0));
        Assert.Equal(lower + ((upper - lower) * (4 / 5.0)), e.Value, 12);
    }

    [Fact]
    public void Series_past_the_limit_are_refused_until_the_next_interval()
    {
        var aggregator = new DogStatsdAggregator(maxSeries: 2);
        Assert.True(aggregator.Add(new DogStatsdLine("a", 1, DogStatsdKind.Gauge, 1, [])));
        Assert.True(aggregator.Add(new DogStatsdLine("b", 1, DogStatsdKind.Gauge, 1, [])));
        Assert.False(aggregator.Add(new DogStatsdLine("c", 1, DogStatsdKind.Gauge, 1, [])));
        Assert.True(aggregator.Add(new DogStatsdLine("a", 2, DogStatsdKind.Gauge, 1, [])));
        Assert.Equal(2, aggregator.Flush(1).Count);
        Assert.True(aggregator.Add(new DogStatsdLine("c", 1, DogStatsdKind.Gauge, 1, [])));
    }

    [Fact]
    public async Task Lines_over_a_real_UDP_socket_are_aggregated_bad_ones_counted_and_a_flush_fires_a_monitor()
    {
        var options = TestServer.Options();
        options.DogStatsdPort = 0;
        // Only the test's explicit flush writes, so the aggregate is known exactly.
        options.DogStatsdFlushIntervalMs = (int)TimeSpan.FromHours(1).TotalMilliseconds;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Alerting.Protocol.Log.Monitor { Name = "checkout errors", Type = "metric", Query = "sum(last_1m):sum:checkout.errors{*} by {env} > 5", Message = "m", Options = new Alerting.Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, OnArrival = true } };
        await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        var listener = server.Host.DogStatsd!;

        using var udp = new UdpClient();
        udp.Connect("127.0.0.1", listener.Port);
        await udp.SendAsync(Encoding.UTF8.GetBytes("checkout.errors:2|c|@0.5|#env:prod\ngarbage\ncheckout.latency:12|ms|#env:prod\n"), timeout.Token);
        await udp.SendAsync(Encoding.UTF8.GetBytes("checkout.errors:2|c|#env:prod\ncheckout.users:1|s"), timeout.Token);
        await listener.WaitForLinesAsync(5, timeout.Token);
        var accepted = await listener.FlushAsync();

        Assert.Equal(2, listener.BadLines);
        Assert.Equal(1 + 7 + 2, accepted);
        Assert.True(await subscription.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal("env:prod", subscription.ResponseStream.Current.GroupKey);
        Assert.Equal(6, subscription.ResponseStream.Current.Value);
    }

    [Fact]
    public async Task The_periodic_flush_writes_without_being_asked()
    {
        var options = TestServer.Options();
        options.DogStatsdPort = 0;
        options.DogStatsdFlushIntervalMs = 100;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Alerting.Protocol.Log.Monitor { Name = "hot", Type = "metric", Query = "max(last_1m):max:room.temp{*} by {room} > 30", Message = "m", Options = new Alerting.Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, OnArrival = true } };
        await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);

        using var udp = new UdpClient();
        udp.Connect("127.0.0.1", server.Host.DogStatsd!.Port);
        await udp.SendAsync(Encoding.UTF8.GetBytes("room.temp:35|g|#room:lab"), timeout.Token);

        Assert.True(await subscription.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal("room:lab", subscription.ResponseStream.Current.GroupKey);
        Assert.Equal(0, server.Host.DogStatsd.FlushFailures);
    }
}
