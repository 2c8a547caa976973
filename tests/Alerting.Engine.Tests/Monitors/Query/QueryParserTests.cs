using System.Collections.Immutable;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

public sealed class QueryParserTests
{
    private static MetricQuery ParseMetric(string text) => Assert.IsType<MetricQuery>(QueryParser.Parse(text));

    private static CheckQuery ParseCheck(string text) => Assert.IsType<CheckQuery>(QueryParser.Parse(text));

    private static QueryParseError ParseError(string text)
    {
        Assert.False(QueryParser.TryParse(text, out MonitorQuery? query, out QueryParseError? error), $"'{text}' parsed as {query}");
        var thrown = Assert.Throws<QueryParseException>(() => QueryParser.Parse(text));
        Assert.Equal(error, thrown.Error);
        Assert.Equal(error.Message, thrown.Message);
        Assert.Equal(error.Position + 1, thrown.Column);
        return error;
    }

    [Fact]
    public void Datadog_example_parses_into_every_field()
    {
        MetricQuery q = ParseMetric("avg(last_5m):avg:system.cpu.user{env:prod,!role:db} by {host} > 90");

        Assert.Equal(TimeAggregation.Avg, q.TimeAggregation);
        Assert.Equal(300_000, q.WindowMs);
        Assert.Null(q.ChangeAggregation);
        Assert.Equal(0, q.ShiftMs);
        Assert.Equal(SpaceAggregation.Avg, q.SpaceAggregation);
        Assert.Equal("system.cpu.user", q.Metric);
        Assert.Equal<TagFilter>([TagFilter.Equal("env", "prod"), TagFilter.NotEqual("role", "db")], q.Scope);
        Assert.Equal<string>(["host"], q.GroupBy);
        Assert.Equal(Comparator.Greater, q.Comparator);
        Assert.Equal(90, q.Threshold);
    }

    [Theory]
    [InlineData("avg", TimeAggregation.Avg)]
    [InlineData("sum", TimeAggregation.Sum)]
    [InlineData("min", TimeAggregation.Min)]
    [InlineData("max", TimeAggregation.Max)]
    [InlineData("last", TimeAggregation.Last)]
    [InlineData("count", TimeAggregation.Count)]
    public void Simple_time_aggregations_parse(string name, TimeAggregation expected)
    {
        MetricQuery q = ParseMetric($"{name}(last_1m):sum:m{{*}} > 1");

        Assert.Equal(expected, q.TimeAggregation);
        Assert.Equal(60_000, q.WindowMs);
    }

    [Theory]
    [InlineData("change", TimeAggregation.Change)]
    [InlineData("pct_change", TimeAggregation.PctChange)]
    public void Change_aggregations_carry_inner_aggregation_window_and_shift(string name, TimeAggregation expected)
    {
        MetricQuery q = ParseMetric($"{name}(max(last_5m),last_1h):avg:m{{*}} > 10");

        Assert.Equal(expected, q.TimeAggregation);
        Assert.Equal(TimeAggregation.Max, q.ChangeAggregation);
        Assert.Equal(300_000, q.WindowMs);
        Assert.Equal(3_600_000, q.ShiftMs);
    }

    [Theory]
    [InlineData("avg", SpaceAggregation.Avg)]
    [InlineData("sum", SpaceAggregation.Sum)]
    [InlineData("min", SpaceAggregation.Min)]
    [InlineData("max", SpaceAggregation.Max)]
    public void Space_aggregations_parse(string name, SpaceAggregation expected) =>
        Assert.Equal(expected, ParseMetric($"avg(last_1m):{name}:m{{*}} > 1").SpaceAggregation);

    [Theory]
    [InlineData("last_1s", 1_000)]
    [InlineData("last_90s", 90_000)]
    [InlineData("last_5m", 300_000)]
    [InlineData("last_4h", 14_400_000)]
    [InlineData("last_2d", 172_800_000)]
    [InlineData("last_48h", 172_800_000)]
    [InlineData("last_3d", 259_200_000)]
    [InlineData("last_168h", 604_800_000)]
    [InlineData("last_1w", 604_800_000)]
    [InlineData("last_007m", 420_000)]
    public void Windows_convert_to_milliseconds(string window, long expectedMs) =>
        Assert.Equal(expectedMs, ParseMetric($"avg({window}):avg:m{{*}} > 1").WindowMs);

