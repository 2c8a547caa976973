using System.Collections.Immutable;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

public sealed class FormulaParserTests
{
    private static FormulaQuery ParseFormula(string text) => Assert.IsType<FormulaQuery>(QueryParser.Parse(text));

    private static QueryParseError ParseError(string text)
    {
        Assert.False(QueryParser.TryParse(text, out MonitorQuery? query, out QueryParseError? error), $"'{text}' parsed as {query}");
        return error;
    }

    private static OperandNode Operand(string metric, params string[] groupBy) =>
        new(SpaceAggregation.Sum, metric, [TagFilter.Equal("svc", "api")], [.. groupBy]);

    [Fact]
    public void Datadog_error_rate_formula_parses_into_a_tree_joined_by_group()
    {
        var q = ParseFormula("sum(last_5m):sum:http.errors{svc:api} by {env} / sum:http.requests{svc:api} by {env} * 100 > 5");

        var expected = new BinaryNode(
            FormulaOperator.Multiply,
            new BinaryNode(FormulaOperator.Divide, Operand("http.errors", "env"), Operand("http.requests", "env")),
            new ConstantNode(100));
        Assert.Equal(expected, q.Expression);
        Assert.Equal(TimeAggregation.Sum, q.TimeAggregation);
        Assert.Equal(300_000, q.WindowMs);
        Assert.Equal<string>(["env"], q.GroupBy);
        Assert.Equal(["http.errors", "http.requests"], q.Operands.Select(o => o.Metric));
        Assert.Equal(Comparator.Greater, q.Comparator);
        Assert.Equal(5, q.Threshold);
    }

    [Theory]
    [InlineData("avg(last_5m):sum:a{*} + sum:b{*} * sum:c{*} > 1", "avg(last_5m):sum:a{*} + sum:b{*} * sum:c{*} > 1")]
    [InlineData("avg(last_5m):(sum:a{*} + sum:b{*}) * sum:c{*} > 1", "avg(last_5m):(sum:a{*} + sum:b{*}) * sum:c{*} > 1")]
    [InlineData("avg(last_5m):sum:a{*} - (sum:b{*} - sum:c{*}) > 1", "avg(last_5m):sum:a{*} - (sum:b{*} - sum:c{*}) > 1")]
    [InlineData("avg(last_5m):(sum:a{*} - sum:b{*}) - sum:c{*} > 1", "avg(last_5m):sum:a{*} - sum:b{*} - sum:c{*} > 1")]
    [InlineData("avg(last_5m):sum:a{*}/sum:b{*}/2>1", "avg(last_5m):sum:a{*} / sum:b{*} / 2 > 1")]
    [InlineData("avg(last_5m):((sum:a{*})) * 2 > 1", "avg(last_5m):sum:a{*} * 2 > 1")]
    [InlineData("avg(last_5m):- sum:a{*} > 1", "avg(last_5m):-sum:a{*} > 1")]
    [InlineData("avg(last_5m):-5 * sum:a{*} > 1", "avg(last_5m):-5 * sum:a{*} > 1")]
    [InlineData("avg(last_5m):- 5 * sum:a{*} > 1", "avg(last_5m):-(5) * sum:a{*} > 1")]
    [InlineData("avg(last_5m):sum:a{*} - -2.50 > -1", "avg(last_5m):sum:a{*} - -2.5 > -1")]
    [InlineData("avg(last_5m):abs( sum:a{*} ) > 1", "avg(last_5m):abs(sum:a{*}) > 1")]
    [InlineData("max(last_1h):log10(sum:a{*} by {host}) + log2(max:b{x:y} by {host}) > 1", "max(last_1h):log10(sum:a{*} by {host}) + log2(max:b{x:y} by {host}) > 1")]
    [InlineData("sum(last_5m):default_zero(sum:a{*} by {env}) / sum:b{*} by {env} >= 0.5", "sum(last_5m):default_zero(sum:a{*} by {env}) / sum:b{*} by {env} >= 0.5")]
    [InlineData("change(avg(last_5m),last_1h):sum:a{*} / sum:b{*} < 1e3", "change(avg(last_5m),last_1h):sum:a{*} / sum:b{*} < 1000")]
    [InlineData("avg(last_5m):per_second( sum:http.requests{svc:api} by {env} ) > 100", "avg(last_5m):per_second(sum:http.requests{svc:api} by {env}) > 100")]
    [InlineData("max(last_15m):per_minute(sum:jobs.done{*}) < 1", "max(last_15m):per_minute(sum:jobs.done{*}) < 1")]
    [InlineData("min(last_10m):diff(avg:queue.depth{*} by {queue}) >= 50", "min(last_10m):diff(avg:queue.depth{*} by {queue}) >= 50")]
    [InlineData("avg(last_5m):per_second(sum:errors{*}) / per_second(sum:requests{*}) * 100 > 5", "avg(last_5m):per_second(sum:errors{*}) / per_second(sum:requests{*}) * 100 > 5")]
    public void Formulas_parse_and_format_canonically(string text, string canonical)
    {
        var q = ParseFormula(text);

        Assert.Equal(canonical, QueryFormatter.Format(q));
        Assert.Equal(q, QueryParser.Parse(canonical));
    }

