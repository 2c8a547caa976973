using Alerting.Cli.Files;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;

namespace Alerting.Cli.Tests.Files;

public sealed class CheckRunLineTests
{
    private const long Now = 1_700_000_000_000;

    [Fact]
    public void Check_tags_status_timestamp_and_message_are_read()
    {
        CheckRunInput run = Parse("http.can_connect{host:web-1, env:prod} CRITICAL 1699999999000 | connect: refused | port 443");

        Assert.Equal(new CheckRunInput { Check = "http.can_connect", Tags = { "host:web-1", "env:prod" }, Status = CheckStatus.Critical, UnixMs = 1_699_999_999_000, Message = "connect: refused | port 443" }, run);
    }

    [Fact]
    public void No_braces_means_no_tags_no_timestamp_means_now_and_no_bar_means_no_message()
    {
        Assert.Equal(new CheckRunInput { Check = "agent.up", Status = CheckStatus.Warn, UnixMs = Now }, Parse("  agent.up   warn "));
    }

    [Fact]
    public void A_message_may_start_with_digits_because_it_follows_the_bar()
    {
        CheckRunInput run = Parse("db.ping{host:a} 2 |500 slow queries");

        Assert.Equal(CheckStatus.Critical, run.Status);
        Assert.Equal(Now, run.UnixMs);
        Assert.Equal("500 slow queries", run.Message);
    }

    [Theory]
    [InlineData("ok", CheckStatus.Ok)]
    [InlineData("0", CheckStatus.Ok)]
    [InlineData("Warn", CheckStatus.Warn)]
    [InlineData("warning", CheckStatus.Warn)]
    [InlineData("1", CheckStatus.Warn)]
    [InlineData("critical", CheckStatus.Critical)]
    [InlineData("2", CheckStatus.Critical)]
    [InlineData("UNKNOWN", CheckStatus.Unknown)]
    [InlineData("3", CheckStatus.Unknown)]
    public void Statuses_are_words_in_any_case_or_datadog_numbers(string text, CheckStatus expected)
    {
        Assert.True(CheckRunLine.TryParseStatus(text, out CheckStatus status, out string error), error);
        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("# a comment")]
    public void Blank_and_comment_lines_carry_no_run(string line)
    {
        Assert.True(CheckRunLine.TryParse(line, Now, out CheckRunInput? run, out string error), error);
        Assert.Null(run);
    }

    [Theory]
    [InlineData("{host:a} ok", "missing check name")]
    [InlineData("c{host:a ok", "unclosed '{'")]
    [InlineData("c{host:a,} ok", "empty tag")]
    [InlineData("c{host:a}", "missing status")]
    [InlineData("c{host:a} | only a message", "missing status")]
    [InlineData("c down", "status 'down' is not ok, warn, critical or unknown")]
    [InlineData("c 4", "status '4' is not")]
    [InlineData("c ok soon", "timestamp 'soon' is not a whole number")]
    [InlineData("c ok 1 extra", "unexpected 'extra' after the timestamp")]
    public void Malformed_lines_say_what_is_wrong(string line, string expected)
    {
        Assert.False(CheckRunLine.TryParse(line, Now, out _, out string error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Reader_batches_runs_and_reports_malformed_lines_with_their_number()
    {
        var reader = new CheckRunReader("runs.txt", new StringReader("a ok\nb bad\n\nc critical\nd unknown\n"), () => Now, batchSize: 2);

        List<WriteRequest> batches = reader.Batches().ToList();

        Assert.Equal([2, 1], batches.Select(b => b.CheckRuns.Count));
        Assert.Equal(["a", "c", "d"], batches.SelectMany(b => b.CheckRuns).Select(r => r.Check));
        Assert.Empty(batches.SelectMany(b => b.Points));
        FileError error = Assert.Single(reader.Errors);
        Assert.Equal("runs.txt:2: status 'bad' is not ok, warn, critical or unknown (or 0..3)", error.ToString());
    }

    private static CheckRunInput Parse(string line)
    {
        Assert.True(CheckRunLine.TryParse(line, Now, out CheckRunInput? run, out string error), error);
        return Assert.IsType<CheckRunInput>(run);
    }
}
