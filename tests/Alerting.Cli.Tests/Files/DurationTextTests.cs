using Alerting.Cli.Files;

namespace Alerting.Cli.Tests.Files;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("60", 60_000)]
    [InlineData("0", 0)]
    [InlineData(" 10s ", 10_000)]
    public void Units_and_plain_seconds_become_milliseconds(string text, long expectedMs)
    {
        Assert.True(DurationText.TryParseMs(text, out long ms, out string error), error);
        Assert.Equal(expectedMs, ms);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5x")]
    [InlineData("-5s")]
    [InlineData("m")]
    [InlineData("1h30m")]
    [InlineData("NaN")]
    public void Anything_else_is_rejected_with_the_accepted_forms(string text)
    {
        Assert.False(DurationText.TryParseMs(text, out _, out string error));
        Assert.Contains("30s, 5m, 1h", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Durations_beyond_the_limit_are_rejected()
    {
        Assert.True(DurationText.TryParseMs("3650d", out _, out _));
        Assert.False(DurationText.TryParseMs("3651d", out _, out string error));
        Assert.Contains("limit", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(1_500, "1500ms")]
    [InlineData(90_000, "90s")]
    [InlineData(3_600_000, "1h")]
    [InlineData(86_400_000, "1d")]
    public void Format_uses_the_largest_exact_unit(long ms, string expected) => Assert.Equal(expected, DurationText.Format(ms));
}