    [Theory]
    [InlineData(">", Comparator.Greater)]
    [InlineData(">=", Comparator.GreaterOrEqual)]
    [InlineData("<", Comparator.Less)]
    [InlineData("<=", Comparator.LessOrEqual)]
    public void Comparators_parse(string symbol, Comparator expected) =>
        Assert.Equal(expected, ParseMetric($"avg(last_1m):avg:m{{*}} {symbol} 1").Comparator);

    [Theory]
    [InlineData("90", 90.0)]
    [InlineData("-3.5", -3.5)]
    [InlineData("+2", 2.0)]
    [InlineData("0.25", 0.25)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("1e3", 1000.0)]
    [InlineData("2.5E-2", 0.025)]
    [InlineData("-1e+2", -100.0)]
    public void Thresholds_accept_sign_fraction_and_exponent(string literal, double expected) =>
        Assert.Equal(expected, ParseMetric($"avg(last_1m):avg:m{{*}} > {literal}").Threshold);

    [Fact]
    public void Scope_star_is_a_single_any_filter() =>
        Assert.Equal<TagFilter>([TagFilter.Any], ParseMetric("avg(last_1m):avg:m{*} > 1").Scope);

    [Fact]
    public void Scope_filters_of_every_kind_parse_and_keep_case()
    {
        MetricQuery q = ParseMetric("avg(last_1m):avg:m{Env:Prod,!role:db,service:web-*,team:*,canary,url:http://x/y} > 1");

        Assert.Equal<TagFilter>(
            [
                TagFilter.Equal("Env", "Prod"),
                TagFilter.NotEqual("role", "db"),
                TagFilter.Prefix("service", "web-"),
                TagFilter.Prefix("team", string.Empty),
                TagFilter.HasKey("canary"),
                TagFilter.Equal("url", "http://x/y"),
            ],
            q.Scope);
    }

    [Fact]
    public void Unicode_letters_are_allowed_in_tags() =>
        Assert.Equal<TagFilter>([TagFilter.Equal("région", "île-de-france")], ParseMetric("avg(last_1m):avg:m{région:île-de-france} > 1").Scope);

    [Fact]
    public void Group_by_keeps_the_written_order() =>
        Assert.Equal<string>(["host", "env", "availability-zone"], ParseMetric("avg(last_1m):avg:m{*} by {host,env,availability-zone} > 1").GroupBy);

    [Fact]
    public void Without_by_the_query_has_the_single_star_group() =>
        Assert.Empty(ParseMetric("avg(last_1m):avg:m{*} > 1").GroupBy);

    [Fact]
    public void Whitespace_is_tolerated_between_tokens()
    {
        MetricQuery spaced = ParseMetric(
            "  change ( avg ( last_5m ) , last_1h ) : avg : system.cpu.user { env:prod , !role:db }\tby\n{ host , env }  >=  -2.5 \r\n");

        Assert.Equal(
            ParseMetric("change(avg(last_5m),last_1h):avg:system.cpu.user{env:prod,!role:db} by {host,env} >= -2.5"),
            spaced);
    }

    [Fact]
    public void Check_query_parses_into_every_field()
    {
        CheckQuery q = ParseCheck("\"http.can_connect\".over(\"env:prod\",\"!role:db\").by(\"host\",\"url\").last(3).count_by_status()");

        Assert.Equal("http.can_connect", q.CheckName);
        Assert.Equal<TagFilter>([TagFilter.Equal("env", "prod"), TagFilter.NotEqual("role", "db")], q.Over);
        Assert.Equal<string>(["host", "url"], q.GroupBy);
        Assert.Equal(3, q.Last);
    }

    [Fact]
    public void Check_query_over_star_without_by_has_one_group()
    {
        CheckQuery q = ParseCheck(" \"datadog.agent.up\" . over ( \"*\" ) . last ( 1 ) . count_by_status ( ) ");

        Assert.Equal<TagFilter>([TagFilter.Any], q.Over);
        Assert.Empty(q.GroupBy);
        Assert.Equal(1, q.Last);
    }

