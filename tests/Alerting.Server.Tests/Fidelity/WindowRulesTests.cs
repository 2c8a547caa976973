using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Microsoft.Extensions.Time.Testing;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.Fidelity;

/// <summary>
/// Issue 10 items 4, 5 and 9 (monitor-level mute) black-box through the real server over loopback:
/// exact window edges, space aggregation aligned per 15 s interval, and a muted monitor.
/// </summary>
public sealed class WindowRulesTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_window_covers_exactly_the_last_two_minutes_a_breach_110_s_back_still_counts_and_121_s_back_no_longer()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var id = await Create(server, call, "max(last_2m):avg:cpu{*} by {host} > 90", o =>
        {
            o.OnArrival = true;
            o.Thresholds = new Thresholds { CriticalRecovery = 80 };
        });

        // 95 at the end of a 15 s interval (Start + 14 s), then 40s: 110 s later the 95 is still in
        // (T − 120 s, T] (whole buckets dropped its bucket there); 121 s later it is not.
        await server.AdvanceAsync(time, Start.AddSeconds(14) - time.GetUtcNow());
        var spikeMs = Start.AddSeconds(14).ToUnixTimeMilliseconds();
        await Write(server, call, "cpu", "host:a", 95, spikeMs);
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(110));
        await Write(server, call, "cpu", "host:a", 40, spikeMs + 110_000);
        Assert.Equal([("OK", "ALERT")], (await History(server, call, id)).Select(e => (e.PreviousState, e.NewState)));

        await server.AdvanceAsync(time, TimeSpan.FromSeconds(11));
        await Write(server, call, "cpu", "host:a", 40, spikeMs + 121_000);
        var events = await History(server, call, id);
        Assert.Equal([("OK", "ALERT"), ("ALERT", "OK")], events.Select(e => (e.PreviousState, e.NewState)));
        Assert.Equal(40.0, events[1].Value);

        // Recovered once the 95 left the window: at an evaluation in [spike + 120 s, spike + 121 s].
        Assert.InRange(events[1].UnixMs, spikeMs + 120_000, spikeMs + 121_000);
    }

    [Fact]
    public async Task Space_sum_adds_hosts_reporting_seconds_apart_in_the_same_15_s_interval()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var id = await Create(server, call, "max(last_1m):sum:requests{*} > 15", o => o.OnArrival = true);

        // Start is on a 15 s boundary; web-1 reports at +1 s, web-2 at +4 s: one interval, 10 + 10.
        var intervalMs = Start.ToUnixTimeMilliseconds() + 15_000;
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(16));
        await Write(server, call, "requests", "host:web-1", 10, intervalMs + 1_000);
        Assert.Empty(await History(server, call, id));
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(3));
        await Write(server, call, "requests", "host:web-2", 10, intervalMs + 4_000);

        var alert = Assert.Single(await History(server, call, id));
        Assert.Equal(("OK", "ALERT", 20.0), (alert.PreviousState, alert.NewState, alert.Value));
    }

    [Fact]
    public async Task A_muted_monitor_changes_state_without_notifying_and_unmuted_notifies_again()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var id = await Create(server, call, "last(last_1m):avg:cpu{*} by {host} > 90", o =>
        {
            o.OnArrival = true;
            o.Muted = true;
        });

        await server.AdvanceAsync(time, TimeSpan.FromSeconds(5));
        await Write(server, call, "cpu", "host:a", 95, time.GetUtcNow().ToUnixTimeMilliseconds());
        var muted = Assert.Single(await History(server, call, id));
        Assert.Equal(("OK", "ALERT", true, false), (muted.PreviousState, muted.NewState, muted.Muted, muted.Notify));

        await Create(server, call, "last(last_1m):avg:cpu{*} by {host} > 90", o => o.OnArrival = true, id, UpsertOutcome.Updated);
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(5));
        await Write(server, call, "cpu", "host:a", 10, time.GetUtcNow().ToUnixTimeMilliseconds());
        var events = (await History(server, call, id)).Where(e => !e.Renotification).ToList();
        Assert.Equal([("OK", "ALERT"), ("ALERT", "OK")], events.Select(e => (e.PreviousState, e.NewState)));
        Assert.Equal((false, true), (events[1].Muted, events[1].Notify));
    }

    private static async Task<string> Create(TestServer server, Grpc.Core.CallOptions call, string query, Action<MonitorOptions> options, string id = "", UpsertOutcome outcome = UpsertOutcome.Created)
    {
        var monitor = new Monitor { Id = id, Name = query, Type = "metric", Query = query, Options = new MonitorOptions { NewGroupDelayMs = 0 } };
        options(monitor.Options);
        var response = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call);
        Assert.Equal(outcome, response.Outcome);
        return response.Monitor.Id;
    }

    private static async Task Write(TestServer server, Grpc.Core.CallOptions call, string metric, string tag, double value, long unixMs)
    {
        var ack = await server.Ingest.WriteBatchAsync(
            new WriteRequest { Points = { new Point { Metric = metric, Tags = { tag }, UnixMs = unixMs, Value = value } } },
            call);
        Assert.Equal(1, ack.Accepted);
    }

    private static async Task<List<Protocol.V1.TransitionEvent>> History(TestServer server, Grpc.Core.CallOptions call, string monitorId) =>
        [.. (await server.Alerts.HistoryAsync(new HistoryRequest { MonitorId = monitorId }, call)).Events];
}