    [Theory]
    [InlineData("avg(last_5m):sum:a{*} == 0", Comparator.Equal, "avg(last_5m):sum:a{*} == 0")]
    [InlineData("avg(last_5m):sum:a{*}!=-1", Comparator.NotEqual, "avg(last_5m):sum:a{*} != -1")]
    [InlineData("avg(last_5m):sum:a{*} / 2 == 3", Comparator.Equal, "avg(last_5m):sum:a{*} / 2 == 3")]
    public void Equal_and_not_equal_comparators_parse_and_format(string text, Comparator comparator, string canonical)
    {
        var q = QueryParser.Parse(text);

        Assert.Equal(comparator, q is MetricQuery m ? m.Comparator : ((FormulaQuery)q).Comparator);
        Assert.Equal(canonical, QueryFormatter.Format(q));
    }

    [Theory]
    [InlineData("avg(last_5m):sum:a{*} = 0", 22)]
    [InlineData("avg(last_5m):sum:a{*} ! 0", 22)]
    [InlineData("avg(last_5m):sum:a{*} =< 0", 22)]
    public void A_lone_equals_or_bang_is_not_a_comparator(string text, int position)
    {
        var error = ParseError(text);

        Assert.Equal((position, "comparator"), (error.Position, error.Expected));
    }

