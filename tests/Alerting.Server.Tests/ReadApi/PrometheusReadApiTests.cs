using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.ReadApi;

/// <summary><c>/api/v1/alerts</c> and <c>/api/v1/rules</c> over real HTTP against a real server.</summary>
public sealed class PrometheusReadApiTests
{
    private const string AdminKey = "admin-key-0123456789";
    private const string ReadKey = "read-key-0123456789";
    private const string IngestKey = "ingest-key-0123456789";

    private static Monitor Cpu() => new()
    {
        Name = "cpu high",
        Type = "metric",
        Query = "avg(last_1m):avg:cpu{*} by {host} > 90",
        Message = "cpu is high on {{host.name}}",
        Tags = { "team:db", "service.name:api", "paging" },
        Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, Thresholds = new Thresholds { Critical = 90, Warning = 80 } },
    };

    private static Monitor Memory() => new()
    {
        Name = "memory slow",
        Type = "metric",
        Query = "avg(last_1m):avg:mem{*} by {host} > 50",
        Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, ForMs = 3_600_000, Thresholds = new Thresholds { Critical = 50 } },
    };

    private static Monitor Disk() => new()
    {
        Name = "disk full",
        Type = "metric",
        Query = "avg(last_1m):avg:disk{*} by {host} > 95",
        Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, EvaluationIntervalMs = 30_000, Thresholds = new Thresholds { Critical = 95 } },
    };

    private static Point Point(string metric, string host, double value) =>
        new() { Metric = metric, Tags = { "host:" + host }, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = value };

    /// <summary>
    /// A server with a firing monitor (host a ALERT, host b WARN, host c OK), a pending one (for 1 h)
    /// and an inactive one (its only group OK), once every transition is applied.
    /// </summary>
    private static async Task<(TestServer Server, string CpuId, string MemoryId, string DiskId)> StartWithStates()
    {
        var options = TestServer.Options();
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = AdminKey, Scopes = { "admin" } });
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = ReadKey, Scopes = { "read" } });
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = IngestKey, Scopes = { "ingest" } });
        var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token, AdminKey);
        var cpu = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Cpu() }, call)).Monitor.Id;
        var memory = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Memory() }, call)).Monitor.Id;
        var disk = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Disk() }, call)).Monitor.Id;
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        await server.Ingest.WriteBatchAsync(
            new WriteRequest { BatchId = 1, Points = { Point("cpu", "a", 95), Point("cpu", "b", 85), Point("cpu", "c", 10), Point("mem", "a", 70), Point("disk", "a", 20) } },
            call);

        // The write is acknowledged once applied, on-arrival evaluations included; the two cpu
        // transitions are awaited as well, so the test does not lean on that.
        var fired = new HashSet<string>(StringComparer.Ordinal);
        while (fired.Count < 2 && await subscription.ResponseStream.MoveNext(timeout.Token))
        {
            var e = subscription.ResponseStream.Current;
            if (e.MonitorId == cpu && e.NewState != "OK")
            {
                fired.Add(e.GroupKey);
            }
        }

        Assert.Equal(["host:a", "host:b"], fired.Order(StringComparer.Ordinal).ToArray());
        return (server, cpu, memory, disk);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Get(TestServer server, string route, string? key)
    {
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(route, UriKind.Relative));
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        return (response.StatusCode, json.RootElement.Clone());
    }

    private static Dictionary<string, string> Labels(JsonElement alert) =>
        alert.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);

    [Fact]
    public async Task Alerts_lists_firing_and_pending_groups_with_labels_and_leaves_OK_groups_out()
    {
        var (server, cpu, memory, _) = await StartWithStates();
        await using var running = server;

        var (status, body) = await Get(server, PrometheusReadApi.AlertsRoute, ReadKey);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("success", body.GetProperty("status").GetString());
        Assert.False(body.TryGetProperty("warnings", out _));
        var alerts = body.GetProperty("data").GetProperty("alerts").EnumerateArray().ToList();
        var byHost = alerts.Select(a => (Labels: Labels(a), Alert: a)).ToDictionary(a => a.Labels["alertname"] + "/" + a.Labels["host"]);
        Assert.Equal(["cpu high/a", "cpu high/b", "memory slow/a"], byHost.Keys.Order(StringComparer.Ordinal).ToArray());

        var a = byHost["cpu high/a"];
        Assert.Equal("firing", a.Alert.GetProperty("state").GetString());
        Assert.Equal("critical", a.Labels["severity"]);
        Assert.Equal(cpu, a.Labels["monitor_id"]);
        Assert.Equal("db", a.Labels["team"]);
        Assert.Equal("api", a.Labels["service_name"]);
        Assert.Equal("true", a.Labels["paging"]);
        Assert.Equal("9.5e+01", a.Alert.GetProperty("value").GetString());
        Assert.Equal("cpu is high on {{host.name}}", a.Alert.GetProperty("annotations").GetProperty("message").GetString());
        var activeAt = DateTimeOffset.Parse(a.Alert.GetProperty("activeAt").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(activeAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        var b = byHost["cpu high/b"];
        Assert.Equal("firing", b.Alert.GetProperty("state").GetString());
        Assert.Equal("warning", b.Labels["severity"]);
        Assert.Equal("8.5e+01", b.Alert.GetProperty("value").GetString());

        var m = byHost["memory slow/a"];
        Assert.Equal("pending", m.Alert.GetProperty("state").GetString());
        Assert.Equal("critical", m.Labels["severity"]);
        Assert.Equal(memory, m.Labels["monitor_id"]);
        Assert.Empty(m.Alert.GetProperty("annotations").EnumerateObject());
    }

    [Fact]
    public async Task Rules_lists_every_monitor_as_an_alerting_rule_with_its_state()
    {
        var (server, _, _, disk) = await StartWithStates();
        await using var running = server;

        var (status, body) = await Get(server, PrometheusReadApi.RulesRoute, ReadKey);

        Assert.Equal(HttpStatusCode.OK, status);
        var groups = body.GetProperty("data").GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["cpu high", "memory slow", "disk full"], groups.Select(g => g.GetProperty("name").GetString()!).ToArray());
        var rules = groups.Select(g => Assert.Single(g.GetProperty("rules").EnumerateArray().ToList())).ToList();
        Assert.All(rules, r => Assert.Equal("alerting", r.GetProperty("type").GetString()));
        Assert.Equal(["firing", "pending", "inactive"], rules.Select(r => r.GetProperty("state").GetString()!).ToArray());
        Assert.Equal([2, 1, 0], rules.Select(r => r.GetProperty("alerts").GetArrayLength()).ToArray());
        Assert.Equal("avg(last_1m):avg:cpu{*} by {host} > 90", rules[0].GetProperty("query").GetString());
        Assert.Equal(3600, rules[1].GetProperty("duration").GetDouble());
        Assert.Equal("db", rules[0].GetProperty("labels").GetProperty("team").GetString());
        Assert.Equal(disk, rules[2].GetProperty("labels").GetProperty("monitor_id").GetString());
        Assert.Equal(30, groups[2].GetProperty("interval").GetDouble());
        Assert.Equal(60, groups[0].GetProperty("interval").GetDouble());

        var (_, recordOnly) = await Get(server, PrometheusReadApi.RulesRoute + "?type=record", ReadKey);
        Assert.Equal(0, recordOnly.GetProperty("data").GetProperty("groups").GetArrayLength());
    }

    [Fact]
    public async Task The_routes_need_a_key_with_the_read_scope_and_answer_errors_in_Prometheus_shape()
    {
        var (server, _, _, _) = await StartWithStates();
        await using var running = server;

        foreach (var route in new[] { PrometheusReadApi.AlertsRoute, PrometheusReadApi.RulesRoute, PrometheusReadApi.BuildInfoRoute })
        {
            var (missing, missingBody) = await Get(server, route, null);
            var (wrongScope, wrongBody) = await Get(server, route, IngestKey);
            var (admin, _) = await Get(server, route, AdminKey);

            Assert.Equal(HttpStatusCode.Unauthorized, missing);
            Assert.Equal("error", missingBody.GetProperty("status").GetString());
            Assert.Contains("authorization: Bearer", missingBody.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Forbidden, wrongScope);
            Assert.Equal("error", wrongBody.GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.OK, admin);
        }

        var (badType, badTypeBody) = await Get(server, PrometheusReadApi.RulesRoute + "?type=nope", ReadKey);
        Assert.Equal(HttpStatusCode.BadRequest, badType);
        Assert.Equal("bad_data", badTypeBody.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task Responses_have_the_key_structure_and_value_kinds_of_Prometheus_2_42()
    {
        var (server, _, _, _) = await StartWithStates();
        await using var running = server;

        var (_, rules) = await Get(server, PrometheusReadApi.RulesRoute, ReadKey);
        var (_, alerts) = await Get(server, PrometheusReadApi.AlertsRoute, ReadKey);

        using var recordedRules = JsonDocument.Parse(PrometheusRecordedResponses.Rules);
        using var recordedAlerts = JsonDocument.Parse(PrometheusRecordedResponses.Alerts);
        Assert.Equal(Shape(recordedRules.RootElement), Shape(rules));
        Assert.Equal(Shape(recordedAlerts.RootElement), Shape(alerts));

        var (_, buildInfo) = await Get(server, PrometheusReadApi.BuildInfoRoute, ReadKey);
        using var recordedBuildInfo = JsonDocument.Parse(PrometheusRecordedResponses.BuildInfo);
        Assert.Equal(Shape(recordedBuildInfo.RootElement), Shape(buildInfo));
        var build = Hosting.GroupStateCensus.BuildInfo().ToDictionary(l => l.Key, l => (string)l.Value!, StringComparer.Ordinal);
        Assert.Equal(build["version"], buildInfo.GetProperty("data").GetProperty("version").GetString());
        Assert.Equal(build["commit"], buildInfo.GetProperty("data").GetProperty("revision").GetString());
        Assert.False(buildInfo.GetProperty("data").TryGetProperty("features", out _), "no features: Grafana treats the server as Prometheus, with no ruler API to write to");
    }

    [Fact]
    public async Task Metrics_count_groups_by_state_and_name_the_build()
    {
        var (server, _, _, _) = await StartWithStates();
        await using var running = server;
        using var timeout = new CancellationTokenSource(TestServer.Patience);

        // A walk that started after every transition was applied.
        await server.Host.Census.NextWalkAsync().WaitAsync(timeout.Token);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), timeout.Token);

        // cpu: a ALERT, b WARN, c OK; memory: a OK (pending); disk: a OK.
        Assert.Equal(3, Gauge(metrics, "alerting_groups", "state=\"ok\""));
        Assert.Equal(1, Gauge(metrics, "alerting_groups", "state=\"warn\""));
        Assert.Equal(1, Gauge(metrics, "alerting_groups", "state=\"alert\""));
        Assert.Equal(0, Gauge(metrics, "alerting_groups", "state=\"no_data\""));
        var build = metrics.Split('\n').Single(l => l.StartsWith("alerting_build_info{", StringComparison.Ordinal));
        Assert.Contains("runtime=\".NET 10", build, StringComparison.Ordinal);
        Assert.Matches("version=\"[0-9]+\\.[0-9]+", build);
        Assert.Matches("commit=\"([0-9a-f]{7,}|unknown)\"", build);
        Assert.Equal(1, Gauge(metrics, "alerting_build_info", "runtime="));
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels contain <paramref name="label"/>.</summary>
    private static double Gauge(string exposition, string name, string label)
    {
        var line = exposition.Split('\n').Single(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal));
        var afterLabels = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ');
        return double.Parse(afterLabels[0], CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData(1.0, "1e+00")]
    [InlineData(25.0, "2.5e+01")]
    [InlineData(0.001, "1e-03")]
    [InlineData(-1234.5678, "-1.2345678e+03")]
    [InlineData(1e100, "1e+100")]
    [InlineData(0.1 + 0.2, "3.0000000000000004e-01")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void Values_are_written_as_Go_writes_them(double value, string expected) =>
        Assert.Equal(expected, PrometheusReadApi.FormatValue(value));

    [Theory]
    [InlineData("host", "host")]
    [InlineData("service.name", "service_name")]
    [InlineData("9lives", "_lives")]
    [InlineData("a-b9", "a_b9")]
    public void Tag_keys_become_valid_label_names(string tagKey, string expected) =>
        Assert.Equal(expected, PrometheusReadApi.LabelName(tagKey));

    /// <summary>
    /// Every path with its JSON kind, sorted: arrays merge their elements, and the keys of
    /// <c>labels</c> and <c>annotations</c> (data, not structure) are left out.
    /// </summary>
    private static string[] Shape(JsonElement root)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        Walk(root, "$", paths);
        return [.. paths];

        static void Walk(JsonElement element, string path, SortedSet<string> paths)
        {
            var kind = element.ValueKind is JsonValueKind.True or JsonValueKind.False ? "Boolean" : element.ValueKind.ToString();
            paths.Add(path + ":" + kind);
            if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, path + "[]", paths);
                }
            }
            else if (element.ValueKind == JsonValueKind.Object && !path.EndsWith(".labels", StringComparison.Ordinal) && !path.EndsWith(".annotations", StringComparison.Ordinal))
            {
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, path + "." + property.Name, paths);
                }
            }
        }
    }
}
