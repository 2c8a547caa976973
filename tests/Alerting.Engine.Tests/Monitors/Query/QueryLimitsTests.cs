using System.Collections.Immutable;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

/// <summary>Every named limit accepts its bound and rejects one past it, with a positioned error.</summary>
public sealed class QueryLimitsTests
{
    private const string Prefix = "avg(last_5m):avg:";

    private static QueryParseError Rejected(string text)
    {
        Assert.False(QueryParser.TryParse(text, out _, out QueryParseError? error));
        return error;
    }

    private static string Letters(int count) => new('a', count);

    [Fact]
    public void Query_of_max_length_parses_and_one_char_more_is_rejected()
    {
        const string core = "avg(last_5m):avg:m{*} > 1";
        string atLimit = core + new string(' ', QueryLimits.MaxQueryLength - core.Length);

        Assert.IsType<MetricQuery>(QueryParser.Parse(atLimit));
        QueryParseError error = Rejected(atLimit + " ");
        Assert.Equal(QueryLimits.MaxQueryLength, error.Position);
        Assert.Equal("query is longer than 4096 characters at column 4097; expected at most 4096 characters", error.Message);
    }

    [Fact]
    public void Metric_name_of_max_length_parses_and_one_char_more_is_rejected()
    {
        Assert.IsType<MetricQuery>(QueryParser.Parse($"{Prefix}{Letters(QueryLimits.MaxMetricNameLength)}{{*}} > 1"));

        QueryParseError error = Rejected($"{Prefix}{Letters(QueryLimits.MaxMetricNameLength + 1)}{{*}} > 1");
        Assert.Equal(Prefix.Length, error.Position);
        Assert.Equal("a metric name of at most 200 characters", error.Expected);
    }

    [Fact]
    public void Tag_of_max_length_parses_and_one_char_more_is_rejected()
    {
        string value = Letters(QueryLimits.MaxTagLength - "env:".Length);
        Assert.IsType<MetricQuery>(QueryParser.Parse($"{Prefix}m{{env:{value}}} > 1"));

        QueryParseError error = Rejected($"{Prefix}m{{env:{value}b}} > 1");
        Assert.Equal(Prefix.Length + 2, error.Position);
        Assert.Equal("a tag of at most 200 characters", error.Expected);
    }

    [Fact]
    public void Bare_tag_and_group_by_key_of_max_length_parse_and_one_char_more_is_rejected()
    {
        string key = Letters(QueryLimits.MaxTagLength);
        Assert.IsType<MetricQuery>(QueryParser.Parse($"{Prefix}m{{{key}}} by {{{key}}} > 1"));

        Assert.Equal("a tag of at most 200 characters", Rejected($"{Prefix}m{{{key}b}} > 1").Expected);
        Assert.Equal("a tag key of at most 200 characters", Rejected($"{Prefix}m{{*}} by {{{key}b}} > 1").Expected);
    }

    [Fact]
    public void Scope_of_max_filters_parses_and_one_more_is_rejected()
    {
        string Scope(int n) => string.Join(',', Enumerable.Range(0, n).Select(i => $"k{i}:v"));
        MetricQuery q = Assert.IsType<MetricQuery>(QueryParser.Parse($"{Prefix}m{{{Scope(QueryLimits.MaxScopeFilters)}}} > 1"));
        Assert.Equal(QueryLimits.MaxScopeFilters, q.Scope.Length);

        string text = $"{Prefix}m{{{Scope(QueryLimits.MaxScopeFilters + 1)}}} > 1";
        QueryParseError error = Rejected(text);
        Assert.Equal(text.IndexOf($"k{QueryLimits.MaxScopeFilters}:", StringComparison.Ordinal), error.Position);
        Assert.Equal("at most 64 filters", error.Expected);
    }

    [Fact]
    public void Check_over_of_max_filters_parses_and_one_more_is_rejected()
    {
        string Over(int n) => string.Join(',', Enumerable.Range(0, n).Select(i => $"\"k{i}:v\""));
        Assert.IsType<CheckQuery>(QueryParser.Parse($"\"c\".over({Over(QueryLimits.MaxScopeFilters)}).last(1).count_by_status()"));

        Assert.Equal("at most 64 filters", Rejected($"\"c\".over({Over(QueryLimits.MaxScopeFilters + 1)}).last(1).count_by_status()").Expected);
    }

