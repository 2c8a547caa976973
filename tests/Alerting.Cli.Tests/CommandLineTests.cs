using System.Diagnostics;
using Alerting.Cli.Arguments;
using Alerting.Cli.Commands;
using Alerting.Cli.Tests.Process;

namespace Alerting.Cli.Tests;

/// <summary>alertctl on System.CommandLine: the tree built from the command table, version, completion and --output.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Version_prints_the_assembly_version_and_exits_0()
    {
        CliResult result = await CliRunner.RunAsync(["--version"]);

        string expected = typeof(CliApp).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, result.Out.Trim());
    }

    [Fact]
    public void Every_command_of_the_table_is_reached_and_connection_options_go_before_or_after_it()
    {
        foreach (CommandSpec spec in CommandTable.All)
        {
            var args = spec.Path.Split(' ').Concat(spec.Positionals.Select(p => "x")).Concat(spec.RequiredOptions.SelectMany(o => new[] { "--" + o, "v" })).ToList();
            Assert.Same(spec, ArgParser.Parse(args, CommandTable.All).Spec);
        }

        ParsedCommand before = ArgParser.Parse(["--server", "http://h:1", "--api-key", "k", "monitors", "get", "m-1"], CommandTable.All);
        ParsedCommand after = ArgParser.Parse(["monitors", "get", "m-1", "--server=http://h:1", "--api-key", "k"], CommandTable.All);
        Assert.Equal(("monitors get", "http://h:1", "k", "m-1"), (before.Spec.Path, before.Value("server"), before.Value("api-key"), before.Positionals.Single()));
        Assert.Equal(("monitors get", "http://h:1", "k", "m-1"), (after.Spec.Path, after.Value("server"), after.Value("api-key"), after.Positionals.Single()));
    }

    [Fact]
    public void A_command_added_to_the_table_is_parsed_with_no_other_code()
    {
        var added = new CommandSpec("replay", "Replay", ["from"], ["to"], ["json"], ["file"], (_, _, _) => Task.FromResult(0));

        ParsedCommand parsed = ArgParser.Parse(["replay", "m.yaml", "--from", "1h", "--output", "yaml"], [.. CommandTable.All, added]);

        Assert.Same(added, parsed.Spec);
        Assert.Equal(("m.yaml", "1h", (string?)null), (parsed.Positionals.Single(), parsed.Value("from"), parsed.Value("to")));
        Assert.Equal("yaml", parsed.Format);
        Assert.True(parsed.Json);
        var missing = Assert.Throws<UsageException>(() => ArgParser.Parse(["replay", "m.yaml"], [.. CommandTable.All, added]));
        Assert.Contains("--from is required", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_with_its_own_output_option_keeps_it()
    {
        var own = new CommandSpec("report", "Report", [], ["output"], ["json"], [], (_, _, _) => Task.FromResult(0));

        ParsedCommand parsed = ArgParser.Parse(["report", "--output", "out.csv", "--json"], [.. CommandTable.All, own]);

        Assert.Equal(("out.csv", "json"), (parsed.Value("output"), parsed.Format));
    }

    [Theory]
    [InlineData("json", "json", true)]
    [InlineData("table", "table", false)]
    [InlineData("yaml", "yaml", true)]
    public void Output_selects_the_format_and_json_or_yaml_imply_machine_output(string given, string format, bool json)
    {
        ParsedCommand parsed = ArgParser.Parse(["states", "--output", given], CommandTable.All);

        Assert.Equal((format, json), (parsed.Format, parsed.Json));
        Assert.Equal("json", ArgParser.Parse(["states", "--json"], CommandTable.All).Format);
    }

    [Theory]
    [InlineData(new[] { "states", "--output", "xml" }, "--output must be table, json, yaml, got 'xml'")]
    [InlineData(new[] { "states", "--json", "--output", "table" }, "--json and --output table contradict each other")]
    [InlineData(new[] { "monitors", "validate", "-f", "x", "--output", "json" }, "unknown option '--output'")]
    public void A_bad_output_choice_is_a_usage_error(string[] args, string expected)
    {
        var e = Assert.Throws<UsageException>(() => ArgParser.Parse(args, CommandTable.All));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_is_generated_by_the_library_with_the_usage_lines_below()
    {
        CliResult result = await CliRunner.RunAsync(["help", "downtimes"]);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Description:", result.Out, StringComparison.Ordinal);
        // The library names the program after the running executable (alertctl; the test host here).
        Assert.Matches(@"Usage:\n  \S+ downtimes \[command\] \[options\]", result.Out.ReplaceLineEndings("\n"));
        Assert.Contains("  create ", result.Out, StringComparison.Ordinal);
        Assert.Contains("alertctl downtimes delete ID [--json]", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("alertctl monitors apply", result.Out, StringComparison.Ordinal);
        Assert.Contains("2  usage error", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("monitors ", new[] { "apply", "delete", "export", "get", "list", "validate" })]
    [InlineData("mon", new[] { "monitors" })]
    [InlineData("states --output ", new[] { "json", "table", "yaml" })]
    public async Task The_suggest_directive_completes_commands_options_and_values(string line, string[] expected)
    {
        CliResult result = await CliRunner.RunAsync([$"[suggest:{line.Length}]", line]);

        Assert.Equal(0, result.ExitCode);
        var suggestions = CliAgainstLines(result.Out);
        Assert.All(expected, e => Assert.Contains(e, suggestions));
        Assert.DoesNotContain("write", suggestions);
    }

    [Fact]
    public async Task Completion_prints_a_script_per_shell_and_refuses_others()
    {
        CliResult bash = await CliRunner.RunAsync(["completion", "bash"]);
        CliResult zsh = await CliRunner.RunAsync(["completion", "zsh"]);
        CliResult fish = await CliRunner.RunAsync(["completion", "fish"]);

        Assert.Equal((0, CompletionCommand.Bash), (bash.ExitCode, bash.Out));
        Assert.Equal((0, CompletionCommand.Zsh), (zsh.ExitCode, zsh.Out));
        Assert.Equal(2, fish.ExitCode);
        Assert.Contains("no script for shell 'fish'", fish.Error, StringComparison.Ordinal);
    }

    /// <summary>The bash script in a real bash, asking a real alertctl process, as the shell does on Tab.</summary>
    [Fact]
    public async Task The_bash_script_completes_through_a_real_alertctl_process()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/bin/bash"))
        {
            Assert.Fail("/bin/bash on Linux is needed for this test");
            return;
        }

        string bin = Directory.CreateTempSubdirectory("alertctl-completion-").FullName;
        try
        {
            string wrapper = Path.Combine(bin, "alertctl");
            await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet '{AlertctlProcessTests.CliAssemblyPath()}' \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string script = """
                source <(alertctl completion bash)
                complete_line() {
                    COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}
                    read -r -a COMP_WORDS <<< "$COMP_LINE"
                    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
                    if [[ "$COMP_LINE" == *" " ]]; then COMP_WORDS+=(""); COMP_CWORD=$(( COMP_CWORD + 1 )); fi
                    _alertctl_complete
                    echo "$1 => ${COMPREPLY[*]}"
                }
                complete_line "alertctl monitors ap"
                complete_line "alertctl downtimes "
                complete_line "alertctl states --out"
                """;
            var start = new ProcessStartInfo("/bin/bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
            using var bash = System.Diagnostics.Process.Start(start)!;
            Task<string> stdout = bash.StandardOutput.ReadToEndAsync();
            Task<string> stderr = bash.StandardError.ReadToEndAsync();
            await bash.StandardInput.WriteAsync(script);
            bash.StandardInput.Close();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await bash.WaitForExitAsync(limit.Token);
            string output = await stdout;

            Assert.True(bash.ExitCode == 0, await stderr);
            Assert.Contains("alertctl monitors ap => apply\n", output, StringComparison.Ordinal);
            string downtimes = Assert.Single(output.Split('\n'), l => l.StartsWith("alertctl downtimes  => ", StringComparison.Ordinal));
            Assert.EndsWith("create delete list", downtimes, StringComparison.Ordinal);
            Assert.Contains("alertctl states --out => --output\n", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    private static List<string> CliAgainstLines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