    [Fact]
    public void Missing_comparator_is_reported_after_the_closing_brace()
    {
        QueryParseError error = ParseError("avg(last_5m):avg:system.cpu{*} 90");

        Assert.Equal(31, error.Position);
        Assert.Equal(32, error.Column);
        Assert.Equal("comparator", error.Expected);
        Assert.Equal("expected comparator after '}' at column 32, found '9'", error.Message);
    }

    [Theory]
    [InlineData("", 0, "time aggregation (avg, sum, min, max, last, count, change, pct_change, percentile) or quoted check name")]
    [InlineData("   ", 3, "time aggregation (avg, sum, min, max, last, count, change, pct_change, percentile) or quoted check name")]
    [InlineData("average(last_5m):avg:m{*} > 1", 0, "time aggregation (avg, sum, min, max, last, count, change, pct_change, percentile)")]
    [InlineData("avg last_5m):avg:m{*} > 1", 4, "'('")]
    [InlineData("avg(5m):avg:m{*} > 1", 4, "window (last_<n>s, m, h, d or w)")]
    [InlineData("avg(last_m):avg:m{*} > 1", 9, "window length digits")]
    [InlineData("avg(last_5y):avg:m{*} > 1", 10, "window unit s, m, h, d or w")]
    [InlineData("avg(last_5m:avg:m{*} > 1", 11, "')'")]
    [InlineData("avg(last_5m)avg:m{*} > 1", 12, "':'")]
    [InlineData("avg(last_5m):mean:m{*} > 1", 13, "space aggregation (avg, sum, min, max)")]
    [InlineData("avg(last_5m):last:m{*} > 1", 13, "space aggregation (avg, sum, min, max)")]
    [InlineData("avg(last_5m):avg m{*} > 1", 17, "':'")]
    [InlineData("avg(last_5m):avg:9m{*} > 1", 17, "metric name")]
    [InlineData("avg(last_5m):avg:m > 1", 19, "'{' to open the scope")]
    [InlineData("avg(last_5m):avg:m{} > 1", 19, "tag filter (*, key:value, !key:value, key:prefix*, key)")]
    [InlineData("avg(last_5m):avg:m{*,env:a} > 1", 20, "'}' ('*' must be the only filter)")]
    [InlineData("avg(last_5m):avg:m{env:a,*} > 1", 25, "tag filter (*, key:value, !key:value, key:prefix*, key)")]
    [InlineData("avg(last_5m):avg:m{env:a env:b} > 1", 25, "',', 'AND', 'OR' or '}'")]
    [InlineData("avg(last_5m):avg:m{env:} > 1", 23, "tag value")]
    [InlineData("avg(last_5m):avg:m{!env} > 1", 23, "':' and a value (a negated filter is '!key:value')")]
    [InlineData("avg(last_5m):avg:m{!env:a*} > 1", 25, "',' or end of the filter ('!key:value' takes no wildcard; write NOT key:pattern)")]
    [InlineData("avg(last_5m):avg:m{!} > 1", 20, "tag key")]
    [InlineData("avg(last_5m):avg:m{env:a OR} > 1", 25, "',', 'AND', 'OR' or '}'")]
    [InlineData("avg(last_5m):avg:m{env:a OR } > 1", 28, "tag filter (*, key:value, !key:value, key:prefix*, key)")]
    [InlineData("avg(last_5m):avg:m{(env:a OR env:b} > 1", 34, "')', 'AND' or 'OR'")]
    [InlineData("avg(last_5m):avg:m{NOT } > 1", 23, "tag filter (*, key:value, !key:value, key:prefix*, key)")]
    [InlineData("avg(last_5m):avg:m{AND} > 1", 19, "tag filter (AND, OR, NOT and IN are scope operators, not tag keys)")]
    [InlineData("avg(last_5m):avg:m{env:a AND OR env:b} > 1", 29, "tag filter (AND, OR, NOT and IN are scope operators, not tag keys)")]
    [InlineData("avg(last_5m):avg:m{env IN a} > 1", 26, "'(' to open the value list")]
    [InlineData("avg(last_5m):avg:m{env IN ()} > 1", 27, "tag value")]
    [InlineData("avg(last_5m):avg:m{env IN (a b)} > 1", 29, "',' or ')'")]
    [InlineData("avg(last_5m):avg:m{env NOT a} > 1", 27, "'IN' after 'NOT' (a value list is 'key NOT IN (...)')")]
    [InlineData("avg(last_5m):avg:m{env:a OR *} > 1", 28, "tag filter (*, key:value, !key:value, key:prefix*, key)")]
    [InlineData("avg(last_5m):avg:m{env:a} bye {host} > 1", 26, "'by' or comparator")]
    [InlineData("avg(last_5m):avg:m{env:a} by host > 1", 29, "'{' after 'by'")]
    [InlineData("avg(last_5m):avg:m{env:a} by {} > 1", 30, "group-by tag key")]
    [InlineData("avg(last_5m):avg:m{env:a} by {host env} > 1", 35, "',' or '}'")]
    [InlineData("avg(last_5m):avg:m{*} = 1", 22, "comparator")]
    [InlineData("avg(last_5m):avg:m{*} >", 23, "threshold number")]
    [InlineData("avg(last_5m):avg:m{*} > -", 24, "threshold number")]
    [InlineData("avg(last_5m):avg:m{*} > 1e", 26, "exponent digits")]
    [InlineData("avg(last_5m):avg:m{*} > 1 and", 26, "end of query")]
    [InlineData("avg(last_5m):avg:m{*} > NaN", 24, "threshold number")]
    [InlineData("change(last_5m):avg:m{*} > 1", 7, "aggregation (avg, sum, min, max, last, count)")]
    [InlineData("change(change(last_5m),last_5m):avg:m{*} > 1", 7, "aggregation (avg, sum, min, max, last, count)")]
    [InlineData("change(avg(last_5m)):avg:m{*} > 1", 19, "',' and the change shift")]
    [InlineData("change(avg(last_5m),5m):avg:m{*} > 1", 20, "change shift (last_<n>s, m, h, d or w)")]
    [InlineData("\"\".over(\"*\").last(1).count_by_status()", 1, "check name")]
    [InlineData("\"http.check.over(\"*\").last(1).count_by_status()", 16, "'\"' to close the check name")]
    [InlineData("\"c\".last(1).count_by_status()", 4, "'over'")]
    [InlineData("\"c\".over(*).last(1).count_by_status()", 9, "'\"' to open a tag filter")]
    [InlineData("\"c\".over(\"*\",\"a:b\").last(1).count_by_status()", 12, "')' ('*' must be the only filter)")]
    [InlineData("\"c\".over(\"env:a\" \"b:c\").last(1).count_by_status()", 17, "',' or ')'")]
    [InlineData("\"c\".over(\"env: a\").last(1).count_by_status()", 14, "tag value")]
    [InlineData("\"c\".over(\"*\").count_by_status()", 14, "'last' or 'by'")]
    [InlineData("\"c\".over(\"*\").by(host).last(1).count_by_status()", 17, "'\"' to open a group-by tag")]
    [InlineData("\"c\".over(\"*\").by(\"host\").count_by_status()", 25, "'last'")]
    [InlineData("\"c\".over(\"*\").last().count_by_status()", 19, "number of check runs")]
    [InlineData("\"c\".over(\"*\").last(3)", 21, "'.count_by_status'")]
    [InlineData("\"c\".over(\"*\").last(3).count_by_status(", 38, "')'")]
    public void Syntax_errors_name_position_and_expectation(string text, int position, string expected)
    {
        QueryParseError error = ParseError(text);

        Assert.Equal(expected, error.Expected);
        Assert.Equal(position, error.Position);
        Assert.Null(error.Problem);
        Assert.StartsWith($"expected {expected}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"at column {position + 1}, found ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("avg(last_0m):avg:m{*} > 1", 4, "a window of at least last_1s")]
    [InlineData("avg(last_8d):avg:m{*} > 1", 4, "a window of at most last_1w")]
    [InlineData("avg(last_2w):avg:m{*} > 1", 4, "a window of at most last_1w")]
    [InlineData("avg(last_604801s):avg:m{*} > 1", 4, "a window of at most last_1w")]
    [InlineData("avg(last_99999999999999999999d):avg:m{*} > 1", 4, "a window of at most last_1w")]
    [InlineData("change(avg(last_5m),last_169h):avg:m{*} > 1", 20, "a change shift of at most last_1w")]
    [InlineData("change(avg(last_5m),last_0s):avg:m{*} > 1", 20, "a change shift of at least last_1s")]
    [InlineData("avg(last_5m):avg:m{*} > 1e309", 24, "a finite threshold")]
    [InlineData("avg(last_5m):avg:m{*} > -1e309", 24, "a finite threshold")]
    [InlineData("avg(last_5m):avg:m{*} by {host,env,host} > 1", 35, "distinct group-by tags")]
    [InlineData("\"c\".over(\"*\").by(\"host\",\"host\").last(1).count_by_status()", 25, "distinct group-by tags")]
    [InlineData("\"c\".over(\"*\").last(0).count_by_status()", 19, "a number of check runs from 1 to 100")]
    [InlineData("\"c\".over(\"*\").last(101).count_by_status()", 19, "a number of check runs from 1 to 100")]
    [InlineData("\"c\".over(\"*\").last(99999999999999).count_by_status()", 19, "a number of check runs from 1 to 100")]
    public void Out_of_bounds_values_name_position_and_what_is_allowed(string text, int position, string expected)
    {
        QueryParseError error = ParseError(text);

        Assert.Equal(expected, error.Expected);
        Assert.Equal(position, error.Position);
        Assert.NotNull(error.Problem);
        Assert.Equal($"{error.Problem} at column {position + 1}; expected {expected}", error.Message);
    }

    [Fact]
    public void Duplicate_group_by_message_names_the_tag() =>
        Assert.Equal(
            "group-by tag 'host' appears twice at column 36; expected distinct group-by tags",
            ParseError("avg(last_5m):avg:m{*} by {host,env,host} > 1").Message);

    [Fact]
    public void Errors_inside_a_filter_quote_the_filter_read_so_far() =>
        Assert.Equal(
            "expected tag value after 'env:' at column 24, found '}'",
            ParseError("avg(last_5m):avg:m{env:} > 1").Message);

    [Fact]
    public void Too_long_window_message_names_the_window_and_the_limit() =>
        Assert.Equal(
            "window 'last_8d' is longer than last_1w at column 5; expected a window of at most last_1w",
            ParseError("avg(last_8d):avg:m{*} > 1").Message);

    [Fact]
    public void Invisible_characters_are_shown_by_code_point()
    {
        QueryParseError error = ParseError("avg(last_5m):avg:m{*}\u00a0> 1");

        Assert.Equal("U+00A0", error.Found);
        Assert.Equal(21, error.Position);
    }

    [Fact]
    public void Keywords_are_lowercase() =>
        Assert.Equal(0, ParseError("AVG(last_5m):avg:m{*} > 1").Position);

    [Fact]
    public void Null_text_is_a_programming_error()
    {
        Assert.Throws<ArgumentNullException>(() => QueryParser.Parse(null!));
        Assert.Throws<ArgumentNullException>(() => QueryParser.TryParse(null!, out _, out _));
    }

    [Fact]
    public void Parsed_queries_compare_by_value()
    {
        const string text = "avg(last_5m):avg:m{env:prod} by {host} > 1";

        MonitorQuery a = QueryParser.Parse(text);
        MonitorQuery b = QueryParser.Parse(text);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, QueryParser.Parse("avg(last_5m):avg:m{env:prod} by {host} > 2"));
        Assert.NotEqual(a, QueryParser.Parse("avg(last_5m):avg:m{env:prod} by {env} > 1"));
        Assert.NotEqual<MonitorQuery>(a, ImmutableArray.Create<MonitorQuery>(QueryParser.Parse("\"c\".over(\"*\").last(1).count_by_status()"))[0]);
    }
}
