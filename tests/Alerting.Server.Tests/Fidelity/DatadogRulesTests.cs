using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Microsoft.Extensions.Time.Testing;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.Fidelity;

/// <summary>
/// Datadog's documented monitor rules, black-box through the real server over loopback: points go in
/// through the ingest API, logical time moves with a fake clock, and transitions come back through
/// the history API with their rendered messages.
/// </summary>
public sealed class DatadogRulesTests
{
    private const long Minute = 60_000;
    private const string RecoveryMessage = "{{#is_alert}}high{{/is_alert}}{{#is_no_data}}silent{{/is_no_data}}{{#is_recovery}}recovered{{/is_recovery}}";

    private static readonly DateTimeOffset Start = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Recovery_threshold_is_inclusive_an_above_alert_recovers_at_exactly_the_recovery_value()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var id = await Create(server, call, "last(last_1m):avg:cpu{*} by {host} > 90", o =>
        {
            o.OnArrival = true;
            o.Thresholds = new Thresholds { CriticalRecovery = 80 };
        });

        foreach (var value in new[] { 95, 80.5, 80 })
        {
            await Write(server, time, call, "cpu", "host:a", value);
            await server.AdvanceAsync(time, TimeSpan.FromSeconds(5));
        }

        var events = await History(server, call, id);
        Assert.Equal([("OK", "ALERT"), ("ALERT", "OK")], events.Select(e => (e.PreviousState, e.NewState)));
        Assert.Equal((80.0, 80.0, "recovered"), (events[1].Value, events[1].Threshold, events[1].Message));
    }

    [Fact]
    public async Task Timeout_keeps_an_alert_while_breaching_data_arrives_and_resolves_one_timeout_after_the_last_point()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        const long interval = 10_000;
        var id = await Create(server, call, "last(last_1m):avg:cpu{*} by {host} > 90", o =>
        {
            o.EvaluationIntervalMs = interval;
            o.TimeoutMs = 2 * Minute;
        });

        // Five minutes of breaching points: more than twice the timeout, and still ALERT.
        for (var i = 0; i < 30; i++)
        {
            await Write(server, time, call, "cpu", "host:a", 95);
            await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
        }

        var lastPointMs = time.GetUtcNow().ToUnixTimeMilliseconds() - interval;
        Assert.Equal([("OK", "ALERT")], (await History(server, call, id)).Select(e => (e.PreviousState, e.NewState)));

        await server.AdvanceAsync(time, TimeSpan.FromMinutes(4));
        var events = await History(server, call, id);
        Assert.Equal(2, events.Count);
        Assert.Equal(("ALERT", "OK", "auto-resolved"), (events[1].PreviousState, events[1].NewState, events[1].Reason));
        Assert.InRange(events[1].UnixMs, lastPointMs + (2 * Minute), lastPointMs + (2 * Minute) + interval - 1);
    }

    [Fact]
    public async Task No_data_comes_one_timeframe_after_the_last_point_defaults_to_twice_the_window_and_recovers_with_is_recovery()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        const long interval = 10_000;
        var explicitTimeframe = await Create(server, call, "max(last_5m):avg:cpu{*} by {host} > 90", o =>
        {
            o.EvaluationIntervalMs = interval;
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = Minute;
        });
        var defaultTimeframe = await Create(server, call, "max(last_1m):avg:mem{*} by {host} > 90", o =>
        {
            o.EvaluationIntervalMs = interval;
            o.NotifyNoData = true;
        });

        var lastPointMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        await Write(server, time, call, "cpu", "host:a", 50);
        await Write(server, time, call, "mem", "host:a", 50);
        await server.AdvanceAsync(time, TimeSpan.FromMinutes(3));

        var cpu = Assert.Single(await History(server, call, explicitTimeframe));
        Assert.Equal(("OK", "NO_DATA", "silent"), (cpu.PreviousState, cpu.NewState, cpu.Message));
        Assert.InRange(cpu.UnixMs, lastPointMs + Minute, lastPointMs + Minute + interval - 1);
        var mem = Assert.Single(await History(server, call, defaultTimeframe));
        Assert.Equal("NO_DATA", mem.NewState);
        Assert.InRange(mem.UnixMs, lastPointMs + (2 * Minute), lastPointMs + (2 * Minute) + interval - 1);

        await Write(server, time, call, "cpu", "host:a", 50);
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(interval / 1000));
        var back = (await History(server, call, explicitTimeframe))[^1];
        Assert.Equal(("NO_DATA", "OK", "recovered"), (back.PreviousState, back.NewState, back.Message));
    }

    [Fact]
    public async Task A_series_without_the_by_tag_forms_no_group_it_is_left_out_of_the_multi_alert()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var id = await Create(server, call, "last(last_1m):avg:cpu{*} by {host} > 90", o => o.OnArrival = true);

        await Write(server, time, call, "cpu", "host:a", 95);
        await Write(server, time, call, "cpu", "role:db", 99);
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(5));

        var states = await server.Alerts.ListStatesAsync(new ListStatesRequest { MonitorId = id }, call);
        Assert.Equal(["host:a"], states.States.Select(g => g.GroupKey));
        Assert.Equal(["host:a"], (await History(server, call, id)).Select(e => e.GroupKey));
    }

    [Fact]
    public async Task A_downtime_end_notifies_by_default_on_expiry_in_alert_warn_and_no_data_and_on_cancel_only_when_asked()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var id = await Create(server, call, "last(last_1m):avg:cpu{*} by {host} > 90", o =>
        {
            o.OnArrival = true;
            o.Thresholds = new Thresholds { Warning = 80 };
        });
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();

        // Datadog v2 defaults (the request says nothing): notify on expiry in ALERT, WARN and NO DATA.
        var expiring = await server.Downtimes.CreateAsync(new CreateDowntimeRequest { Downtime = new Downtime { Scope = { "host:a" }, StartUnixMs = now, EndUnixMs = now + Minute } }, call);
        Assert.Equal(["expired"], expiring.Downtime.NotifyEnd.Types_);
        Assert.Equal(["alert", "no data", "warn"], expiring.Downtime.NotifyEnd.States);
        await server.Downtimes.CreateAsync(new CreateDowntimeRequest { Downtime = new Downtime { Id = "b", Scope = { "host:b" }, StartUnixMs = now } }, call);
        await server.Downtimes.CreateAsync(
            new CreateDowntimeRequest { Downtime = new Downtime { Id = "c", Scope = { "host:c" }, StartUnixMs = now, NotifyEnd = new DowntimeNotifyEnd { Types_ = { "canceled" }, States = { "alert" } } } },
            call);
        await Write(server, time, call, "cpu", "host:a", 85);
        await Write(server, time, call, "cpu", "host:b", 95);
        await Write(server, time, call, "cpu", "host:c", 95);

        await server.Downtimes.DeleteAsync(new DeleteDowntimeRequest { Id = "b" }, call);
        await server.Downtimes.DeleteAsync(new DeleteDowntimeRequest { Id = "c" }, call);
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(65));

        var ends = (await History(server, call, id)).Where(e => e.Reason == "downtime ended while alerting").ToList();
        Assert.Equal([("host:c", "ALERT"), ("host:a", "WARN")], ends.Select(e => (e.GroupKey, e.NewState)));
        Assert.InRange(ends[1].UnixMs, now + Minute, now + Minute + 100);
    }

    [Fact]
    public async Task Service_check_thresholds_count_consecutive_runs_of_each_host_alone()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Monitor
        {
            Name = "http up", Type = "check", Message = RecoveryMessage,
            Query = "\"http.can_connect\".over(\"*\").by(\"env\").last(1).count_by_status()",
            Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, CheckThresholds = new CheckThresholds { Critical = 3, Warning = 3, Ok = 2 } },
        };
        var id = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call)).Monitor.Id;

        // Two hosts in one group, their runs interleaved: host a's three CRITICAL runs in a row alert
        // although host b reports OK in between; one OK of host a holds the alert, the second ends it.
        var runs = new (string Host, CheckStatus Status)[]
        {
            ("a", CheckStatus.Critical), ("b", CheckStatus.Ok), ("a", CheckStatus.Critical), ("b", CheckStatus.Ok), ("a", CheckStatus.Critical),
            ("a", CheckStatus.Ok), ("b", CheckStatus.Ok), ("a", CheckStatus.Ok),
        };
        foreach (var (host, status) in runs)
        {
            var ack = await server.Ingest.WriteBatchAsync(
                new WriteRequest { CheckRuns = { new CheckRunInput { Check = "http.can_connect", Tags = { "env:prod", "host:" + host }, UnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(), Status = status } } },
                call);
            Assert.Equal(1, ack.Accepted);
            await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
        }

        var events = await History(server, call, id);
        Assert.Equal([("OK", "ALERT", "high"), ("ALERT", "OK", "recovered")], events.Select(e => (e.PreviousState, e.NewState, e.Message)));
        Assert.Equal(Start.ToUnixTimeMilliseconds() + 100 + (4 * 10_000), events[0].UnixMs, 200.0);
    }

    [Fact]
    public async Task On_missing_data_resolves_or_shows_no_data_when_an_evaluation_finds_no_data()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var resolve = await Create(server, call, "max(last_1m):avg:cpu{*} by {host} > 90", o =>
        {
            o.EvaluationIntervalMs = 10_000;
            o.OnMissingData = "resolve";
        });
        var show = await Create(server, call, "max(last_1m):avg:mem{*} by {host} > 90", o =>
        {
            o.EvaluationIntervalMs = 10_000;
            o.OnMissingData = "show_no_data";
        });

        await Write(server, time, call, "cpu", "host:a", 95);
        await Write(server, time, call, "mem", "host:a", 95);
        await server.AdvanceAsync(time, TimeSpan.FromMinutes(2));

        Assert.Equal([("OK", "ALERT", true), ("ALERT", "OK", true)], (await History(server, call, resolve)).Select(e => (e.PreviousState, e.NewState, e.Notify)));
        Assert.Equal([("OK", "ALERT", true), ("ALERT", "NO_DATA", false)], (await History(server, call, show)).Select(e => (e.PreviousState, e.NewState, e.Notify)));
    }

    [Fact]
    public async Task A_point_stamped_ahead_waits_for_its_time_it_neither_resolves_the_alert_early_nor_dates_events_ahead()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var id = await Create(server, call, "last(last_1m):avg:cpu{*} by {host} > 90", o => o.OnArrival = true);

        await Write(server, time, call, "cpu", "host:a", 95);
        var alertAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(1));

        // A recovering value stamped 50 s ahead (within the +60 s allowed), then fresh breaches at the current time.
        var aheadMs = time.GetUtcNow().ToUnixTimeMilliseconds() + 50_000;
        await Write(server, time, call, "cpu", "host:a", 10, aheadMs);
        for (var i = 0; i < 4; i++)
        {
            await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
            await Write(server, time, call, "cpu", "host:a", 97);
        }

        Assert.Equal([("OK", "ALERT")], (await History(server, call, id)).Select(e => (e.PreviousState, e.NewState)));

        await server.AdvanceAsync(time, TimeSpan.FromSeconds(20));
        var events = await History(server, call, id);
        Assert.Equal([("OK", "ALERT"), ("ALERT", "OK")], events.Select(e => (e.PreviousState, e.NewState)));
        Assert.InRange(events[0].UnixMs, alertAt, alertAt + 999);
        Assert.InRange(events[1].UnixMs, aheadMs, aheadMs + 999);
        Assert.Equal((10.0, "recovered"), (events[1].Value, events[1].Message));
    }

    [Fact]
    public async Task New_group_delay_defaults_to_60_seconds_a_new_groups_first_alert_waits_and_an_explicit_0_does_not()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var defaulted = await Create(server, call, "last(last_5m):avg:cpu{*} by {host} > 90", o =>
        {
            o.ClearNewGroupDelayMs();
            o.EvaluationIntervalMs = 10_000;
        });
        var immediate = await Create(server, call, "last(last_5m):avg:mem{*} by {host} > 90", o => o.EvaluationIntervalMs = 10_000);
        var stored = (await server.Monitors.GetAsync(new GetMonitorRequest { Id = defaulted }, call)).Monitor.Options;
        Assert.Equal((true, 60_000L), (stored.HasNewGroupDelayMs, stored.NewGroupDelayMs));

        var firstPointMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 9; i++)
        {
            await Write(server, time, call, "cpu", "host:a", 95);
            await Write(server, time, call, "mem", "host:a", 95);
            await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
        }

        var late = Assert.Single(await History(server, call, defaulted));
        var early = Assert.Single(await History(server, call, immediate));
        Assert.Equal(("OK", "ALERT", "OK", "ALERT"), (late.PreviousState, late.NewState, early.PreviousState, early.NewState));
        Assert.InRange(early.UnixMs, firstPointMs, firstPointMs + 10_000);
        Assert.InRange(late.UnixMs, firstPointMs + 60_000, firstPointMs + 70_000);
    }

    private static async Task<string> Create(TestServer server, Grpc.Core.CallOptions call, string query, Action<MonitorOptions> options)
    {
        var monitor = new Monitor { Name = query, Type = "metric", Query = query, Message = RecoveryMessage, Options = new MonitorOptions { NewGroupDelayMs = 0 } };
        options(monitor.Options);
        var response = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call);
        Assert.Equal(UpsertOutcome.Created, response.Outcome);
        return response.Monitor.Id;
    }

    private static async Task Write(TestServer server, FakeTimeProvider time, Grpc.Core.CallOptions call, string metric, string tag, double value, long? unixMs = null)
    {
        var ack = await server.Ingest.WriteBatchAsync(
            new WriteRequest { Points = { new Point { Metric = metric, Tags = { tag }, UnixMs = unixMs ?? time.GetUtcNow().ToUnixTimeMilliseconds(), Value = value } } },
            call);
        Assert.Equal(1, ack.Accepted);
    }

    private static async Task<List<Protocol.V1.TransitionEvent>> History(TestServer server, Grpc.Core.CallOptions call, string monitorId) =>
        [.. (await server.Alerts.HistoryAsync(new HistoryRequest { MonitorId = monitorId }, call)).Events];
}
