using Alerting.Cli.Files;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Tests.Files;

public sealed class MonitorFileTests
{
    private const string FullYaml = """
        name: High CPU
        type: metric
        query: "avg(last_1m):avg:system.cpu.user{*} by {host} > 90"
        message: "CPU on {{host.name}} is {{value}}"
        tags: [team:platform, service:web]
        priority: 2
        options:
          thresholds: {critical: 90, warning: 80, critical_recovery: 85, warning_recovery: 70.5}
          evaluation_interval: 30s
          on_arrival: true
          evaluation_delay: 15
          new_group_delay: 5m
          require_full_window: false
          notify_no_data: true
          no_data_timeframe: 10m
          renotify_interval: 1h
          renotify_statuses: [alert, warn]
          renotify_occurrences: 3
          timeout_h: 24
          for: 2m
          keep_firing_for: 500ms
          flap_detection: true
          flap_low_percent: 25
          flap_high_percent: 50.5
        """;

    private static Monitor FullMonitor() => new()
    {
        Name = "High CPU",
        Type = "metric",
        Query = "avg(last_1m):avg:system.cpu.user{*} by {host} > 90",
        Message = "CPU on {{host.name}} is {{value}}",
        Tags = { "team:platform", "service:web" },
        Priority = 2,
        Options = new MonitorOptions
        {
            Thresholds = new Thresholds { Critical = 90, Warning = 80, CriticalRecovery = 85, WarningRecovery = 70.5 },
            EvaluationIntervalMs = 30_000,
            OnArrival = true,
            EvaluationDelayMs = 15_000,
            NewGroupDelayMs = 300_000,
            RequireFullWindow = false,
            NotifyNoData = true,
            NoDataTimeframeMs = 600_000,
            RenotifyIntervalMs = 3_600_000,
            RenotifyStatuses = { "alert", "warn" },
            RenotifyOccurrences = 3,
            TimeoutMs = 86_400_000,
            ForMs = 120_000,
            KeepFiringForMs = 500,
            FlapDetection = true,
            FlapLowPercent = 25,
            FlapHighPercent = 50.5,
        },
    };

    [Fact]
    public void Every_yaml_field_maps_to_its_proto_field_with_durations_in_milliseconds()
    {
        MonitorFileResult result = MonitorFile.Parse("m.yaml", FullYaml);

        Assert.Empty(result.Errors);
        Assert.Equal(FullMonitor(), Assert.Single(result.Monitors));
    }

    [Fact]
    public void Json_with_the_same_fields_gives_the_same_monitor()
    {
        const string json = """
            [{
              "name": "High CPU", "type": "metric",
              "query": "avg(last_1m):avg:system.cpu.user{*} by {host} > 90",
              "message": "CPU on {{host.name}} is {{value}}",
              "tags": ["team:platform", "service:web"], "priority": 2,
              "options": {
                "thresholds": {"critical": 90, "warning": 80, "critical_recovery": 85, "warning_recovery": 70.5},
                "evaluation_interval": "30s", "on_arrival": true, "evaluation_delay": 15, "new_group_delay": "5m",
                "require_full_window": false, "notify_no_data": true, "no_data_timeframe": "10m",
                "renotify_interval": "1h", "renotify_statuses": ["alert", "warn"], "renotify_occurrences": 3,
                "timeout_h": 24, "for": "2m", "keep_firing_for": "500ms",
                "flap_detection": true, "flap_low_percent": 25, "flap_high_percent": 50.5
              }
            }]
            """;

        MonitorFileResult result = MonitorFile.Parse("m.json", json);

        Assert.Empty(result.Errors);
        Assert.Equal(FullMonitor(), Assert.Single(result.Monitors));
    }

    [Fact]
    public void Unset_thresholds_stay_unset_rather_than_zero()
    {
        MonitorFileResult result = MonitorFile.Parse("m.yaml", "name: a\ntype: metric\nquery: q\noptions: {thresholds: {critical: 0}}\n");

        Thresholds thresholds = Assert.Single(result.Monitors).Options.Thresholds;
        Assert.True(thresholds.HasCritical);
        Assert.Equal(0, thresholds.Critical);
        Assert.False(thresholds.HasWarning);
    }

    [Fact]
    public void A_list_and_several_documents_each_contribute_monitors_in_order()
    {
        const string yaml = "- {name: a, type: metric, query: q1}\n- {name: b, type: check, query: q2}\n---\nname: c\ntype: metric\nquery: q3\n";

        MonitorFileResult result = MonitorFile.Parse("m.yaml", yaml);

        Assert.Empty(result.Errors);
        Assert.Equal(["a", "b", "c"], result.Monitors.Select(m => m.Name));
        Assert.Equal("check", result.Monitors[1].Type);
    }