    [Theory]
    [InlineData("sum(current_1d):sum:orders{*} > 1000", 86_400_000L)]
    [InlineData("max( current_1h ):sum:a{*} / sum:b{*} > 2", 3_600_000L)]
    public void Calendar_windows_parse_and_format(string text, long windowMs)
    {
        var q = QueryParser.Parse(text);

        var (calendar, window) = q is MetricQuery m ? (m.CalendarWindow, m.WindowMs) : (((FormulaQuery)q).CalendarWindow, ((FormulaQuery)q).WindowMs);
        Assert.Equal((true, windowMs), (calendar, window));
        Assert.Equal(q, QueryParser.Parse(QueryFormatter.Format(q)));
        Assert.Contains(windowMs == 86_400_000L ? "(current_1d):" : "(current_1h):", QueryFormatter.Format(q), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sum(current_1w):sum:a{*} > 1", 4, "calendar window current_1h or current_1d")]
    [InlineData("change(avg(current_1h),last_1h):sum:a{*} > 1", 11, "window (last_<n>s, m, h, d or w)")]
    public void Other_calendar_windows_are_refused(string text, int position, string expected)
    {
        var error = ParseError(text);

        Assert.Equal((position, expected), (error.Position, error.Expected));
    }

    [Fact]
    public void A_formula_that_is_one_parenthesised_query_is_a_plain_metric_query()
    {
        var q = Assert.IsType<MetricQuery>(QueryParser.Parse("avg(last_5m):( sum:a{*} by {host} ) > 1"));

        Assert.Equal("avg(last_5m):sum:a{*} by {host} > 1", q.ToString());
    }

    [Fact]
    public void Queries_grouped_differently_are_refused_at_the_second_query()
    {
        const string text = "avg(last_5m):sum:a{*} by {env} / sum:b{*} by {host} > 1";

        var error = ParseError(text);

        Assert.Equal(text.IndexOf("sum:b", StringComparison.Ordinal), error.Position);
        Assert.Contains("groups differently from the first one (by {env})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_formula_without_a_metric_query_is_refused_at_its_start()
    {
        var error = ParseError("avg(last_5m):2 * 3 > 1");

        Assert.Equal(13, error.Position);
        Assert.Contains("at least one metric query", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_the_most_operands_is_refused_at_the_first_one_too_many()
    {
        var queries = Enumerable.Range(0, QueryLimits.MaxFormulaOperands + 1).Select(i => $"sum:m{i}{{*}}").ToArray();
        var text = "avg(last_5m):" + string.Join(" + ", queries) + " > 1";

        var error = ParseError(text);

        Assert.Equal(text.LastIndexOf("sum:", StringComparison.Ordinal), error.Position);
        Assert.Contains($"more than {QueryLimits.MaxFormulaOperands} metric queries", error.Message, StringComparison.Ordinal);
        Assert.IsType<FormulaQuery>(QueryParser.Parse("avg(last_5m):" + string.Join(" + ", queries[..^1]) + " > 1"));
    }

    [Fact]
    public void More_than_the_most_nodes_is_refused_at_the_first_one_too_many()
    {
        var okText = "avg(last_5m):sum:m{*}" + string.Concat(Enumerable.Repeat(" + 1", (QueryLimits.MaxFormulaNodes - 1) / 2)) + " > 1";
        Assert.Equal(QueryLimits.MaxFormulaNodes - 1, ParseFormula(okText).Expression.NodeCount);

        var text = "avg(last_5m):sum:m{*}" + string.Concat(Enumerable.Repeat(" + 1", QueryLimits.MaxFormulaNodes / 2)) + " > 1";
        var error = ParseError(text);

        Assert.Contains($"more than {QueryLimits.MaxFormulaNodes} nodes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_and_the_limit_itself_parses()
    {
        string Nested(int depth) => "avg(last_5m):" + new string('(', depth) + "sum:m{*} * 2" + new string(')', depth) + " > 1";

        Assert.IsType<FormulaQuery>(QueryParser.Parse(Nested(QueryLimits.MaxFormulaDepth)));
        var error = ParseError(Nested(QueryLimits.MaxFormulaDepth + 1));

        Assert.Equal(13 + QueryLimits.MaxFormulaDepth, error.Position);
        Assert.Contains($"deeper than {QueryLimits.MaxFormulaDepth} levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_formula_whose_canonical_text_would_nest_too_deep_is_refused_at_its_start()
    {
        // "- 5" is written without parentheses but is "-(5)" canonically: one level more.
        var functions = QueryLimits.MaxFormulaDepth;
        var text = "avg(last_5m):" + string.Concat(Enumerable.Repeat("abs(", functions)) + "- 5 + sum:m{*}" + new string(')', functions) + " > 1";

        var error = ParseError(text);

        Assert.Equal(13, error.Position);
        Assert.Contains($"deeper than {QueryLimits.MaxFormulaDepth} levels", error.Message, StringComparison.Ordinal);
        Assert.IsType<FormulaQuery>(QueryParser.Parse(text.Replace("- 5", "-5", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("avg(last_5m):sum:a{*} / > 1", 24, "space aggregation (avg, sum, min, max), function, number or '('")]
    [InlineData("avg(last_5m):abs sum:a{*} > 1", 17, "'('")]
    [InlineData("avg(last_5m):abs(sum:a{*} > 1", 26, "operator or ')'")]
    [InlineData("avg(last_5m):sqrt(sum:a{*}) > 1", 13, "space aggregation (avg, sum, min, max)")]
    [InlineData("avg(last_5m):sum:a{*} * 1e999 > 1", 24, "a finite constant")]
    public void Formula_syntax_errors_say_where_and_what_was_expected(string text, int position, string expected)
    {
        var error = ParseError(text);

        Assert.Equal(position, error.Position);
        Assert.Equal(expected, error.Expected);
    }

    [Fact]
    public void The_ast_refuses_what_the_parser_refuses()
    {
        var a = Operand("a", "env");
        var b = Operand("b", "host");

        Assert.Throws<ArgumentException>(() => new FormulaQuery(TimeAggregation.Avg, 60_000, a, Comparator.Greater, 1));
        Assert.Throws<ArgumentException>(() => new FormulaQuery(TimeAggregation.Avg, 60_000, new BinaryNode(FormulaOperator.Add, a, b), Comparator.Greater, 1));
        Assert.Throws<ArgumentException>(() => new FormulaQuery(TimeAggregation.Avg, 60_000, new ConstantNode(1), Comparator.Greater, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantNode(double.PositiveInfinity));
        FormulaNode deep = a;
        for (var i = 0; i <= QueryLimits.MaxFormulaDepth; i++)
        {
            deep = new FunctionNode(FormulaFunction.Abs, deep);
        }

        Assert.Throws<ArgumentException>(() => new FormulaQuery(TimeAggregation.Avg, 60_000, deep, Comparator.Greater, 1));
    }
}
