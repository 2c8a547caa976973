using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

public sealed class TopParserTests
{
    [Theory]
    [InlineData(
        "avg(last_5m):top(avg:system.cpu.user{env:prod} by {host}, 10, 'mean', 'desc') > 90",
        "avg(last_5m):top(avg:system.cpu.user{env:prod} by {host},10,'mean','desc') > 90")]
    [InlineData(
        "max(last_1h):top( sum:a{*} by {env} / sum:b{*} by {env} , 5 ,\"l2norm\", \"asc\" ) >= 0.5",
        "max(last_1h):top(sum:a{*} by {env} / sum:b{*} by {env},5,'l2norm','asc') >= 0.5")]
    [InlineData(
        "sum(last_10m):top(per_second(sum:c{*} by {queue}), 100, 'area', 'desc') < 1",
        "sum(last_10m):top(per_second(sum:c{*} by {queue}),100,'area','desc') < 1")]
    public void Top_queries_format_canonically_and_read_back(string text, string canonical)
    {
        var q = Assert.IsType<FormulaQuery>(QueryParser.Parse(text));

        Assert.NotNull(q.Top);
        Assert.Equal(canonical, QueryFormatter.Format(q));
        Assert.Equal(q, QueryParser.Parse(canonical));
    }

    [Fact]
    public void Every_reducer_and_both_directions_parse()
    {
        foreach (var reducer in Enum.GetValues<TopReducer>())
        {
            foreach (var direction in new[] { "desc", "asc" })
            {
                var q = (FormulaQuery)QueryParser.Parse($"avg(last_5m):top(avg:m{{*}} by {{host}}, 25, '{TopSpec.Name(reducer)}', '{direction}') > 1");
                Assert.Equal(new TopSpec(25, reducer, direction == "desc"), q.Top);
            }
        }
    }

    [Theory]
    [InlineData("avg(last_5m):top(avg:m{*} by {host}, 0, 'mean', 'desc') > 1", 37, "top() limit from 1 to 100")]
    [InlineData("avg(last_5m):top(avg:m{*} by {host}, 101, 'mean', 'desc') > 1", 37, "top() limit from 1 to 100")]
    [InlineData("avg(last_5m):top(avg:m{*} by {host}, 10, 'median', 'desc') > 1", 41, "top() reducer ('mean', 'min', 'max', 'sum', 'last', 'area', 'l2norm' or 'norm')")]
    [InlineData("avg(last_5m):top(avg:m{*} by {host}, 10, 'mean', 'up') > 1", 49, "top() direction ('desc' or 'asc')")]
    [InlineData("avg(last_5m):top(avg:m{*} by {host}, 10, 'mean') > 1", 47, "',' and the top() direction ('desc' or 'asc')")]
    [InlineData("change(avg(last_5m),last_1h):top(avg:m{*} by {host}, 10, 'mean', 'desc') > 1", 29, "a time aggregation over last_… (not change, pct_change or current_…)")]
    public void Top_errors_say_where_and_what_was_expected(string text, int position, string expected)
    {
        Assert.False(QueryParser.TryParse(text, out _, out var error));

        Assert.Equal(expected, error.Expected);
        Assert.Equal(position, error.Position);
    }

    [Fact]
    public void The_ast_refuses_what_the_parser_refuses()
    {
        var m = new OperandNode(SpaceAggregation.Avg, "m", [TagFilter.Any], ["host"]);
        var top = new TopSpec(10, TopReducer.Mean, descending: true);

        Assert.Throws<ArgumentOutOfRangeException>(() => new TopSpec(0, TopReducer.Mean, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopSpec(TopSpec.MaxLimit + 1, TopReducer.Mean, true));
        Assert.Throws<ArgumentException>(() => new FormulaQuery(TimeAggregation.Change, 60_000, m, Comparator.Greater, 1, TimeAggregation.Avg, 60_000, top: top));
        Assert.Throws<ArgumentException>(() => new FormulaQuery(TimeAggregation.Avg, 3_600_000, m, Comparator.GreaterOrEqual, 1, anomaly: new AnomalySpec(2, AnomalyDirection.Both, 60_000), top: top));
        Assert.NotNull(new FormulaQuery(TimeAggregation.Avg, 60_000, m, Comparator.Greater, 1, top: top));
    }
}