    [Fact]
    public void Unknown_fields_are_named_with_their_line_and_column()
    {
        const string yaml = "- name: a\n  type: metric\n  query: q\n  options:\n    evaluation_interval: 1m\n    renotify_every: 5m\n";

        FileError error = Assert.Single(MonitorFile.Parse("m.yaml", yaml).Errors);

        Assert.Equal(6, error.Line);
        Assert.Equal(5, error.Column);
        Assert.Equal("[0].options", error.Field);
        Assert.Contains("unknown field 'renotify_every'", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("m.yaml:6:5: [0].options: unknown field 'renotify_every'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_error_of_the_file_is_reported_not_only_the_first()
    {
        const string yaml = """
            - name: a
              type: metrc
              query: q
              priority: 9
              options:
                thresholds: {critical: "high"}
                evaluation_interval: 5x
                on_arrival: yes please
                flap_low_percent: 140
                timeout_h: -1
            - type: metric
              query: ""
            """;

        var errors = MonitorFile.Parse("m.yaml", yaml).Errors.Select(e => (e.Line, e.Field)).ToList();

        Assert.Equal(
            [
                (2, "[0].type"), (4, "[0].priority"), (6, "[0].options.thresholds.critical"), (7, "[0].options.evaluation_interval"),
                (8, "[0].options.on_arrival"), (9, "[0].options.flap_low_percent"), (10, "[0].options.timeout_h"),
                (11, "[1].name"), (12, "[1].query"),
            ],
            errors);
    }

    [Fact]
    public void Error_paths_count_every_item_of_the_file_including_ones_that_are_not_monitors()
    {
        MonitorFileResult result = MonitorFile.Parse("m.yaml", "- just text\n- {name: b, type: metric}\n");

        Assert.Equal(["[0]", "[1].query"], result.Errors.Select(e => e.Field));
    }

    [Theory]
    [InlineData("name: [a\n", "")]
    [InlineData("", "no monitors")]
    [InlineData("- just a string\n", "a monitor must be a mapping")]
    [InlineData("name: a\ntype: metric\nquery: q\ntags: team\n", "must be a list of strings")]
    [InlineData("name: a\ntype: metric\nquery: q\noptions: {thresholds: {critical: .nan}}\n", "finite number")]
    public void Malformed_files_give_an_error_instead_of_throwing(string yaml, string expected)
    {
        MonitorFileResult result = MonitorFile.Parse("m.yaml", yaml);

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_with_more_monitors_than_the_limit_is_rejected()
    {
        string Monitors(int count) => string.Concat(Enumerable.Range(0, count).Select(i => $"- {{name: m{i}, type: metric, query: q}}\n"));

        Assert.True(MonitorFile.Parse("m.yaml", Monitors(MonitorFile.MaxMonitors)).IsValid);
        FileError error = Assert.Single(MonitorFile.Parse("m.yaml", Monitors(MonitorFile.MaxMonitors + 1)).Errors);
        Assert.Contains("exceed the limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_syntax_errors_carry_their_position()
    {
        FileError error = Assert.Single(MonitorFile.Parse("m.yaml", "name: a\ntype: metric\nquery: [unclosed\n").Errors);

        Assert.True(error.Line >= 3, error.ToString());
    }

    [Fact]
    public void A_missing_file_is_a_validation_error()
    {
        MonitorFileResult result = MonitorFile.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".yaml"), TextReader.Null);

        Assert.Contains("file not found", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_errors_are_placed_at_the_field_or_its_nearest_written_parent()
    {
        MonitorFileResult result = MonitorFile.Parse("m.yaml", "name: a\ntype: metric\nquery: avg(last_1m)\noptions:\n  on_arrival: true\n");

        Assert.Equal("m.yaml:3:8: [0].query: bad", result.ServerError(0, "query", "bad").ToString());
        Assert.Equal("m.yaml:5:3: [0].options.thresholds.critical: bad", result.ServerError(0, "options.thresholds.critical", "bad").ToString());
        Assert.Equal("m.yaml:1:1: [0].tags: bad", result.ServerError(0, "tags", "bad").ToString());
    }

    [Fact]
    public void The_example_monitors_file_is_valid()
    {
        MonitorFileResult result = MonitorFile.Load(ExamplePath("monitors.yaml"), TextReader.Null);

        Assert.True(result.IsValid, string.Join('\n', result.Errors));
        Monitor cpu = result.Monitors.Single(m => m.Query == "avg(last_1m):avg:system.cpu.user{*} by {host} > 90");
        Assert.True(cpu.Options.OnArrival);
        Assert.Contains("{{host.name}}", cpu.Message, StringComparison.Ordinal);
        Assert.Contains("{{value}}", cpu.Message, StringComparison.Ordinal);
    }

    internal static string ExamplePath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "examples", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"examples/{name} not found above {AppContext.BaseDirectory}");
    }
}
