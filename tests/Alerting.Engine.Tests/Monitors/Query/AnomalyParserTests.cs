using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

public sealed class AnomalyParserTests
{
    private static QueryParseError ParseError(string text)
    {
        Assert.False(QueryParser.TryParse(text, out MonitorQuery? query, out QueryParseError? error), $"'{text}' parsed as {query}");
        return error;
    }

    [Fact]
    public void A_datadog_anomaly_query_parses_with_every_argument()
    {
        var q = Assert.IsType<FormulaQuery>(QueryParser.Parse(
            "avg(last_4h):anomalies(avg:system.cpu.user{env:prod} by {host}, 'basic', 2, direction='above', alert_window='last_15m', interval=60, count_default_zero='true') >= 1"));

        Assert.Equal(TimeAggregation.Avg, q.TimeAggregation);
        Assert.Equal(4 * 3_600_000, q.WindowMs);
        var operand = Assert.IsType<OperandNode>(q.Expression);
        Assert.Equal("system.cpu.user", operand.Metric);
        Assert.Equal(["host"], q.GroupBy.AsEnumerable());
        Assert.Equal(new AnomalySpec(2, AnomalyDirection.Above, 15 * 60_000, 60, countDefaultZero: true), q.Anomaly);
        Assert.Equal(Comparator.GreaterOrEqual, q.Comparator);
        Assert.Equal(1, q.Threshold);
    }

    [Theory]
    [InlineData(
        "avg(last_4h):anomalies(avg:m{*}, 'basic', 2, direction='both', alert_window='last_15m', interval=60, count_default_zero='true') >= 1",
        "avg(last_4h):anomalies(avg:m{*},'basic',2,direction='both',alert_window='last_15m',interval=60,count_default_zero='true') >= 1")]
    [InlineData(
        "sum(last_1h):anomalies( sum:a{*} by {env} / sum:b{*} by {env} ,\"basic\", 3.50, alert_window = 'last_300s', count_default_zero='false') >= 0.5",
        "sum(last_1h):anomalies(sum:a{*} by {env} / sum:b{*} by {env},'basic',3.5,direction='both',alert_window='last_5m') >= 0.5")]
    [InlineData(
        "max(last_2h):anomalies(per_second(sum:c{*}), 'basic', 1, alert_window='last_1h', direction='below') >= 0",
        "max(last_2h):anomalies(per_second(sum:c{*}),'basic',1,direction='below',alert_window='last_1h') >= 0")]
    public void Anomaly_queries_format_canonically_and_read_back(string text, string canonical)
    {
        var q = QueryParser.Parse(text);

        Assert.Equal(canonical, QueryFormatter.Format(q));
        Assert.Equal(q, QueryParser.Parse(canonical));
    }

    [Theory]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'agile', 2, alert_window='last_15m') >= 1", 33, "'basic' (agile, robust and adaptive are not built)")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, basic, 2, alert_window='last_15m') >= 1", 33, "anomalies algorithm ('basic')")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'basic', 0, alert_window='last_15m') >= 1", 42, "a number of standard deviations above 0 and at most 100")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'basic', 2) >= 1", 13, "alert_window='last_…' (the trigger window), shorter than the query's window")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'basic', 2, alert_window='last_4h') >= 1", 58, "an alert window shorter than the query's window, which also holds the history the bounds come from")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'basic', 2, alert_window='last_15m', seasonality='weekly') >= 1", 70, "anomalies argument direction, alert_window, interval or count_default_zero")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'basic', 2, alert_window='last_15m', alert_window='last_5m') >= 1", 70, "each argument at most once")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'basic', 2, alert_window='last_15m', direction='up') >= 1", 80, "direction 'both', 'above' or 'below'")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'basic', 2, alert_window='last_15m', interval=0) >= 1", 79, "interval from 1 to 86400")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'basic', 2, alert_window='last_15m') > 1", 70, "'>='")]
    [InlineData("avg(last_4h):anomalies(avg:m{*}, 'basic', 2, alert_window='last_15m') >= 2", 73, "a threshold from 0 to 1")]
    [InlineData("change(avg(last_4h),last_1d):anomalies(avg:m{*}, 'basic', 2, alert_window='last_15m') >= 1", 29, "a time aggregation over last_… (not change, pct_change or current_…)")]
    [InlineData("avg(last_4h):anomalies(avg:m{*} 'basic', 2, alert_window='last_15m') >= 1", 32, "operator or ',' and the anomalies algorithm")]
    public void Anomaly_errors_say_where_and_what_was_expected(string text, int position, string expected)
    {
        var error = ParseError(text);

        Assert.Equal(expected, error.Expected);
        Assert.Equal(position, error.Position);
    }

    [Fact]
    public void The_ast_refuses_what_the_parser_refuses()
    {
        var m = new OperandNode(SpaceAggregation.Avg, "m", [TagFilter.Any], []);
        var basic = new AnomalySpec(2, AnomalyDirection.Both, 15 * 60_000);

        Assert.Throws<ArgumentException>(() => new FormulaQuery(TimeAggregation.Avg, 15 * 60_000, m, Comparator.GreaterOrEqual, 1, anomaly: basic));
        Assert.Throws<ArgumentException>(() => new FormulaQuery(TimeAggregation.Avg, 3_600_000, m, Comparator.Greater, 1, anomaly: basic));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FormulaQuery(TimeAggregation.Avg, 3_600_000, m, Comparator.GreaterOrEqual, 1.5, anomaly: basic));
        Assert.Throws<ArgumentException>(() => new FormulaQuery(TimeAggregation.Change, 3_600_000, m, Comparator.GreaterOrEqual, 1, TimeAggregation.Avg, 60_000, anomaly: basic));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnomalySpec(0, AnomalyDirection.Both, 60_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnomalySpec(2, AnomalyDirection.Both, 60_000, intervalSeconds: -1));
        Assert.NotNull(new FormulaQuery(TimeAggregation.Avg, 3_600_000, m, Comparator.GreaterOrEqual, 1, anomaly: basic));
    }
}
