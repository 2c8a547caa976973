using Alerting.Cli.Files;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Tests.Files;

public sealed class PrometheusRulesTests
{
    private static PrometheusRules.Result Example()
    {
        string path = MonitorFileTests.ExamplePath("prometheus/rules.yaml");
        PrometheusRules.Result result = PrometheusRules.Parse(path, File.ReadAllText(path));
        Assert.Empty(result.Errors);
        return result;
    }

    [Fact]
    public void The_example_translates_five_rules_and_gives_a_reason_for_each_other()
    {
        PrometheusRules.Result result = Example();

        Assert.Equal(
            ["HostHighCpuLoad", "HostOutOfMemory", "DiskAlmostFull", "ApiErrorsBurst", "ApiQuiet"],
            result.Rules.Where(r => r.Monitor is not null).Select(r => r.Monitor!.Name));
        var refused = result.Rules.Where(r => r.Monitor is null).ToDictionary(r => r.Name, r => r.Reason);
        Assert.Equal(3, refused.Count);
        Assert.StartsWith("recording rule", refused["job:http_requests:rate5m"], StringComparison.Ordinal);
        Assert.Contains("function rate()", refused["ApiHighErrorRatio"], StringComparison.Ordinal);
        Assert.Contains("comparison '=='", refused["TargetDown"], StringComparison.Ordinal);
        Assert.True(result.Rules.Single(r => r.Name == "job:http_requests:rate5m").IsRecording);
    }

    [Fact]
    public void For_keep_firing_for_labels_annotations_and_the_group_interval_carry_over()
    {
        PrometheusRules.Rule rule = Example().Rules.Single(r => r.Name == "HostHighCpuLoad");
        Monitor monitor = rule.Monitor!;

        Assert.Equal("groups[0].rules[0]", rule.Path);
        Assert.Equal(7, rule.Line);
        Assert.Equal("metric", monitor.Type);
        Assert.Equal("avg(last_5m):max:node_load1{job:node,env:prod*} by {instance} > 8", monitor.Query);
        Assert.Equal(8, monitor.Options.Thresholds.Critical);
        Assert.Equal(600_000, monitor.Options.ForMs);
        Assert.Equal(300_000, monitor.Options.KeepFiringForMs);
        Assert.Equal(30_000, monitor.Options.EvaluationIntervalMs);
        Assert.Equal(["severity:warning", "team:platform"], monitor.Tags);
        Assert.Equal("Load on {{instance.name}} is {{value}}\nrunbook_url: https://runbooks.example.com/host-load", monitor.Message);
    }

    [Fact]
    public void A_rule_without_for_or_interval_keeps_the_monitor_defaults()
    {
        Monitor monitor = Example().Rules.Single(r => r.Name == "ApiErrorsBurst").Monitor!;

        Assert.Equal("sum(last_1m):sum:http_server_errors{service:api} by {service} > 50", monitor.Query);
        Assert.Equal(0, monitor.Options.ForMs);
        Assert.Equal(0, monitor.Options.KeepFiringForMs);
        Assert.Equal(0, monitor.Options.EvaluationIntervalMs);
    }

    [Fact]
    public void Repeated_alert_names_get_a_suffix_and_unknown_template_actions_are_dropped_with_a_note()
    {
        const string yaml = """
            groups:
              - name: g
                rules:
                  - alert: Load
                    expr: load > 4
                    labels: {severity: warning}
                  - alert: Load
                    expr: load > 8
                    annotations:
                      summary: 'load {{ printf "%.1f" $value }} on {{ .Labels.host }}'
            """;

        PrometheusRules.Result result = PrometheusRules.Parse("r.yaml", yaml);

        Assert.Equal(["Load", "Load #2"], result.Rules.Select(r => r.Monitor!.Name));
        PrometheusRules.Rule second = result.Rules[1];
        Assert.Equal("load  on {{host.name}}", second.Monitor!.Message);
        Assert.Equal("last(last_5m):max:load{*} by {host} > 8", second.Monitor.Query);
        Assert.Contains(second.Notes, n => n.Contains("'Load' is repeated", StringComparison.Ordinal));
        Assert.Contains(second.Notes, n => n.Contains("printf", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("rules: []", "a Prometheus rule file is a mapping with a 'groups' list")]
    [InlineData("groups:\n  - name: g\n", "groups[0]: a group is a mapping")]
    [InlineData("groups:\n  - name: g\n    interval: soon\n    rules: []\n", "groups[0].interval: 'soon' is not a duration")]
    [InlineData("groups: [", "")]
    public void A_file_that_is_not_a_rule_file_is_an_error(string yaml, string expected)
    {
        PrometheusRules.Result result = PrometheusRules.Parse("r.yaml", yaml);

        FileError error = Assert.Single(result.Errors);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("r.yaml:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_with_a_bad_for_is_not_translated()
    {
        PrometheusRules.Result result = PrometheusRules.Parse("r.yaml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x > 1\n    for: later\n");

        Assert.Equal("for: 'later' is not a duration like 5m", Assert.Single(result.Rules).Reason);
    }
}
