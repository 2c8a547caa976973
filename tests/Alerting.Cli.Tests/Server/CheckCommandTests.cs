using System.Text.Json;

namespace Alerting.Cli.Tests.Server;

/// <summary><c>alertctl check</c> against a real server: the runs it writes drive a check monitor's groups.</summary>
[Collection(ServerCollection.Name)]
public sealed class CheckCommandTests(ServerFixture server)
{
    [Fact]
    public async Task A_critical_run_from_the_command_line_alerts_its_host_group_and_an_ok_run_recovers_it()
    {
        string check = Unique("cli.check");
        string id = await ApplyCheckMonitorAsync(check);

        CliResult critical = await Run("check", check, "critical", "--tags", "host:web-1,env:test", "--message", "connection refused");
        CliResult alerting = await Run("states", "--monitor", id, "--json");
        CliResult ok = await Run("check", check, "ok", "--tags", "host:web-1,env:test");
        CliResult recovered = await Run("states", "--monitor", id, "--json");

        Assert.True(critical.ExitCode == 0, critical.ToString());
        Assert.StartsWith("accepted 1, rejected 0, malformed lines 0, durable up to log index ", critical.Out, StringComparison.Ordinal);
        Assert.Equal(("host:web-1", "ALERT"), SingleState(alerting));
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal(("host:web-1", "OK"), SingleState(recovered));
    }

    [Fact]
    public async Task Runs_from_stdin_write_each_good_line_and_a_malformed_line_makes_the_exit_code_1()
    {
        string check = Unique("cli.lines");
        string id = await ApplyCheckMonitorAsync(check);
        string lines = $"# two hosts\n{check}{{host:a}} critical | disk full\n{check}{{host:b}} 0\n{check}{{host:c}} maybe\n";

        CliResult write = await Run(["check", "-f", "-", "--json"], stdin: lines);
        CliResult states = await Run("states", "--monitor", id, "--json");

        Assert.True(write.ExitCode == 1, write.ToString());
        Assert.Contains("<stdin>:4: status 'maybe'", write.Error, StringComparison.Ordinal);
        using (JsonDocument ack = JsonDocument.Parse(Assert.Single(CliAgainstServerTests.Lines(write.Out))))
        {
            Assert.Equal("2", ack.RootElement.GetProperty("accepted").GetString());
        }

        var byGroup = CliAgainstServerTests.Lines(states.Out).Select(Parse).ToDictionary(s => s.Group, s => s.State);
        Assert.Equal(new Dictionary<string, string> { ["host:a"] = "ALERT", ["host:b"] = "OK" }, byGroup);
    }

    [Fact]
    public async Task Name_and_file_together_or_a_bad_status_are_usage_errors()
    {
        CliResult both = await Run("check", "c", "ok", "-f", "runs.txt");
        CliResult status = await Run("check", "c", "down");
        CliResult half = await Run("check", "c");

        Assert.Equal(2, both.ExitCode);
        Assert.Contains("not both", both.Error, StringComparison.Ordinal);
        Assert.Equal(2, status.ExitCode);
        Assert.Contains("status 'down'", status.Error, StringComparison.Ordinal);
        Assert.Equal(2, half.ExitCode);
        Assert.Contains("missing STATUS", half.Error, StringComparison.Ordinal);
    }

    private static (string Group, string State) SingleState(CliResult states) => Parse(Assert.Single(CliAgainstServerTests.Lines(states.Out)));

    private static (string Group, string State) Parse(string line)
    {
        using JsonDocument state = JsonDocument.Parse(line);
        return (state.RootElement.GetProperty("group_key").GetString()!, state.RootElement.GetProperty("state").GetString()!);
    }

    private async Task<string> ApplyCheckMonitorAsync(string check)
    {
        string yaml = $$"""
            name: {{check}}
            type: check
            query: '"{{check}}".over("*").by("host").last(1).count_by_status()'
            message: "{{"{{"}}host.name{{"}}"}} is down"
            options:
              on_arrival: true
              new_group_delay: 0
            """;
        CliResult result = await Run(["monitors", "apply", "-f", "-", "--json"], stdin: yaml);
        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument response = JsonDocument.Parse(result.Out);
        return response.RootElement.GetProperty("monitor").GetProperty("id").GetString()!;
    }

    private static string Unique(string prefix) => $"{prefix}.{Guid.NewGuid():N}"[..24];

    private Task<CliResult> Run(params string[] args) => Run(args, stdin: "");

    private Task<CliResult> Run(string[] args, string stdin) =>
        CliRunner.RunAsync([.. args, "--server", server.GrpcAddress], stdin);
}
