using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests;

/// <summary>
/// <c>Monitors.Backtest</c> through the real server on loopback, over its real FasterLog journal: points go
/// in through the ingest API while a fake clock moves logical time, then a candidate is replayed.
/// </summary>
public sealed class BacktestTests
{
    private const long Second = 1_000;
    private const long Minute = 60 * Second;
    private const string Query = "avg(last_1m):avg:cpu{*} by {host} > 90";
    private const string Message = "{{#is_alert}}cpu {{value}} on {{host.name}}{{/is_alert}}{{#is_recovery}}recovered{{/is_recovery}}";

    private static readonly DateTimeOffset Start = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Backtest_of_a_live_monitors_definition_reproduces_its_history_and_leaves_live_state_unchanged()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var live = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Candidate() }, call);
        await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));

        // Three quiet minutes, two breaching ones, three quiet again: the live monitor alerts and recovers.
        await WriteEvery10s(server, time, call, 50, TimeSpan.FromMinutes(3));
        var breachFromMs = await WriteEvery10s(server, time, call, 95, TimeSpan.FromMinutes(2));
        await WriteEvery10s(server, time, call, 50, TimeSpan.FromMinutes(3));
        var liveHistory = (await server.Alerts.HistoryAsync(new HistoryRequest { MonitorId = live.Monitor.Id }, call)).Events;
        Assert.Equal([("OK", "ALERT"), ("ALERT", "OK")], liveHistory.Select(e => (e.PreviousState, e.NewState)));
        var before = await LiveView(server, call);

        // The live definition, id included (the id fixes the evaluation phase), as the candidate.
        var fromMs = breachFromMs - Minute;
        var toMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var response = await server.Monitors.BacktestAsync(new BacktestRequest { Monitor = live.Monitor, FromUnixMs = fromMs, ToUnixMs = toMs }, call);

        Assert.Equal(
            liveHistory.Select(e => (e.GroupKey, e.PreviousState, e.NewState, e.UnixMs, e.Value, e.Reason, e.Message, e.LogIndex)),
            response.Events.Select(e => (e.GroupKey, e.PreviousState, e.NewState, e.UnixMs, e.Value, e.Reason, e.Message, e.LogIndex)));
        Assert.Equal("cpu 95 on a", response.Events[0].Message);
        Assert.All(response.Events, e => Assert.Equal(Query, e.MonitorName));
        Assert.False(response.StartsLate, $"the journal holds the whole warm-up: {response}");
        // Window 1 m, one 10 s interval, no delays; the replay starts at the last tick before that.
        Assert.Equal(fromMs - Minute - (10 * Second), response.ReplayFromUnixMs);
        Assert.InRange(response.CoveredFromUnixMs, response.ReplayFromUnixMs - (10 * Second), response.ReplayFromUnixMs - 1);
        Assert.True(response.PointsReplayed > 0 && response.EntriesScanned >= response.PointsReplayed, $"{response}");
        Assert.Equal(before, await LiveView(server, call));
    }

    [Fact]
    public async Task A_candidate_that_would_have_fired_reports_its_transitions_and_a_range_older_than_the_journal_says_where_it_starts()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var journalStartMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        await WriteEvery10s(server, time, call, 50, TimeSpan.FromMinutes(2));
        var breachFromMs = await WriteEvery10s(server, time, call, 95, TimeSpan.FromMinutes(2));
        var before = await LiveView(server, call);

        var candidate = Candidate();
        candidate.Options.NewGroupDelayMs = 0;
        var response = await server.Monitors.BacktestAsync(new BacktestRequest { Monitor = candidate, FromUnixMs = journalStartMs - (60 * Minute) }, call);

        var alert = Assert.Single(response.Events);
        Assert.Equal(("host:a", "OK", "ALERT", "cpu 95 on a"), (alert.GroupKey, alert.PreviousState, alert.NewState, alert.Message));
        Assert.InRange(alert.UnixMs, breachFromMs, breachFromMs + (2 * Minute));
        Assert.True(response.StartsLate, "the journal holds nothing from an hour before the server started");
        Assert.InRange(response.CoveredFromUnixMs, journalStartMs - Second, journalStartMs + Second);
        Assert.InRange(response.CoveredToUnixMs, time.GetUtcNow().ToUnixTimeMilliseconds() - Second, time.GetUtcNow().ToUnixTimeMilliseconds());
        Assert.Equal(before, await LiveView(server, call));
        Assert.Empty((await server.Monitors.ListAsync(new ListMonitorsRequest(), call)).Monitors);
    }

    [Fact]
    public async Task More_transitions_than_max_transitions_is_resource_exhausted_naming_the_limit()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = await TestServer.StartAsync(time);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var fromMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        await WriteEvery10s(server, time, call, 95, TimeSpan.FromMinutes(2));
        await WriteEvery10s(server, time, call, 50, TimeSpan.FromMinutes(2));
        var candidate = Candidate();
        candidate.Options.NewGroupDelayMs = 0;

        var two = await server.Monitors.BacktestAsync(new BacktestRequest { Monitor = candidate, FromUnixMs = fromMs, MaxTransitions = 2 }, call);
        var error = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.BacktestAsync(new BacktestRequest { Monitor = candidate, FromUnixMs = fromMs, MaxTransitions = 1 }, call).ResponseAsync);

        Assert.Equal(2, two.Events.Count);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.StartsWith("max_transitions (1): ", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_journal_entries_than_the_scan_limit_is_resource_exhausted_naming_the_setting()
    {
        var options = TestServer.Options();
        options.Backtest.MaxEntriesScanned = 5;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(1, (await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 50, (ulong)i + 1), call)).Accepted);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.BacktestAsync(new BacktestRequest { Monitor = Candidate(), FromUnixMs = 1 }, call).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.StartsWith("Backtest:MaxEntriesScanned (5): ", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_standby_serves_a_backtest_read_only_from_its_own_journal()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var fromMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - Minute;
        await using (var primary = await TestServer.StartAsync(TestServer.Options(dataDirectory), ownsDirectory: false))
        {
            Assert.Equal(1, (await primary.Ingest.WriteBatchAsync(Samples.Cpu("a", 95), call)).Accepted);
        }

        var options = TestServer.Options(dataDirectory);
        options.Role = Engine.Pipeline.NodeRole.Standby;
        await using var standby = await TestServer.StartAsync(options);
        var response = await standby.Monitors.BacktestAsync(new BacktestRequest { Monitor = Samples.CpuMonitor(), FromUnixMs = fromMs, ToUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, call);

        var alert = Assert.Single(response.Events);
        Assert.Equal(("host:a", "OK", "ALERT"), (alert.GroupKey, alert.PreviousState, alert.NewState));
        Assert.Equal("standby", (await standby.Cluster.StatusAsync(new StatusRequest(), call)).Role);
        Assert.Empty((await standby.Monitors.ListAsync(new ListMonitorsRequest(), call)).Monitors);
    }

    [Fact]
    public void The_backtest_limits_are_settings_and_a_limit_that_is_not_positive_is_refused_naming_it()
    {
        var options = Hosting.ServerConfiguration.Load(["--Backtest:MaxEntriesScanned", "1000"], new Dictionary<string, string?> { ["ALERTING_Backtest__MaxConcurrent"] = "0" });

        Assert.Equal(1000, options.Backtest.MaxEntriesScanned);
        Assert.Equal(BacktestOptions.DefaultMaxPointsReplayed, options.Backtest.MaxPointsReplayed);
        var error = Assert.Throws<Hosting.ServerOptionsException>(() => options.Validate());
        Assert.StartsWith("Backtest:MaxConcurrent must be positive", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("avg(last_1m):avg:cpu{*} >> 90", 1_000, 0, 0, "monitor.query: ")]
    [InlineData(Query, 0, 0, 0, "from_unix_ms: ")]
    [InlineData(Query, 2_000, 1_000, 0, "to_unix_ms: ")]
    [InlineData(Query, 1_000, 0, BacktestOptions.MaxTransitionsLimit + 1, "max_transitions: ")]
    public async Task Bad_requests_are_invalid_argument_naming_the_field(string query, long fromMs, long toMs, int maxTransitions, string field)
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var candidate = Candidate();
        candidate.Query = query;

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.BacktestAsync(
            new BacktestRequest { Monitor = candidate, FromUnixMs = fromMs, ToUnixMs = toMs, MaxTransitions = maxTransitions },
            TestServer.Call(timeout.Token)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_composite_candidate_is_invalid_argument_on_its_type()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var composite = new Monitor { Name = "c", Type = "composite", Query = "a && b", Message = Message };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.BacktestAsync(
            new BacktestRequest { Monitor = composite, FromUnixMs = 1_000, ToUnixMs = 2_000 },
            TestServer.Call(timeout.Token)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("monitor.type: a composite monitor reads other monitors' states", error.Status.Detail, StringComparison.Ordinal);
    }

    private static Monitor Candidate() => new()
    {
        Name = Query,
        Type = "metric",
        Query = Query,
        Message = Message,
        Options = new MonitorOptions { EvaluationIntervalMs = 10 * Second, NewGroupDelayMs = 0 },
    };

    /// <summary>Writes <paramref name="value"/> for host a every 10 s for <paramref name="duration"/>; returns the first point's time.</summary>
    private static async Task<long> WriteEvery10s(TestServer server, FakeTimeProvider time, CallOptions call, double value, TimeSpan duration)
    {
        var firstMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var left = duration; left > TimeSpan.Zero; left -= TimeSpan.FromSeconds(10))
        {
            var point = new Point { Metric = "cpu", Tags = { "host:a" }, UnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(), Value = value };
            Assert.Equal(1, (await server.Ingest.WriteBatchAsync(new WriteRequest { Points = { point } }, call)).Accepted);
            await server.AdvanceAsync(time, TimeSpan.FromSeconds(10));
        }

        return firstMs;
    }

    /// <summary>Everything a backtest must leave alone: the applied index (no entry written), monitors, group states and history.</summary>
    private static async Task<string> LiveView(TestServer server, CallOptions call)
    {
        var status = await server.Cluster.StatusAsync(new StatusRequest(), call);
        var monitors = await server.Monitors.ListAsync(new ListMonitorsRequest(), call);
        var states = await server.Alerts.ListStatesAsync(new ListStatesRequest(), call);
        var history = await server.Alerts.HistoryAsync(new HistoryRequest { Limit = AlertsService.MaxHistoryLimit }, call);
        return $"applied {status.AppliedIndex} logical {status.LogicalTimeUnixMs}\n{monitors}\n{states}\n{history}";
    }
}