    [Fact]
    public void Max_group_by_tags_parse_and_one_more_is_rejected()
    {
        string By(int n) => string.Join(',', Enumerable.Range(0, n).Select(i => $"k{i}"));
        MetricQuery q = Assert.IsType<MetricQuery>(QueryParser.Parse($"{Prefix}m{{*}} by {{{By(QueryLimits.MaxGroupByTags)}}} > 1"));
        Assert.Equal(QueryLimits.MaxGroupByTags, q.GroupBy.Length);

        string text = $"{Prefix}m{{*}} by {{{By(QueryLimits.MaxGroupByTags + 1)}}} > 1";
        QueryParseError error = Rejected(text);
        Assert.Equal(text.IndexOf($"k{QueryLimits.MaxGroupByTags}", StringComparison.Ordinal), error.Position);
        Assert.Equal("at most 16 group-by tags", error.Expected);
    }

    [Fact]
    public void Check_name_of_max_length_parses_and_one_char_more_is_rejected()
    {
        Assert.IsType<CheckQuery>(QueryParser.Parse($"\"{Letters(QueryLimits.MaxCheckNameLength)}\".over(\"*\").last(1).count_by_status()"));

        QueryParseError error = Rejected($"\"{Letters(QueryLimits.MaxCheckNameLength + 1)}\".over(\"*\").last(1).count_by_status()");
        Assert.Equal(1, error.Position);
        Assert.Equal("a check name of at most 200 characters", error.Expected);
    }

    [Theory]
    [InlineData("last_1s", true)]
    [InlineData("last_2d", true)]
    [InlineData("last_172800s", true)]
    [InlineData("last_0s", false)]
    [InlineData("last_172801s", true)]
    [InlineData("last_1w", true)]
    [InlineData("last_604800s", true)]
    [InlineData("last_604801s", false)]
    [InlineData("last_2w", false)]
    public void Windows_are_bounded_by_min_and_max(string window, bool accepted) =>
        Assert.Equal(accepted, QueryParser.TryParse($"avg({window}):avg:m{{*}} > 1", out _, out _));

    [Theory]
    [InlineData(1, true)]
    [InlineData(100, true)]
    [InlineData(0, false)]
    [InlineData(101, false)]
    public void Check_runs_are_bounded(int last, bool accepted) =>
        Assert.Equal(accepted, QueryParser.TryParse($"\"c\".over(\"*\").last({last}).count_by_status()", out _, out _));

    [Fact]
    public void Ast_constructors_enforce_the_same_limits()
    {
        ImmutableArray<TagFilter> any = [TagFilter.Any];
        MetricQuery Metric(long windowMs = 60_000, string metric = "m", double threshold = 1, ImmutableArray<string> groupBy = default) =>
            new(TimeAggregation.Avg, windowMs, SpaceAggregation.Avg, metric, any, groupBy, Comparator.Greater, threshold);

        Assert.Throws<ArgumentOutOfRangeException>(() => Metric(windowMs: QueryLimits.MaxWindowMs + 1_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metric(windowMs: 1_500));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metric(windowMs: 0));
        Assert.Throws<ArgumentException>(() => Metric(metric: Letters(QueryLimits.MaxMetricNameLength + 1)));
        Assert.Throws<ArgumentException>(() => Metric(metric: "9m"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metric(threshold: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metric(threshold: double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => Metric(groupBy: ["host", "host"]));
        Assert.Throws<ArgumentException>(() => Metric(groupBy: [.. Enumerable.Range(0, QueryLimits.MaxGroupByTags + 1).Select(i => $"k{i}")]));
        Assert.Throws<ArgumentException>(() => new MetricQuery(
            TimeAggregation.Avg, 60_000, SpaceAggregation.Avg, "m", [TagFilter.Any, TagFilter.HasKey("a")], default, Comparator.Greater, 1));
        Assert.Throws<ArgumentException>(() => new MetricQuery(
            TimeAggregation.Avg, 60_000, SpaceAggregation.Avg, "m", [], default, Comparator.Greater, 1));
        Assert.Throws<ArgumentException>(() => new MetricQuery(
            TimeAggregation.Change, 60_000, SpaceAggregation.Avg, "m", any, default, Comparator.Greater, 1));
        Assert.Throws<ArgumentException>(() => new MetricQuery(
            TimeAggregation.Avg, 60_000, SpaceAggregation.Avg, "m", any, default, Comparator.Greater, 1, TimeAggregation.Avg, 60_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CheckQuery("c", any, default, QueryLimits.MaxCheckRuns + 1));
        Assert.Throws<ArgumentException>(() => new CheckQuery(Letters(QueryLimits.MaxCheckNameLength + 1), any, default, 1));
        Assert.Empty(Metric().GroupBy);
    }
}
