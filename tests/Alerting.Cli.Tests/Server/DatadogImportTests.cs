using System.Text.Json;
using Alerting.Cli.Tests.Files;

namespace Alerting.Cli.Tests.Server;

/// <summary>Datadog monitor exports (examples/datadog/) applied unedited to a real server and read back.</summary>
[Collection(ServerCollection.Name)]
public sealed class DatadogImportTests(ServerFixture server)
{
    private const long Minute = 60_000;

    [Fact]
    public async Task Datadog_exports_apply_unedited_and_read_back_in_datadog_units()
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var warnings = new List<string>();
        foreach (string file in new[] { "cpu-by-host.json", "rds-replica-lag.json", "http-can-connect.json", "storage.json" })
        {
            CliResult apply = await Run("monitors", "apply", "-f", MonitorFileTests.ExamplePath(Path.Combine("datadog", file)), "--json");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            warnings.AddRange(CliAgainstServerTests.Lines(apply.Error));
            foreach (string line in CliAgainstServerTests.Lines(apply.Out))
            {
                using JsonDocument response = JsonDocument.Parse(line);
                JsonElement monitor = response.RootElement.GetProperty("monitor");
                ids[monitor.GetProperty("name").GetString()!] = monitor.GetProperty("id").GetString()!;
            }
        }

        Assert.Equal(5, ids.Count);
        Assert.Empty(warnings);

