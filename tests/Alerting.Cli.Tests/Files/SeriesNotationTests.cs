using Alerting.Cli.Files;

namespace Alerting.Cli.Tests.Files;

public sealed class SeriesNotationTests
{
    [Theory]
    [InlineData("50 60 95x3 40", new[] { "50", "60", "95", "95", "95", "40" })]
    [InlineData("10+10x4", new[] { "10", "20", "30", "40", "50" })]
    [InlineData("5-2x2 _ 1e2", new[] { "5", "3", "1", "_", "100" })]
    [InlineData("-1.5 -1e-1x2", new[] { "-1.5", "-0.1", "-0.1" })]
    [InlineData("_ _ 7", new[] { "_", "_", "7" })]
    public void Values_expand_one_per_step(string text, string[] expected)
    {
        Assert.True(SeriesNotation.TryExpand(text, out List<double?> values, out string error), error);

        Assert.Equal(expected, values.Select(v => v is double d ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "_"));
    }

    [Theory]
    [InlineData("", "no values")]
    [InlineData("5x0", "the count after 'x' must be a whole number from 1")]
    [InlineData("5xa", "the count after 'x'")]
    [InlineData("1+2", "is not A+BxN")]
    [InlineData("abc", "'abc' is not a number, VxN, A+BxN or _")]
    [InlineData("NaN", "is not a number")]
    [InlineData("1x100001", "more than 100000 values")]
    public void Malformed_values_say_what_is_wrong(string text, string expected)
    {
        Assert.False(SeriesNotation.TryExpand(text, out _, out string error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
