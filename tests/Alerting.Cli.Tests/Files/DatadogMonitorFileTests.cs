using Alerting.Cli.Files;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Tests.Files;

/// <summary>Datadog monitor JSON as <c>/api/v1/monitor</c> exports it, read by <see cref="MonitorFile"/>.</summary>
public sealed class DatadogMonitorFileTests
{
    private const long Minute = 60_000;

    private const string Export = """
        {
          "id": 123,
          "org_id": 9,
          "type": "metric alert",
          "name": "cpu",
          "message": "{{#is_alert}}high{{/is_alert}}",
          "tags": ["team:a"],
          "query": "avg(last_5m):avg:system.cpu.user{*} by {host} > 90",
          "options": {
            "thresholds": {"critical": 90, "warning": 80, "critical_recovery": 70, "warning_recovery": null},
            "notify_no_data": true,
            "no_data_timeframe": 10,
            "renotify_interval": 30,
            "renotify_statuses": ["alert"],
            "renotify_occurrences": null,
            "timeout_h": 2,
            "evaluation_delay": 120,
            "new_group_delay": 45,
            "new_host_delay": 300,
            "require_full_window": false,
            "group_retention_duration": "60m",
            "include_tags": true,
            "notify_audit": true,
            "silenced": {},
            "escalation_message": "",
            "on_missing_data": "default"
          },
          "multi": true,
          "created": "2024-01-01T00:00:00+00:00",
          "modified": "2024-01-02T00:00:00+00:00",
          "deleted": null,
          "creator": {"id": 1, "handle": "a@example.com"},
          "overall_state": "OK",
          "restricted_roles": null,
          "priority": 2
        }
        """;

    [Fact]
    public void A_datadog_export_is_read_in_datadog_units_with_read_only_fields_ignored()
    {
        MonitorFileResult result = MonitorFile.Parse("dd.json", Export);

        Assert.True(result.IsValid, string.Join('\n', result.Errors));
        Assert.Empty(result.Warnings);
        Monitor monitor = Assert.Single(result.Monitors);
        Assert.Equal(("metric", "cpu", 2, "team:a"), (monitor.Type, monitor.Name, monitor.Priority, Assert.Single(monitor.Tags)));
        MonitorOptions o = monitor.Options;
        Assert.Equal(10 * Minute, o.NoDataTimeframeMs);
        Assert.Equal(30 * Minute, o.RenotifyIntervalMs);
        Assert.Equal(2 * 60 * Minute, o.TimeoutMs);
        Assert.Equal(120_000, o.EvaluationDelayMs);
        Assert.Equal(45_000, o.NewGroupDelayMs);
        Assert.Equal(60 * Minute, o.GroupRetentionMs);
        Assert.True(o.NotifyNoData);
        Assert.Equal(["alert"], o.RenotifyStatuses);
        Assert.Equal((90.0, 80.0, 70.0, false), (o.Thresholds.Critical, o.Thresholds.Warning, o.Thresholds.CriticalRecovery, o.Thresholds.HasWarningRecovery));
    }

    [Theory]
    [InlineData("\"new_group_delay\": 0, \"new_host_delay\": 300,", true, 0)]
    [InlineData("\"new_group_delay\": null, \"new_host_delay\": null,", false, 0)]
    [InlineData("\"new_host_delay\": 0,", true, 0)]
    public void A_zero_new_group_delay_is_a_setting_and_null_leaves_it_to_the_60_second_default(string fields, bool present, long expectedMs)
    {
        MonitorFileResult result = MonitorFile.Parse("dd.json", Export.Replace("\"new_group_delay\": 45,\n    \"new_host_delay\": 300,", fields, StringComparison.Ordinal));

        Assert.True(result.IsValid, string.Join('\n', result.Errors));
        MonitorOptions o = Assert.Single(result.Monitors).Options;
        Assert.Equal((present, expectedMs), (o.HasNewGroupDelayMs, o.NewGroupDelayMs));
        Assert.Equal(present ? 0 : Engine.Monitors.MonitorDefaults.NewGroupDelayMs, Engine.Monitors.MonitorDefaults.Apply(Assert.Single(result.Monitors)).Options.NewGroupDelayMs);
    }

