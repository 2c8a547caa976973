using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.ReadApi;

/// <summary>The paged reads behind the Prometheus routes: across pages, and cut at a cap.</summary>
public sealed class PrometheusAlertsReaderTests
{
    /// <summary>More than one page of firing groups, so the reads resume from a position.</summary>
    private const int Hosts = PrometheusAlertsReader.PageSize + 500;

    [Fact]
    public async Task Firing_groups_are_read_across_pages_in_order_and_cut_at_the_cap_with_Truncated_set()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Monitor
        {
            Name = "load",
            Type = "metric",
            Query = "max(last_5m):max:load{*} by {host} > 4",
            Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, Thresholds = new Thresholds { Critical = 4 } },
        };
        await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call);
        await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = new Monitor(monitor) { Name = "load again" } }, call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        var write = new WriteRequest { BatchId = 1 };
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < Hosts; i++)
        {
            write.Points.Add(new Point { Metric = "load", Tags = { $"host:h{i:D5}" }, UnixMs = now, Value = 5 });
        }

        await server.Ingest.WriteBatchAsync(write, call);
        var fired = 0;
        while (fired < 2 * Hosts && await subscription.ResponseStream.MoveNext(timeout.Token))
        {
            fired++;
        }

        var reader = new PrometheusAlertsReader(new EngineCalls(server.Host.Node));
        var all = await reader.ActiveGroupsAsync();
        var cut = await reader.ActiveGroupsAsync(max: Hosts + 1);
        var monitors = await reader.MonitorsAsync(max: 1);

        Assert.False(all.Truncated);
        Assert.Equal(2 * Hosts, all.Items.Count);
        var expectedKeys = Enumerable.Range(0, Hosts).Select(i => $"host:h{i:D5}").ToList();
        Assert.Equal(expectedKeys.Concat(expectedKeys), all.Items.Select(g => g.GroupKey));
        Assert.Equal(["load", "load again"], all.Items.Select(g => g.MonitorName).Distinct().ToArray());
        Assert.All(all.Items, g => Assert.Equal(5, g.Value));

        Assert.True(cut.Truncated);
        Assert.Equal(all.Items.Take(Hosts + 1).Select(g => (g.MonitorId, g.GroupKey)), cut.Items.Select(g => (g.MonitorId, g.GroupKey)));

        Assert.True(monitors.Truncated);
        Assert.Equal("load", Assert.Single(monitors.Items).Name);
    }
}
