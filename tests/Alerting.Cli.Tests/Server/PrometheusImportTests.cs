using System.Text.Json;
using Alerting.Cli.Tests.Files;

namespace Alerting.Cli.Tests.Server;

/// <summary><c>alertctl rules import prometheus</c> against a real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class PrometheusImportTests(ServerFixture server)
{
    [Fact]
    public async Task The_example_rules_apply_as_monitors_then_a_second_import_leaves_them_unchanged()
    {
        // The alert names are the monitor names: prefixed so no other test's monitors collide.
        string prefix = $"prom-{Guid.NewGuid():N}"[..13];
        string rules = File.ReadAllText(MonitorFileTests.ExamplePath("prometheus/rules.yaml")).Replace("- alert: ", $"- alert: {prefix}-", StringComparison.Ordinal);
        string file = CliAppTests.TempFile(rules);

        CliResult first = await Run("rules", "import", "prometheus", file);
        CliResult second = await Run("rules", "import", "prometheus", file, "--json");
        CliResult list = await Run("monitors", "list", "--name", prefix, "--json");

        // Two alerting rules are not translated: the five others are applied and the exit code says so.
        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.Equal(5, CliAgainstServerTests.Lines(first.Out).Count(l => l.StartsWith("created ", StringComparison.Ordinal)));
        Assert.Contains($"(alert {prefix}-TargetDown): not translated: comparison '=='", first.Error, StringComparison.Ordinal);
        Assert.Contains($"(alert {prefix}-ApiHighErrorRatio): not translated: function rate()", first.Error, StringComparison.Ordinal);
        Assert.Contains("(record job:http_requests:rate5m): skipped: recording rule", first.Error, StringComparison.Ordinal);
        Assert.Contains("5 rule(s) translated, 2 alerting rule(s) not translated, 1 recording rule(s) skipped", first.Error, StringComparison.Ordinal);

        Assert.Equal(1, second.ExitCode);
        Assert.All(CliAgainstServerTests.Lines(second.Out), l => Assert.Equal("UPSERT_OUTCOME_UNCHANGED", JsonDocument.Parse(l).RootElement.GetProperty("outcome").GetString()));

        var monitors = CliAgainstServerTests.Lines(list.Out).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(5, monitors.Count);
        JsonElement disk = monitors[$"{prefix}-DiskAlmostFull"];
        Assert.Equal("max(last_15m):max:node_filesystem_used_ratio{!fstype:tmpfs} by {instance,device} >= 0.95", disk.GetProperty("query").GetString());
        JsonElement cpu = monitors[$"{prefix}-HostHighCpuLoad"].GetProperty("options");
        Assert.Equal("600000", cpu.GetProperty("for_ms").GetString());
        Assert.Equal("300000", cpu.GetProperty("keep_firing_for_ms").GetString());
    }

    [Fact]
    public async Task Dry_run_prints_a_monitor_file_that_monitors_validate_accepts_and_touches_nothing()
    {
        string prefix = $"dry-{Guid.NewGuid():N}"[..12];
        string rules = File.ReadAllText(MonitorFileTests.ExamplePath("prometheus/rules.yaml")).Replace("- alert: ", $"- alert: {prefix}-", StringComparison.Ordinal);

        CliResult dry = await Run(["rules", "import", "prometheus", "-", "--dry-run"], stdin: rules);
        CliResult validate = await Run(["monitors", "validate", "-f", "-"], stdin: dry.Out);
        CliResult list = await Run("monitors", "list", "--name", prefix, "--json");

        Assert.True(dry.ExitCode == 1, dry.ToString());
        Assert.Contains($"- name: \"{prefix}-HostOutOfMemory\"", dry.Out, StringComparison.Ordinal);
        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.Contains("5 monitor(s) valid", validate.Out, StringComparison.Ordinal);
        Assert.Empty(CliAgainstServerTests.Lines(list.Out));
    }

    private Task<CliResult> Run(params string[] args) => Run(args, stdin: "");

    private Task<CliResult> Run(string[] args, string stdin) =>
        CliRunner.RunAsync([.. args, "--server", server.GrpcAddress], stdin);
}
