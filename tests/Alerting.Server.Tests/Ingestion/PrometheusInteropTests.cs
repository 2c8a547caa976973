using Alerting.Protocol.V1;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.Ingestion;

/// <summary>A real Prometheus scrapes the server's own /metrics and remote-writes it back.</summary>
public sealed class PrometheusInteropTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Monitors_on_a_scraped_gauge_and_on_a_scraped_counter_fire_from_remote_write()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(Deadline);
        var call = TestServer.Call(timeout.Token);
        // alerting_monitors is a gauge (2 once both exist); alerting_ingest_accepted_total a
        // counter that grows with every remote write accepted, arriving as deltas.
        var gauge = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = OnArrival("monitors defined", "max(last_1m):max:alerting_monitors{job:alerting} by {instance} > 1.5") }, call);
        var counter = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = OnArrival("points accepted", "sum(last_1m):sum:alerting_ingest_accepted_total{job:alerting} by {instance} > 0") }, call);
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        await using var prometheus = await PrometheusProcess.StartAsync(new Uri(server.Host.HttpAddress, "/metrics"), new Uri(server.Host.HttpAddress, "/api/v1/write"));

        var firing = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (firing.Count < 2 && await subscription.ResponseStream.MoveNext(timeout.Token))
            {
                var e = subscription.ResponseStream.Current;
                if (e.NewState == "ALERT")
                {
                    firing.Add(e.MonitorId);
                    Assert.StartsWith("instance:", e.GroupKey, StringComparison.Ordinal);
                }
            }
        }
        catch (Grpc.Core.RpcException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail($"within {Deadline.TotalSeconds} s only {firing.Count} of 2 monitors fired; prometheus said:\n{prometheus.Log}");
        }

        Assert.Equal(new[] { gauge.Monitor.Id, counter.Monitor.Id }.Order(StringComparer.Ordinal), firing.Order(StringComparer.Ordinal));
    }

    private static Monitor OnArrival(string name, string query) => new()
    {
        Name = name,
        Type = "metric",
        Query = query,
        Message = name,
        Options = new Alerting.Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, OnArrival = true },
    };
}
