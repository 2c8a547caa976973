using Alerting.Cli.Files;
using Alerting.Protocol.V1;

namespace Alerting.Cli.Tests.Files;

public sealed class PointLineTests
{
    private const long Now = 1_700_000_000_000;

    [Fact]
    public void Metric_tags_value_and_timestamp_are_read()
    {
        Point point = Parse("system.cpu.user{host:web-1, env:prod} 97.5 1699999999000");

        Assert.Equal(new Point { Metric = "system.cpu.user", Tags = { "host:web-1", "env:prod" }, Value = 97.5, UnixMs = 1_699_999_999_000 }, point);
    }

    [Fact]
    public void No_braces_means_no_tags_and_no_timestamp_means_now()
    {
        Assert.Equal(new Point { Metric = "queue.depth", Value = -3e2, UnixMs = Now }, Parse("  queue.depth   -3e2 "));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("# a comment")]
    public void Blank_and_comment_lines_carry_no_point(string line)
    {
        Assert.True(PointLine.TryParse(line, Now, out Point? point, out string error), error);
        Assert.Null(point);
    }

    [Theory]
    [InlineData("{host:a} 1", "missing metric name")]
    [InlineData("cpu{host:a 1", "unclosed '{'")]
    [InlineData("cpu{host:a,} 1", "empty tag")]
    [InlineData("cpu{host:a}", "missing value")]
    [InlineData("cpu abc", "value 'abc' is not a finite number")]
    [InlineData("cpu NaN", "not a finite number")]
    [InlineData("cpu 1 -5", "timestamp '-5'")]
    [InlineData("cpu 1 1.5", "timestamp '1.5'")]
    [InlineData("cpu 1 2 3", "unexpected '3'")]
    public void Malformed_lines_say_what_is_wrong(string line, string expected)
    {
        Assert.False(PointLine.TryParse(line, Now, out _, out string error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_longer_than_the_limit_are_rejected()
    {
        string line = "m " + new string('1', PointLine.MaxLineLength);

        Assert.False(PointLine.TryParse(line, Now, out _, out string error));
        Assert.Contains("longer than", error, StringComparison.Ordinal);
    }

    private static Point Parse(string line)
    {
        Assert.True(PointLine.TryParse(line, Now, out Point? point, out string error), error);
        return Assert.IsType<Point>(point);
    }
}
