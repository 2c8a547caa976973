using Alerting.Cli.Arguments;
using Alerting.Cli.Commands;

namespace Alerting.Cli.Tests.Arguments;

public sealed class ArgParserTests
{
    [Fact]
    public void Longest_command_path_wins_and_the_rest_are_positionals()
    {
        ParsedCommand parsed = ArgParser.Parse(["monitors", "get", "m-1"], CommandTable.All);

        Assert.Equal("monitors get", parsed.Spec.Path);
        Assert.Equal(["m-1"], parsed.Positionals);
    }

    [Fact]
    public void Options_take_values_in_both_spellings_and_short_f_means_file()
    {
        ParsedCommand parsed = ArgParser.Parse(["monitors", "apply", "-f", "m.yaml", "--server=http://h:1", "--api-key", "k", "--json"], CommandTable.All);

        Assert.Equal("m.yaml", parsed.Value("file"));
        Assert.Equal("http://h:1", parsed.Value("server"));
        Assert.Equal("k", parsed.Value("api-key"));
        Assert.True(parsed.Json);
    }

    [Theory]
    [InlineData(new[] { "monitors" }, "unknown command 'monitors'")]
    [InlineData(new[] { "monitor", "list" }, "unknown command 'monitor list'")]
    [InlineData(new string[0], "missing command")]
    [InlineData(new[] { "--json" }, "missing command")]
    [InlineData(new[] { "monitors", "list", "--bogus" }, "unknown option '--bogus'")]
    [InlineData(new[] { "monitors", "list", "-x" }, "unknown option '-x'")]
    [InlineData(new[] { "monitors", "list", "--tag" }, "--tag needs a value")]
    [InlineData(new[] { "monitors", "list", "--tag", "a", "--tag", "b" }, "--tag given twice")]
    [InlineData(new[] { "monitors", "list", "--json=yes" }, "--json takes no value")]
    [InlineData(new[] { "monitors", "get" }, "missing ID")]
    [InlineData(new[] { "monitors", "get", "a", "b" }, "unexpected argument 'b'")]
    [InlineData(new[] { "monitors", "apply" }, "--file is required")]
    [InlineData(new[] { "alerts", "history" }, "--monitor is required")]
    [InlineData(new[] { "test" }, "missing FILE")]
    [InlineData(new[] { "check", "c" }, "missing STATUS")]
    [InlineData(new[] { "check", "c", "ok", "extra" }, "unexpected argument 'extra'")]
    [InlineData(new[] { "rules", "import", "prometheus" }, "missing FILE")]
    public void Malformed_command_lines_are_usage_errors_that_say_what_is_wrong(string[] args, string expected)
    {
        var e = Assert.Throws<UsageException>(() => ArgParser.Parse(args, CommandTable.All));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_lists_required_options_without_brackets_and_optional_ones_with()
    {
        CommandSpec history = CommandTable.All.Single(c => c.Path == "alerts history");

        Assert.Equal("alertctl alerts history --monitor MONITOR [--group GROUP] [--since DURATION] [--limit LIMIT] [--json]", history.Usage);
    }

    [Fact]
    public void Optional_and_repeated_positionals_show_in_the_usage_and_parse()
    {
        CommandSpec check = CommandTable.All.Single(c => c.Path == "check");
        CommandSpec test = CommandTable.All.Single(c => c.Path == "test");

        Assert.StartsWith("alertctl check [NAME STATUS] [--tags TAG:VALUE,...]", check.Usage, StringComparison.Ordinal);
        Assert.Equal("alertctl test FILE...", test.Usage);
        Assert.Empty(ArgParser.Parse(["check", "-f", "runs.txt"], CommandTable.All).Positionals);
        Assert.Equal(["a.yaml", "b.yaml", "c.yaml"], ArgParser.Parse(["test", "a.yaml", "b.yaml", "c.yaml"], CommandTable.All).Positionals);
    }
}
