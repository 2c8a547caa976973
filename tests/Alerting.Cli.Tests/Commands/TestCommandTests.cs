using Alerting.Cli.Tests.Files;

namespace Alerting.Cli.Tests.Commands;

/// <summary><c>alertctl test</c>: monitor test files run on the engine's state machine in process.</summary>
public sealed class TestCommandTests
{
    private const string CpuTest = """
        step: 1m
        run_for: 10m
        monitors:
          - name: High CPU
            type: metric
            query: "max(last_2m):avg:cpu{*} by {host} > 90"
            options:
              thresholds: {critical: 90, critical_recovery: 80}
              evaluation_interval: 1m
        input_series:
          - series: "cpu{host:a}"
            values: "50 60 95x3 40 40 40"
          - series: "cpu{host:b}"
            values: "10x9"
        expected:
        """;

    [Fact]
    public async Task The_example_test_passes()
    {
        CliResult result = await CliRunner.RunAsync(["test", MonitorFileTests.ExamplePath("tests/high-cpu.test.yaml")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^PASS .*high-cpu\.test\.yaml \(2 state change\(s\)\)", result.Out);
    }

    [Theory]
    [InlineData("new-group-delay")]
    [InlineData("evaluate-as-zero")]
    public async Task The_example_test_of_each_missing_data_option_passes(string option)
    {
        CliResult result = await CliRunner.RunAsync(["test", MonitorFileTests.ExamplePath($"tests/{option}.test.yaml")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches($@"^PASS .*{option}\.test\.yaml \(2 state change\(s\)\)", result.Out);
    }

    [Theory]
    [InlineData("per-second")]
    [InlineData("per-minute")]
    [InlineData("diff")]
    [InlineData("boolean-scope")]
    [InlineData("composite")]
    [InlineData("composite-groups")]
    [InlineData("anomalies")]
    [InlineData("top")]
    [InlineData("top-modifiers")]
    [InlineData("anomalies-modifiers")]
    [InlineData("rollup")]
    [InlineData("fill")]
    [InlineData("as-count")]
    [InlineData("as-rate")]
    [InlineData("percentile")]
    public async Task The_example_test_of_each_query_language_construct_passes(string function)
    {
        CliResult result = await CliRunner.RunAsync(["test", MonitorFileTests.ExamplePath($"tests/{function}.test.yaml")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches($@"^PASS .*{function}\.test\.yaml \(\d state change\(s\)\)", result.Out);
    }

    [Theory]
    [InlineData("exact-window", 2)]
    [InlineData("space-alignment", 1)]
    public async Task The_example_test_of_each_window_rule_passes(string rule, int changes)
    {
        CliResult result = await CliRunner.RunAsync(["test", MonitorFileTests.ExamplePath($"tests/{rule}.test.yaml")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches($@"^PASS .*{rule}\.test\.yaml \({changes} state change\(s\)\)", result.Out);
    }

    [Fact]
    public async Task The_example_test_of_message_templates_checks_the_rendered_messages()
    {
        CliResult result = await CliRunner.RunAsync(["test", MonitorFileTests.ExamplePath("tests/message-templates.test.yaml")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^PASS .*message-templates\.test\.yaml \(4 state change\(s\)\)", result.Out);
    }

    [Fact]
    public async Task A_change_whose_message_differs_is_missing_and_the_diff_shows_the_rendered_message()
    {
        const string Monitor = """
            step: 1m
            run_for: 4m
            monitors:
              - name: High CPU
                type: metric
                query: "max(last_1m):avg:cpu{*} by {host} > 90"
                message: "{{host.name}} {{comparator}} {{eval \"value/10\"}}"
                options: {evaluation_interval: 1m, new_group_delay: 0}
            input_series:
              - series: "cpu{host:a}"
                values: "50 95 95 95 95"
            expected:
            """;
        string good = CliAppTests.TempFile(Monitor + """

              - {at: 1m, monitor: High CPU, group: "host:a", state: ALERT, message: "a > 9.5"}
            """);
        string wrong = CliAppTests.TempFile(Monitor + """

              - {at: 1m, monitor: High CPU, group: "host:a", state: ALERT, message: "a > 95"}
            """);

        CliResult both = await CliRunner.RunAsync(["test", good, wrong]);

        Assert.Equal(1, both.ExitCode);
        Assert.Contains($"PASS {good} (1 state change(s))", both.Out, StringComparison.Ordinal);
        Assert.Contains("  - at 1m: High CPU host:a -> ALERT message \"a > 95\"   (expected, did not happen)", both.Out, StringComparison.Ordinal);
        Assert.Matches(@"  \+ at \d+(ms|s|m): High CPU host:a -> ALERT message ""a > 9\.5""   \(happened, not expected\)", both.Out);
    }

    [Fact]
    public async Task Expected_changes_pass_and_a_wrong_one_prints_a_diff_and_exits_1()
    {
        string good = CliAppTests.TempFile(CpuTest + """

              - {at: 2m, monitor: High CPU, group: "host:a", state: ALERT}
              - {at: 6m, monitor: High CPU, group: "host:a", state: OK}
            """);
        string wrong = CliAppTests.TempFile(CpuTest + """

              - {at: 2m, monitor: High CPU, group: "host:a", state: ALERT}
              - {at: 4m, monitor: High CPU, group: "host:b", state: ALERT}
            """);

        CliResult both = await CliRunner.RunAsync(["test", good, wrong]);

        Assert.Equal(1, both.ExitCode);
        Assert.Contains($"PASS {good} (2 state change(s))", both.Out, StringComparison.Ordinal);
        Assert.Contains($"FAIL {wrong}", both.Out, StringComparison.Ordinal);
        Assert.Contains("  - at 4m: High CPU host:b -> ALERT   (expected, did not happen)", both.Out, StringComparison.Ordinal);
        Assert.Matches(@"  \+ at \d+(ms|s|m): High CPU host:a -> OK   \(happened, not expected\)", both.Out);
    }

    [Fact]
    public async Task No_expected_changes_fails_when_the_monitor_changes_state()
    {
        string file = CliAppTests.TempFile(CpuTest + " []\n");

        CliResult result = await CliRunner.RunAsync(["test", file]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(2, result.Out.Split('\n').Count(l => l.StartsWith("  + ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Same_input_gives_the_same_changes_on_every_run()
    {
        MonitorTestFileResult first = Run();
        MonitorTestFileResult second = Run();

        Assert.Equal(first.Changes, second.Changes);
        Assert.Equal(2, first.Changes.Count);

        static MonitorTestFileResult Run()
        {
            var test = Cli.Files.MonitorTestFile.Parse("t.yaml", CpuTest + " []\n");
            Assert.Empty(test.Errors);
            Cli.Commands.TestCommand.Outcome outcome = Cli.Commands.TestCommand.Run(test);
            Assert.Null(outcome.Error);
            return new MonitorTestFileResult(outcome.Changes.Select(c => c.ToString()).ToList());
        }
    }

    [Theory]
    [InlineData("monitors: []\ninput_series: []\n", "no monitors in the file")]
    [InlineData("step: soon\n", "step: 'soon' is not a positive duration")]
    [InlineData("colour: red\n", "unknown field 'colour'")]
    [InlineData("monitors:\n  - {name: m, type: metric, query: \"avg(last_1m):avg:c{*} > 1\"}\ninput_series:\n  - {series: \"c\", values: \"1 abc\"}\n", "input_series[0].values: 'abc' is not a number")]
    [InlineData("monitors:\n  - {name: m, type: metric, query: \"avg(last_1m):avg:c{*} > 1\"}\ninput_series: []\nexpected:\n  - {at: 1m, monitor: other, state: ALERT}\n", "expected[0].monitor: no monitor named 'other'")]
    [InlineData("monitors:\n  - {name: m, type: metric, query: \"avg(last_1m):avg:c{*} > 1\"}\ninput_series: []\nexpected:\n  - {at: 1m, monitor: m, state: FIRING}\n", "expected[0].state: 'FIRING' is not OK, WARN, ALERT or NO_DATA")]
    public async Task A_malformed_test_file_is_reported_with_the_field_and_exits_1(string yaml, string expected)
    {
        string file = CliAppTests.TempFile(yaml);

        CliResult result = await CliRunner.RunAsync(["test", file]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_monitor_the_engine_rejects_is_reported_with_its_reason()
    {
        string file = CliAppTests.TempFile("monitors:\n  - {name: m, type: metric, query: \"avg(last_1m):avg:c{*} >>> 1\"}\ninput_series:\n  - {series: c, values: \"1\"}\n");

        CliResult result = await CliRunner.RunAsync(["test", file]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("monitors[0] (m):", result.Error, StringComparison.Ordinal);
    }

    private sealed record MonitorTestFileResult(List<string> Changes);
}
