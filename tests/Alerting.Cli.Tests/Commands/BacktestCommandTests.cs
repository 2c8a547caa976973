using System.Globalization;
using System.Text;
using System.Text.Json;
using Alerting.Cli.Arguments;
using Alerting.Cli.Commands;
using Alerting.Cli.Tests.Server;

namespace Alerting.Cli.Tests.Commands;

/// <summary><c>alertctl backtest</c>: its command line, and a replay of a file of points in process on logical time.</summary>
public sealed class BacktestCommandTests
{
    /// <summary>2027-01-15T08:00:00Z, on a whole minute.</summary>
    private const long OriginMs = 1_800_000_000_000;

    private const long Minute = 60_000;

    private const string Candidate = """
        name: cpu backtest
        type: metric
        query: "max(last_1m):avg:cpu{*} by {host} > 90"
        message: "{{#is_alert}}cpu {{value}} on {{host.name}}{{/is_alert}}{{#is_recovery}}{{host.name}} recovered{{/is_recovery}}"
        options:
          evaluation_interval: 10s
          new_group_delay: 0
        """;

    [Fact]
    public void Backtest_takes_a_monitor_file_two_times_an_optional_points_file_and_the_output_options()
    {
        ParsedCommand parsed = ArgParser.Parse(["backtest", "--monitor", "m.yaml", "--from", "2027-01-15T08:00:00Z", "--to", "now", "--points", "p.txt", "--max-transitions", "5", "--output", "yaml"], CommandTable.All);
        var missing = Assert.Throws<UsageException>(() => ArgParser.Parse(["backtest", "--monitor", "m.yaml", "--from", "1"], CommandTable.All));

        Assert.Equal("backtest", parsed.Spec.Path);
        Assert.Equal(("m.yaml", "2027-01-15T08:00:00Z", "now", "p.txt", "5"), (parsed.Value("monitor"), parsed.Value("from"), parsed.Value("to"), parsed.Value("points"), parsed.Value("max-transitions")));
        Assert.Equal("yaml", parsed.Format);
        Assert.Contains("--to is required", missing.Message, StringComparison.Ordinal);
        Assert.Equal("alertctl backtest --monitor FILE --from TIME --to TIME [--points FILE] [--max-transitions N] [--json]", parsed.Spec.Usage);
    }