    [Fact]
    public void An_explicit_zero_new_group_delay_survives_export_and_reimport_in_both_formats()
    {
        var monitor = new Monitor { Name = "cpu", Type = "metric", Query = "avg(last_5m):avg:cpu{*} > 90", Options = new MonitorOptions { NewGroupDelayMs = 0 } };
        var unset = new Monitor { Name = "mem", Type = "metric", Query = "avg(last_5m):avg:mem{*} > 90", Options = new MonitorOptions() };

        foreach (var (name, text) in new[] { ("x.json", MonitorExport.ToDatadog([monitor, unset], [])), ("x.yaml", MonitorExport.ToYaml([monitor, unset])) })
        {
            MonitorFileResult back = MonitorFile.Parse(name, text);
            Assert.True(back.IsValid, string.Join('\n', back.Errors));
            Assert.Equal([(true, 0L), (false, 0L)], back.Monitors.Select(m => (m.Options.HasNewGroupDelayMs, m.Options.NewGroupDelayMs)));
        }
    }

    [Fact]
    public void Notify_by_is_read_without_a_warning()
    {
        MonitorFileResult result = MonitorFile.Load(MonitorFileTests.ExamplePath(Path.Combine("datadog", "notify-by.json")), TextReader.Null);

        Assert.True(result.IsValid, string.Join('\n', result.Errors));
        Assert.Empty(result.Warnings);
        Assert.Equal(["kube_cluster_name"], Assert.Single(result.Monitors).Options.NotifyBy);
    }

    [Fact]
    public void New_host_delay_is_read_as_new_group_delay_when_that_is_absent()
    {
        MonitorFileResult result = MonitorFile.Parse("dd.json", Export.Replace("\"new_group_delay\": 45,", "", StringComparison.Ordinal));

        Assert.Equal(300_000, Assert.Single(result.Monitors).Options.NewGroupDelayMs);
    }

    [Fact]
    public void Each_unsupported_field_with_a_value_gives_one_warning_naming_it()
    {
        string export = Export
            .Replace("\"escalation_message\": \"\"", "\"escalation_message\": \"still bad\"", StringComparison.Ordinal)
            .Replace("\"silenced\": {}", "\"silenced\": {\"*\": 1700000000}", StringComparison.Ordinal)
            .Replace("\"on_missing_data\": \"default\"", "\"on_missing_data\": \"resolve\"", StringComparison.Ordinal)
            .Replace("\"multi\": true", "\"multi\": true, \"sla\": {\"target\": 99}", StringComparison.Ordinal);

        MonitorFileResult result = MonitorFile.Parse("dd.json", export);

        Assert.True(result.IsValid, string.Join('\n', result.Errors));
        Assert.Equal(
            ["[0].options.silenced", "[0].sla"],
            result.Warnings.Where(w => w.Field != "[0].options.notify_no_data").Select(w => w.Field).Order(StringComparer.Ordinal));
        Assert.All(result.Warnings.Where(w => w.Field != "[0].options.notify_no_data"), w => Assert.Equal("is not supported yet; ignored", w.Message));

        // on_missing_data is read (and replaces notify_no_data, as in Datadog).
        var options = Assert.Single(result.Monitors).Options;
        Assert.Equal(("resolve", false), (options.OnMissingData, options.NotifyNoData));
        Assert.Equal("still bad", options.EscalationMessage);
    }

    [Fact]
    public void Silenced_for_the_whole_monitor_without_an_end_is_a_monitor_mute_and_anything_narrower_warns()
    {
        MonitorFileResult whole = MonitorFile.Parse("dd.json", Export.Replace("\"silenced\": {}", "\"silenced\": {\"*\": null}", StringComparison.Ordinal));
        MonitorFileResult scoped = MonitorFile.Parse("dd.json", Export.Replace("\"silenced\": {}", "\"silenced\": {\"host:a\": 1700000000}", StringComparison.Ordinal));

        Assert.True(Assert.Single(whole.Monitors).Options.Muted);
        Assert.Empty(whole.Warnings);
        Assert.False(Assert.Single(scoped.Monitors).Options.Muted);
        Assert.Equal("[0].options.silenced", Assert.Single(scoped.Warnings).Field);
    }