        using (JsonDocument cpu = await Get(ids["[prod] CPU high on {{host.name}}"]))
        {
            JsonElement root = cpu.RootElement;
            JsonElement options = root.GetProperty("options");
            Assert.Equal(("metric", 2), (root.GetProperty("type").GetString(), root.GetProperty("priority").GetInt32()));
            Assert.Equal(["team:platform", "service:web", "env:prod"], root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal(10 * Minute, Long(options, "no_data_timeframe_ms"));
            Assert.Equal(30 * Minute, Long(options, "renotify_interval_ms"));
            Assert.Equal(Minute, Long(options, "new_group_delay_ms"));
            Assert.True(options.GetProperty("notify_no_data").GetBoolean());
            JsonElement thresholds = options.GetProperty("thresholds");
            Assert.Equal((90.0, 80.0, 70.0, 60.0), (thresholds.GetProperty("critical").GetDouble(), thresholds.GetProperty("warning").GetDouble(), thresholds.GetProperty("critical_recovery").GetDouble(), thresholds.GetProperty("warning_recovery").GetDouble()));
        }

        using (JsonDocument rds = await Get(ids["[prod] RDS replica lag on {{dbinstanceidentifier.name}}"]))
        {
            JsonElement options = rds.RootElement.GetProperty("options");
            Assert.Equal(15 * Minute, Long(options, "evaluation_delay_ms"));
            Assert.Equal(6 * 60 * Minute, Long(options, "timeout_ms"));
            Assert.Equal(5 * Minute, Long(options, "new_group_delay_ms"));
            Assert.Equal(60 * Minute, Long(options, "renotify_interval_ms"));
            Assert.Equal(3, options.GetProperty("renotify_occurrences").GetInt32());
            Assert.Equal("Replica {{dbinstanceidentifier.name}} is still lagging.", options.GetProperty("escalation_message").GetString());
            Assert.True(options.GetProperty("require_full_window").GetBoolean());
        }

        using (JsonDocument check = await Get(ids["[prod] {{instance.name}} unreachable from {{host.name}}"]))
        {
            Assert.Equal("check", check.RootElement.GetProperty("type").GetString());
            Assert.Equal(2 * Minute, Long(check.RootElement.GetProperty("options"), "no_data_timeframe_ms"));
            JsonElement counts = check.RootElement.GetProperty("options").GetProperty("check_thresholds");
            Assert.Equal((3, 1, 2), (counts.GetProperty("critical").GetInt32(), counts.GetProperty("warning").GetInt32(), counts.GetProperty("ok").GetInt32()));
        }

        CliResult again = await Run("monitors", "apply", "-f", MonitorFileTests.ExamplePath(Path.Combine("datadog", "storage.json")));
        Assert.Equal(2, CliAgainstServerTests.Lines(again.Out).Count(l => l.StartsWith("unchanged ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Formula_and_equality_exports_apply_unedited_and_keep_their_queries()
    {
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in new[] { "http-error-rate.json", "capacity-formulas.json", "counter-rates.json" })
        {
            await ApplyStrictAsync(MonitorFileTests.ExamplePath(Path.Combine("datadog", file)), queries);
        }

        Assert.Equal(7, queries.Count);
        Assert.Equal(
            "sum(last_5m):default_zero(sum:trace.http.request.errors{service:web,!env:staging} by {env}) / sum:trace.http.request.hits{service:web,!env:staging} by {env} * 100 > 5",
            queries["[prod] HTTP 5xx error rate on web {{env.name}}"]);
        Assert.Equal(
            "min(last_5m):sum:kubernetes_state.deployment.replicas_available{env:prod} by {kube_deployment} == 0",
            queries["[prod] No available replicas for {{kube_deployment.name}}"]);
        Assert.Equal(
            "avg(last_10m):per_second(sum:http.server.errors.total{service:api} by {env}) / per_second(sum:http.server.requests.total{service:api} by {env}) * 100 > 5",
            queries["[prod] API error percentage from counters in {{env.name}}"]);
        Assert.Equal(
            "min(last_15m):diff(max:rabbitmq.queue.messages{env:prod} by {queue}) >= 100",
            queries["[prod] Queue {{queue.name}} keeps growing"]);
    }

    [Fact]
    public async Task Anomaly_top_and_percentile_exports_apply_unedited_and_keep_their_queries()
    {
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in new[] { "anomalies.json", "top.json", "percentiles.json" })
        {
            string path = MonitorFileTests.ExamplePath(Path.Combine("datadog", name));
            foreach (var (monitorName, query) in await WrittenQueriesAsync(path))
            {
                written[monitorName] = query;
            }

            await ApplyStrictAsync(path, queries);
        }

        string file = MonitorFileTests.ExamplePath(Path.Combine("datadog", "anomalies.json"));
        Assert.Equal(5, queries.Count);
        Assert.Equal(written.OrderBy(q => q.Key, StringComparer.Ordinal), queries.OrderBy(q => q.Key, StringComparer.Ordinal));

        // A recovery window other than the alert window is not built: --strict refuses it.
        string other = CliAppTests.TempFile((await File.ReadAllTextAsync(file)).Replace("\"recovery_window\": \"last_15m\"", "\"recovery_window\": \"last_1h\"", StringComparison.Ordinal), ".json");
        CliResult strict = await Run("monitors", "apply", "-f", other, "--strict");
        Assert.Equal(1, strict.ExitCode);
        Assert.Contains("[0].options.threshold_windows.recovery_window: 'last_1h' differs from the query's alert_window 'last_15m'", strict.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Top_and_anomaly_exports_over_modifiers_apply_unedited_and_keep_their_queries()
    {
        string file = MonitorFileTests.ExamplePath(Path.Combine("datadog", "top-and-anomalies-modifiers.json"));
        var written = await WrittenQueriesAsync(file);
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        await ApplyStrictAsync(file, queries);

        Assert.Equal(7, queries.Count);
        Assert.Equal(written.OrderBy(q => q.Key, StringComparer.Ordinal), queries.OrderBy(q => q.Key, StringComparer.Ordinal));
        foreach (string modifier in new[] { ".as_count()", ".as_rate()", ".rollup(", ".fill(" })
        {
            Assert.Contains(queries.Values, q => q.Contains(":top(", StringComparison.Ordinal) && q.Contains(modifier, StringComparison.Ordinal));
            Assert.Contains(queries.Values, q => q.Contains(":anomalies(", StringComparison.Ordinal) && q.Contains(modifier, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Boolean_scope_exports_apply_unedited_and_keep_their_queries()
    {
        string file = MonitorFileTests.ExamplePath(Path.Combine("datadog", "boolean-scopes.json"));
        var written = await WrittenQueriesAsync(file);
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        await ApplyStrictAsync(file, queries);

        Assert.Equal(3, queries.Count);
        Assert.Equal(written.OrderBy(q => q.Key, StringComparer.Ordinal), queries.OrderBy(q => q.Key, StringComparer.Ordinal));
        Assert.Contains(queries.Values, q => q.Contains("device NOT IN (tmpfs, overlay)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_composite_export_applies_unedited_with_its_members_datadog_ids_replaced_by_theirs()
    {
        string file = MonitorFileTests.ExamplePath(Path.Combine("datadog", "composite.json"));

        CliResult apply = await Run("monitors", "apply", "-f", file, "--json", "--strict");

        Assert.True(apply.ExitCode == 0, apply.ToString());
        var applied = new Dictionary<string, (string Id, string Type, string Query)>(StringComparer.Ordinal);
        foreach (string line in CliAgainstServerTests.Lines(apply.Out))
        {
            using JsonDocument response = JsonDocument.Parse(line);
            JsonElement monitor = response.RootElement.GetProperty("monitor");
            applied[monitor.GetProperty("name").GetString()!] = (monitor.GetProperty("id").GetString()!, monitor.GetProperty("type").GetString()!, monitor.GetProperty("query").GetString()!);
        }

        var errors = applied["[prod] API error rate high on {{service.name}}"];
        var traffic = applied["[prod] API traffic on {{service.name}}"];
        var composite = applied["[prod] API failing under load on {{service.name}}"];
        Assert.Equal(("composite", $"{errors.Id} && {traffic.Id}"), (composite.Type, composite.Query));
        using (JsonDocument stored = await Get(composite.Id))
        {
            Assert.Equal($"{errors.Id} && {traffic.Id}", stored.RootElement.GetProperty("query").GetString());
        }

        CliResult again = await Run("monitors", "apply", "-f", file);
        Assert.Equal(3, CliAgainstServerTests.Lines(again.Out).Count(l => l.StartsWith("unchanged ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_composite_export_over_members_grouped_by_device_and_host_and_by_host_applies_unedited()
    {
        string file = MonitorFileTests.ExamplePath(Path.Combine("datadog", "composite-groups.json"));
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        await ApplyStrictAsync(file, queries);

        Assert.Equal(3, queries.Count);
        Assert.Contains(" by {device,host} ", queries["[prod] Disk almost full on {{device.name}} of {{host.name}}"], StringComparison.Ordinal);
        Assert.Contains(" by {host} ", queries["[prod] Disk writes busy on {{host.name}}"], StringComparison.Ordinal);
        Assert.Matches(@"^\S+ && \S+$", queries["[prod] Disk filling on a busy host: {{device.name}} of {{host.name}}"]);
    }

    [Fact]
    public async Task Rollup_fill_and_as_count_exports_apply_unedited_and_keep_their_queries()
    {
        string file = MonitorFileTests.ExamplePath(Path.Combine("datadog", "rollups-and-counts.json"));
        var written = await WrittenQueriesAsync(file);
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        await ApplyStrictAsync(file, queries);

        Assert.Equal(4, queries.Count);
        Assert.Equal(written.OrderBy(q => q.Key, StringComparer.Ordinal), queries.OrderBy(q => q.Key, StringComparer.Ordinal));
        Assert.Contains(queries.Values, q => q.Contains("(last_1w)", StringComparison.Ordinal) && q.Contains(".rollup(sum, 3600).fill(zero)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Strict_turns_each_unsupported_datadog_field_into_an_error_and_applies_nothing()
    {
        string export = await File.ReadAllTextAsync(MonitorFileTests.ExamplePath(Path.Combine("datadog", "rds-replica-lag.json")));
        string file = CliAppTests.TempFile(export.Replace("\"silenced\": {}", "\"silenced\": {\"dbinstanceidentifier:db-1\": null}", StringComparison.Ordinal), ".json");

        CliResult strict = await Run("monitors", "apply", "-f", file, "--strict");

        Assert.Equal(1, strict.ExitCode);
        Assert.Contains("[0].options.silenced: is not supported yet", strict.Error, StringComparison.Ordinal);
        Assert.Empty(strict.Out);
    }

    [Fact]
    public async Task A_value_the_server_refuses_is_reported_at_the_field_as_the_file_spells_it()
    {
        string name = $"dd-limit-{Guid.NewGuid():N}"[..20];
        string file = CliAppTests.TempFile($$"""
            {
              "id": 1,
              "type": "metric alert",
              "name": "{{name}}",
              "query": "avg(last_5m):avg:system.load.1{*} by {host} > 4",
              "options": {"thresholds": {"critical": 4}, "notify_no_data": true, "no_data_timeframe": 600000}
            }
            """);

        CliResult apply = await Run("monitors", "apply", "-f", file);

        Assert.Equal(3, apply.ExitCode);
        Assert.Contains($"failed   {name}: {file}:6:", apply.Error, StringComparison.Ordinal);
        Assert.Contains("[0].options.no_data_timeframe: must be", apply.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("no_data_timeframe_ms", apply.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("datadog")]
    [InlineData("yaml")]
    public async Task A_notify_by_export_applies_unedited_and_exports_its_notify_by_back(string format)
    {
        CliResult apply = await Run("monitors", "apply", "-f", MonitorFileTests.ExamplePath(Path.Combine("datadog", "notify-by.json")), "--json", "--strict");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        using JsonDocument response = JsonDocument.Parse(Assert.Single(CliAgainstServerTests.Lines(apply.Out)));
        string id = response.RootElement.GetProperty("monitor").GetProperty("id").GetString()!;
        using (JsonDocument stored = await Get(id))
        {
            Assert.Equal(["kube_cluster_name"], stored.RootElement.GetProperty("options").GetProperty("notify_by").EnumerateArray().Select(t => t.GetString()));
        }

        CliResult export = await Run("monitors", "export", "--format", format, "--name", "Nodes out of memory");
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains("notify_by", export.Out, StringComparison.Ordinal);
        CliResult again = await Run(["monitors", "apply", "-f", "-"], stdin: export.Out);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.StartsWith("unchanged [prod] Nodes out of memory", again.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("datadog")]
    [InlineData("yaml")]
    public async Task An_export_applies_back_unchanged(string format)
    {
        CliResult apply = await Run("monitors", "apply", "-f", MonitorFileTests.ExamplePath(Path.Combine("datadog", "cpu-by-host.json")));
        Assert.True(apply.ExitCode == 0, apply.ToString());

        CliResult export = await Run("monitors", "export", "--format", format, "--name", "CPU high on");
        CliResult again = await Run(["monitors", "apply", "-f", "-"], stdin: export.Out);

        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Empty(export.Error);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.StartsWith("unchanged [prod] CPU high on {{host.name}} (id ", again.Out, StringComparison.Ordinal);
        if (format == "datadog")
        {
            using JsonDocument exported = JsonDocument.Parse(export.Out);
            JsonElement options = Assert.Single(exported.RootElement.EnumerateArray()).GetProperty("options");
            Assert.Equal((10, 30, 60), (options.GetProperty("no_data_timeframe").GetInt32(), options.GetProperty("renotify_interval").GetInt32(), options.GetProperty("new_group_delay").GetInt32()));
        }
    }

    private static long Long(JsonElement options, string field)
    {
        JsonElement value = options.GetProperty(field);
        return value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : value.GetInt64();
    }

    private async Task<JsonDocument> Get(string id)
    {
        CliResult get = await Run("monitors", "get", id, "--json");
        Assert.True(get.ExitCode == 0, get.ToString());
        return JsonDocument.Parse(get.Out);
    }

    private Task<CliResult> Run(params string[] args) => Run(args, stdin: "");

    private Task<CliResult> Run(string[] args, string stdin) => CliRunner.RunAsync([.. args, "--server", server.GrpcAddress], stdin);

    /// <summary>The query each monitor of a Datadog export writes, by monitor name.</summary>
    private static async Task<Dictionary<string, string>> WrittenQueriesAsync(string file)
    {
        using JsonDocument export = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        return export.RootElement.EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("query").GetString()!, StringComparer.Ordinal);
    }

    /// <summary>Applies a Datadog export with <c>--strict</c> (it must succeed) and adds the query the server stored for each monitor, by name.</summary>
    private async Task ApplyStrictAsync(string file, Dictionary<string, string> queries)
    {
        CliResult apply = await Run("monitors", "apply", "-f", file, "--json", "--strict");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        foreach (string line in CliAgainstServerTests.Lines(apply.Out))
        {
            using JsonDocument response = JsonDocument.Parse(line);
            JsonElement monitor = response.RootElement.GetProperty("monitor");
            queries[monitor.GetProperty("name").GetString()!] = monitor.GetProperty("query").GetString()!;
        }
    }
}
