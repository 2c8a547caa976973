using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

/// <summary><c>.as_count()</c>, <c>.as_rate()</c>, <c>.rollup()</c> and <c>.fill()</c> (issue 13, items 2 and 3) in the parser and formatter.</summary>
public sealed class ModifierParserTests
{
    private static QueryParseError ParseError(string text)
    {
        Assert.False(QueryParser.TryParse(text, out MonitorQuery? query, out QueryParseError? error), $"'{text}' parsed as {query}");
        return error;
    }

    [Fact]
    public void Datadog_modifiers_after_the_group_by_parse_into_the_query()
    {
        var q = Assert.IsType<MetricQuery>(QueryParser.Parse("avg(last_1h):sum:jobs.done{env:prod} by {queue}.as_rate().rollup(sum, 300).fill(last, 600) < 1"));

        Assert.Equal(new SeriesModifiers(TypeConversion.AsRate, TimeAggregation.Sum, 300, FillMode.Last, 600), q.Modifiers);
        Assert.Equal<string>(["queue"], q.GroupBy);
        Assert.Equal("avg(last_1h):sum:jobs.done{env:prod} by {queue}.as_rate().rollup(sum,300).fill(last,600) < 1", QueryFormatter.Format(q));
    }

    [Theory]
    [InlineData("sum(last_5m):sum:m{*}.as_count() by {host} > 1", "sum(last_5m):sum:m{*} by {host}.as_count() > 1")]
    [InlineData("sum(last_5m):sum:m{*} . fill( zero ) . as_count ( ) > 1", "sum(last_5m):sum:m{*}.as_count().fill(zero) > 1")]
    [InlineData("max(last_1h):avg:m{*}.rollup(max) > 1", "max(last_1h):avg:m{*}.rollup(max) > 1")]
    [InlineData("max(last_1h):avg:m{*}.fill(null) > 1", "max(last_1h):avg:m{*}.fill(null) > 1")]
    [InlineData("avg(last_1w):avg:m{*}.rollup(avg, 604800) > 1", "avg(last_1w):avg:m{*}.rollup(avg,604800) > 1")]
    [InlineData(
        "sum(last_5m):sum:errors{*} by {env}.as_count() / sum:hits{*} by {env}.as_count() * 100 > 5",
        "sum(last_5m):sum:errors{*} by {env}.as_count() / sum:hits{*} by {env}.as_count() * 100 > 5")]
    public void Modifiers_go_before_or_after_the_group_by_and_format_after_it_in_a_fixed_order(string text, string canonical)
    {
        var q = QueryParser.Parse(text);

        Assert.Equal(canonical, QueryFormatter.Format(q));
        Assert.Equal(q, QueryParser.Parse(canonical));
    }

    [Theory]
    [InlineData("sum(last_5m):sum:m{*}.as_count().as_count() > 1", 33, "'.as_count()' appears twice")]
    [InlineData("sum(last_5m):sum:m{*}.as_count().as_rate() > 1", 33, "a query takes one of '.as_count()' and '.as_rate()'")]
    [InlineData("sum(last_5m):sum:m{*}.rollup(sum).rollup(avg) > 1", 34, "'.rollup()' appears twice")]
    [InlineData("sum(last_5m):sum:m{*}.fill(zero).fill(zero) > 1", 33, "'.fill()' appears twice")]
    [InlineData("sum(last_5m):sum:m{*}.rollup(sum,301) > 1", 33, "rollup interval 301 s is out of range")]
    [InlineData("sum(last_5m):sum:m{*}.rollup(sum,0) > 1", 33, "rollup interval 0 s is out of range")]
    [InlineData("sum(last_5m):sum:m{*}.fill(zero,604801) > 1", 32, "fill limit 604801 s is out of range")]
    [InlineData("avg(last_5m):sum:a{*}.rollup(sum,60) / sum:b{*}.rollup(avg,30) > 1", 48, "this query rolls up over 30 s, an earlier query of the formula over 60 s")]
    public void Out_of_bounds_modifiers_name_the_problem_and_its_column(string text, int position, string problem)
    {
        var error = ParseError(text);

        Assert.Equal((position, problem), (error.Position, error.Problem));
    }

    [Theory]
    [InlineData("sum(last_5m):sum:m{*}.as_counts() > 1", 22, "modifier (as_count, as_rate, rollup, fill)")]
    [InlineData("sum(last_5m):sum:m{*}.rollup(last) > 1", 29, "rollup method (avg, sum, min, max, count)")]
    [InlineData("sum(last_5m):sum:m{*}.rollup(sum,) > 1", 33, "rollup interval in seconds")]
    [InlineData("sum(last_5m):sum:m{*}.fill(linear) > 1", 27, "fill mode (null, zero, last)")]
    [InlineData("sum(last_5m):sum:m{*}.fill(null,60) > 1", 31, "')' (fill(null) takes no limit)")]
    [InlineData("sum(last_5m):sum:m{*}.as_count(1) > 1", 31, "')' (as_count and as_rate take no argument)")]
    [InlineData("sum(last_5m):sum:m{*}.as_count() by {host}.as_rate() > 1", 42, "comparator")]
    public void Malformed_modifiers_say_what_was_expected_where(string text, int position, string expected)
    {
        var error = ParseError(text);

        Assert.Equal((position, expected), (error.Position, error.Expected));
    }

    [Fact]
    public void Ast_constructors_refuse_what_the_parser_refuses()
    {
        Assert.Throws<ArgumentException>(() => Metric(new SeriesModifiers(Rollup: TimeAggregation.Last)));
        Assert.Throws<ArgumentException>(() => Metric(new SeriesModifiers(RollupSeconds: 60)));
        Assert.Throws<ArgumentException>(() => Metric(new SeriesModifiers(Rollup: TimeAggregation.Sum, RollupSeconds: 301)));
        Assert.Throws<ArgumentException>(() => Metric(new SeriesModifiers(Fill: FillMode.Null, FillLimitSeconds: 5)));
        Assert.Equal(300, Metric(new SeriesModifiers(Rollup: TimeAggregation.Sum, RollupSeconds: 300)).Modifiers.RollupSeconds);
    }

    private static MetricQuery Metric(SeriesModifiers modifiers) =>
        new(TimeAggregation.Sum, 300_000, SpaceAggregation.Sum, "m", [TagFilter.Any], [], Comparator.Greater, 1, modifiers: modifiers);
}