    [Fact]
    public void Service_check_thresholds_are_read_as_run_counts_not_as_levels()
    {
        const string check = """
            [{"type": "service check", "name": "up", "query": "\"http.can_connect\".over(\"*\").by(\"host\").last(3).count_by_status()",
              "options": {"thresholds": {"critical": 3, "ok": 2}, "notify_no_data": true, "no_data_timeframe": 2}}]
            """;

        MonitorFileResult result = MonitorFile.Parse("dd.json", check);

        Monitor monitor = Assert.Single(result.Monitors);
        Assert.Equal("check", monitor.Type);
        Assert.Null(monitor.Options.Thresholds);
        Assert.Equal(new CheckThresholds { Critical = 3, Ok = 2 }, monitor.Options.CheckThresholds);
        Assert.Equal(2 * Minute, monitor.Options.NoDataTimeframeMs);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Errors_name_the_field_as_the_export_spells_it()
    {
        string export = Export
            .Replace("\"no_data_timeframe\": 10", "\"no_data_timeframe\": \"soon\"", StringComparison.Ordinal)
            .Replace("\"priority\": 2", "\"priority\": 9", StringComparison.Ordinal);

        MonitorFileResult result = MonitorFile.Parse("dd.json", export);

        Assert.Equal(["[0].options.no_data_timeframe", "[0].priority"], result.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));
        Assert.Contains("number of minutes", result.Errors.Single(e => e.Field.EndsWith("no_data_timeframe", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_datadog_type_the_engine_cannot_run_is_an_error_naming_the_types_it_can()
    {
        MonitorFileResult result = MonitorFile.Parse("dd.json", Export.Replace("\"metric alert\"", "\"log alert\"", StringComparison.Ordinal));

        FileError type = Assert.Single(result.Errors, e => e.Field == "[0].type");
        Assert.Contains("\"metric alert\", \"query alert\", \"service check\", \"composite\"; got \"log alert\"", type.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_errors_on_proto_fields_are_placed_at_the_field_the_file_names()
    {
        MonitorFileResult result = MonitorFile.Parse("dd.json", Export);

        FileError error = result.ServerError(0, "options.timeout_ms", "must be in 0..1 ms");

        Assert.Equal("[0].options.timeout_h", error.Field);
        Assert.Equal(16, error.Line);
    }

    [Fact]
    public void In_monitor_files_a_plain_number_counts_minutes_for_renotify_interval_and_no_data_timeframe()
    {
        const string yaml = """
            name: n
            type: metric
            query: "avg(last_5m):avg:m{*} > 1"
            options: {renotify_interval: 30, no_data_timeframe: 10, evaluation_delay: 30, renotify_occurrences: 2}
            """;

        MonitorOptions o = Assert.Single(MonitorFile.Parse("m.yaml", yaml).Monitors).Options;

        Assert.Equal((30 * Minute, 10 * Minute, 30_000L), (o.RenotifyIntervalMs, o.NoDataTimeframeMs, o.EvaluationDelayMs));
    }

    [Theory]
    [InlineData("cpu-by-host.json", 1)]
    [InlineData("rds-replica-lag.json", 1)]
    [InlineData("http-can-connect.json", 1)]
    [InlineData("storage.json", 2)]
    [InlineData("http-error-rate.json", 1)]
    [InlineData("capacity-formulas.json", 3)]
    [InlineData("counter-rates.json", 3)]
    [InlineData("notify-by.json", 1)]
    [InlineData("top-and-anomalies-modifiers.json", 7)]
    public void Every_example_export_reads_without_errors(string file, int monitors)
    {
        MonitorFileResult result = MonitorFile.Load(MonitorFileTests.ExamplePath(Path.Combine("datadog", file)), TextReader.Null);

        Assert.True(result.IsValid, string.Join('\n', result.Errors));
        Assert.Equal(monitors, result.Monitors.Count);
    }
}