    [Theory]
    [InlineData("1800000060000", "1800000000000", "--max-transitions", "5", "--to must be after --from")]
    [InlineData("1800000000000", "1800000060000", "--max-transitions", "0", "--max-transitions must be a whole number from 1 to 10000")]
    [InlineData("yesterday", "1800000060000", "--max-transitions", "5", "--from must be 'now', Unix milliseconds or an ISO 8601 time")]
    public async Task Bad_times_and_limits_are_usage_errors_naming_the_option(string from, string to, string option, string value, string expected)
    {
        CliResult result = await CliRunner.RunAsync(["backtest", "--monitor", CliAppTests.TempFile(Candidate), "--from", from, "--to", to, option, value, "--points", "-"]);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_backtest_reports_the_transitions_within_the_range_with_state_carried_over_from_the_warm_up()
    {
        // host a: 50 for 3 minutes, 95 for 2, 50 for 3; host b: 50 throughout. One point every 10 s.
        var points = new StringBuilder();
        for (long t = 0; t < 8 * Minute; t += 10_000)
        {
            double a = t is >= 3 * Minute and < 5 * Minute ? 95 : 50;
            points.Append(CultureInfo.InvariantCulture, $"cpu{{host:a}} {a} {OriginMs + t}\ncpu{{host:b}} 50 {OriginMs + t}\n");
        }

        string monitor = CliAppTests.TempFile(Candidate);
        string pointsFile = CliAppTests.TempFile(points.ToString(), ".txt");
        string to = (OriginMs + (8 * Minute)).ToString(CultureInfo.InvariantCulture);

        CliResult whole = await CliRunner.RunAsync(["backtest", "--monitor", monitor, "--points", pointsFile, "--from", OriginMs.ToString(CultureInfo.InvariantCulture), "--to", to, "--json"]);
        // From inside the alert: the alert itself is before --from, but the replay's warm-up still sees it.
        CliResult late = await CliRunner.RunAsync(["backtest", "--monitor", monitor, "--points", pointsFile, "--from", (OriginMs + (5 * Minute)).ToString(CultureInfo.InvariantCulture), "--to", to, "--json"]);
        CliResult table = await CliRunner.RunAsync(["backtest", "--monitor", monitor, "--points", pointsFile, "--from", OriginMs.ToString(CultureInfo.InvariantCulture), "--to", to]);

        Assert.True(whole.ExitCode == 0, whole.ToString());
        List<JsonElement> events = Events(whole.Out);
        Assert.Equal([("host:a", "OK", "ALERT", "cpu 95 on a"), ("host:a", "ALERT", "OK", "a recovered")], events.Select(e => (Text(e, "group_key"), Text(e, "previous_state"), Text(e, "new_state"), Text(e, "message"))));
        // The first breaching point is at 3m; an evaluation every 10 s sees it within one interval. The last breaching one
        // (4m50s) leaves the 1-minute window at 5m50s.
        Assert.InRange(UnixMs(events[0]), OriginMs + (3 * Minute), OriginMs + (3 * Minute) + 10_000);
        Assert.InRange(UnixMs(events[1]), OriginMs + (5 * Minute) + 50_000, OriginMs + (6 * Minute));
        Assert.All(events, e => Assert.Equal("cpu backtest", Text(e, "monitor_name")));
        Assert.Contains("2 transition(s); replayed", whole.Error, StringComparison.Ordinal);
        Assert.True(late.ExitCode == 0, late.ToString());
        Assert.Equal([("ALERT", "OK")], Events(late.Out).Select(e => (Text(e, "previous_state"), Text(e, "new_state"))));
        Assert.Contains("OK -> ALERT", table.Out, StringComparison.Ordinal);
        Assert.Contains("a recovered", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_transitions_than_max_transitions_fails_naming_the_limit_and_a_file_of_two_monitors_is_refused()
    {
        string points = CliAppTests.TempFile($"cpu{{host:a}} 95 {OriginMs}\ncpu{{host:a}} 50 {OriginMs + (2 * Minute)}\n", ".txt");
        string[] range = ["--from", OriginMs.ToString(CultureInfo.InvariantCulture), "--to", (OriginMs + (5 * Minute)).ToString(CultureInfo.InvariantCulture)];

        CliResult two = await CliRunner.RunAsync(["backtest", "--monitor", CliAppTests.TempFile(Candidate), "--points", points, .. range, "--max-transitions", "2", "--json"]);
        CliResult one = await CliRunner.RunAsync(["backtest", "--monitor", CliAppTests.TempFile(Candidate), "--points", points, .. range, "--max-transitions", "1"]);
        CliResult pair = await CliRunner.RunAsync(["backtest", "--monitor", CliAppTests.TempFile($"- {Candidate.Replace("\n", "\n  ", StringComparison.Ordinal)}\n- {Candidate.Replace("\n", "\n  ", StringComparison.Ordinal)}"), "--points", points, .. range]);

        Assert.True(two.ExitCode == 0, two.ToString());
        Assert.Equal(2, Events(two.Out).Count);
        Assert.Equal(ExitCodes.ValidationFailure, one.ExitCode);
        Assert.Contains("--max-transitions (1): ", one.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.ValidationFailure, pair.ExitCode);
        Assert.Contains("holds 2 monitors; backtest replays one", pair.Error, StringComparison.Ordinal);
    }

    private static List<JsonElement> Events(string output) =>
        CliAgainstServerTests.Lines(output).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

    private static string? Text(JsonElement e, string field) => e.GetProperty(field).GetString();

    /// <summary>Proto3 JSON writes 64-bit integers as strings.</summary>
    private static long UnixMs(JsonElement e) => long.Parse(e.GetProperty("unix_ms").GetString()!, CultureInfo.InvariantCulture);
}
