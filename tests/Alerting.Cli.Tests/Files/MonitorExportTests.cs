using Alerting.Cli.Files;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Tests.Files;

public sealed class MonitorExportTests
{
    private static Monitor Full() => new()
    {
        Name = "cpu \"quoted\" <ü>",
        Type = "metric",
        Query = "avg(last_5m):avg:system.cpu.user{env:prod} by {host} > 90",
        Message = "{{#is_alert}}high: {{value}}{{/is_alert}}\nsecond line @slack-ops",
        Tags = { "team:a", "env:prod" },
        Priority = 2,
        Options = new MonitorOptions
        {
            Thresholds = new Thresholds { Critical = 90, Warning = 80.5, CriticalRecovery = 70, WarningRecovery = 60 },
            NotifyNoData = true,
            NoDataTimeframeMs = 10 * 60_000,
            RenotifyIntervalMs = 90_000,
            RenotifyStatuses = { "alert", "no data" },
            RenotifyOccurrences = 3,
            EscalationMessage = "still \"{{state}}\" after {{eval \"value*2\"}}\n@pager",
            TimeoutMs = 2 * 3_600_000,
            EvaluationDelayMs = 120_000,
            NewGroupDelayMs = 45_000,
            RequireFullWindow = true,
            GroupRetentionMs = 2 * 24 * 3_600_000,
        },
    };

    [Fact]
    public void Yaml_export_reads_back_as_the_same_monitors()
    {
        Monitor monitor = Full();
        monitor.Options.OnArrival = true;
        monitor.Options.ForMs = 60_000;
        monitor.Options.FlapDetection = true;
        monitor.Options.FlapLowPercent = 10;
        monitor.Options.FlapHighPercent = 30;
        monitor.Options.Muted = true;
        Monitor check = new() { Name = "up", Type = "check", Query = "\"app.ok\".over(\"*\").last(2).count_by_status()", Options = new MonitorOptions() };

        MonitorFileResult read = MonitorFile.Parse("export.yaml", MonitorExport.ToYaml([monitor, check]));

        Assert.True(read.IsValid, string.Join('\n', read.Errors));
        Assert.Equal([monitor, check], read.Monitors);
    }

    [Fact]
    public void Datadog_export_reads_back_as_the_same_monitor_in_datadog_units()
    {
        var warnings = new List<string>();
        string json = MonitorExport.ToDatadog([Full()], warnings);

        MonitorFileResult read = MonitorFile.Parse("export.json", json);

        Assert.True(read.IsValid, string.Join('\n', read.Errors));
        Assert.Empty(read.Warnings);
        Assert.Empty(warnings);
        Assert.Equal(Full(), Assert.Single(read.Monitors));
        Assert.Contains("\"renotify_interval\": 1.5", json, StringComparison.Ordinal);
        Assert.Contains("\"timeout_h\": 2", json, StringComparison.Ordinal);
        Assert.Contains("\"group_retention_duration\": \"2d\"", json, StringComparison.Ordinal);
        Assert.Contains("> 90", json, StringComparison.Ordinal);
        Assert.Contains("\"escalation_message\": \"still \\\"{{state}}\\\" after", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_muted_monitor_exports_as_datadog_silenced_and_reads_back_muted()
    {
        Monitor monitor = Full();
        monitor.Options.Muted = true;

        string json = MonitorExport.ToDatadog([monitor], []);

        Assert.Contains("\"*\": null", json, StringComparison.Ordinal);
        Assert.Equal(monitor, Assert.Single(MonitorFile.Parse("export.json", json).Monitors));
    }

    [Fact]
    public void Options_datadog_has_no_field_for_are_left_out_with_one_warning_each()
    {
        Monitor monitor = Full();
        monitor.Options.OnArrival = true;
        monitor.Options.KeepFiringForMs = 60_000;
        var warnings = new List<string>();

        string json = MonitorExport.ToDatadog([monitor], warnings);

        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("options.on_arrival", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("options.keep_firing_for", StringComparison.Ordinal));
        Assert.DoesNotContain("on_arrival", json, StringComparison.Ordinal);
    }
}
