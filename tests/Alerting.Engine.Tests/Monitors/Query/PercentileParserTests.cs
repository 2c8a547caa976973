using System.Collections.Immutable;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

public sealed class PercentileParserTests
{
    [Fact]
    public void Datadogs_percentile_monitor_query_parses_into_its_parts()
    {
        var q = Assert.IsType<PercentileQuery>(QueryParser.Parse("percentile(last_5m):p99:request.latency{service:api} by {host} > 0.5"));

        Assert.Equal(300_000, q.WindowMs);
        Assert.Equal(9_900, q.PercentileHundredths);
        Assert.Equal(0.99, q.Quantile);
        Assert.Equal("request.latency", q.Metric);
        Assert.Equal("request.latency.bucket", q.BucketMetric);
        var filter = Assert.Single(q.Scope);
        Assert.Equal((TagFilterKind.Equals, "service", "api"), (filter.Kind, filter.Key, filter.Value));
        Assert.Equal("host", Assert.Single(q.GroupBy));
        Assert.Equal(Comparator.Greater, q.Comparator);
        Assert.Equal(0.5, q.Threshold);
    }

    [Theory]
    [InlineData("p50", 5_000)]
    [InlineData("p75", 7_500)]
    [InlineData("p90", 9_000)]
    [InlineData("p95", 9_500)]
    [InlineData("p99", 9_900)]
    [InlineData("p99.9", 9_990)]
    [InlineData("p99.99", 9_999)]
    [InlineData("p99.90", 9_990)]
    [InlineData("p0.01", 1)]
    [InlineData("p5", 500)]
    [InlineData("p05", 500)]
    public void Every_percentile_Datadog_computes_parses(string percentile, int hundredths)
    {
        var q = Assert.IsType<PercentileQuery>(QueryParser.Parse($"percentile(last_5m):{percentile}:m{{*}} > 1"));

        Assert.Equal(hundredths, q.PercentileHundredths);
    }

    [Theory]
    [InlineData("percentile(last_5m):p99:request.latency{service:api} by {host} > 0.5", "percentile(last_5m):p99:request.latency{service:api} by {host} > 0.5")]
    [InlineData(" percentile ( last_300s ) : p99.90 : m { env:prod , NOT le:1 } by { host , env } >= 2e3 ", "percentile(last_5m):p99.9:m{env:prod,!le:1} by {host,env} >= 2000")]
    [InlineData("percentile(last_1h):p05:http_request_duration_seconds_bucket{*} != 1", "percentile(last_1h):p5:http_request_duration_seconds_bucket{*} != 1")]
    [InlineData("percentile(last_7d):p0.1:m{*} < 1", "percentile(last_1w):p0.1:m{*} < 1")]
    public void Percentile_queries_format_canonically_and_read_back(string text, string canonical)
    {
        var q = QueryParser.Parse(text);

        Assert.Equal(canonical, QueryFormatter.Format(q));
        Assert.Equal(q, QueryParser.Parse(canonical));
    }

    [Fact]
    public void A_prometheus_histogram_is_read_through_its_bucket_series_as_written()
    {
        var q = (PercentileQuery)QueryParser.Parse("percentile(last_5m):p95:http_request_duration_seconds_bucket{*} > 1");

        Assert.Equal("http_request_duration_seconds_bucket", q.BucketMetric);
    }

    [Theory]
    [InlineData("percentile(last_5m):p100:m{*} > 1", "p100", "percentile p50, p75, p90, p95, p99 or pN with up to two decimals (p99.9), above p0 and below p100")]
    [InlineData("percentile(last_5m):p0:m{*} > 1", "p0", "percentile p50, p75, p90, p95, p99 or pN with up to two decimals (p99.9), above p0 and below p100")]
    [InlineData("percentile(last_5m):p99.999:m{*} > 1", "p99.999", "percentile p50, p75, p90, p95, p99 or pN with up to two decimals (p99.9), above p0 and below p100")]
    [InlineData("percentile(last_5m):p999:m{*} > 1", "p999", "percentile p50, p75, p90, p95, p99 or pN with up to two decimals (p99.9), above p0 and below p100")]
    [InlineData("percentile(last_5m):avg:m{*} > 1", "avg", "percentile p50, p75, p90, p95, p99 or pN with up to two decimals (p99.9), above p0 and below p100")]
    [InlineData("percentile(current_1h):p99:m{*} > 1", "current_1h", "a window such as last_5m (calendar windows are not supported for percentiles)")]
    [InlineData("percentile(last_5m):p99:m{*} by {host,le} > 1", "le}", "group-by tags other than le (the bucket bound the percentile is computed over)")]
    [InlineData("percentile(last_5m):p99:m{*} by {sale, le } > 1", "le ", "group-by tags other than le (the bucket bound the percentile is computed over)")]
    [InlineData("percentile(last_5m):p99:m{*} by {bin_le,host} > 1", "bin_le,", "group-by tags other than bin_le (the bin bound the percentile is computed over)")]
    [InlineData("percentile(last_5m):p99:m{*}.as_count() > 1", ".as_count", "'by' or comparator (.as_count(), .as_rate(), .rollup() and .fill() do not apply to percentiles)")]
    [InlineData("percentile(last_5m):p99:m{*} by {host}.rollup(max) > 1", ".rollup", "comparator (.as_count(), .as_rate(), .rollup() and .fill() do not apply to percentiles)")]
    [InlineData("avg(last_5m):p99:m{*} > 1", "p99", "a space aggregation (avg, sum, min, max); write a percentile as percentile(last_5m):p99:metric{…} > threshold, outside formulas")]
    [InlineData("sum(last_5m):sum:a{*} / p99:b{*} > 1", "p99", "a space aggregation (avg, sum, min, max); write a percentile as percentile(last_5m):p99:metric{…} > threshold, outside formulas")]
    [InlineData("percentile(last_5m):p99:m{*} / sum:b{*} > 1", "/", "comparator")]
    [InlineData("percentile(last_5m):p99:m{*} by {host} > 1 2", "2", "end of query")]
    public void Percentile_errors_say_where_and_what_was_expected(string text, string at, string expected)
    {
        Assert.False(QueryParser.TryParse(text, out _, out var error));

        Assert.Equal(expected, error.Expected);
        Assert.Equal(text.LastIndexOf(at, StringComparison.Ordinal), error.Position);
    }

    [Fact]
    public void The_ast_refuses_what_the_parser_refuses()
    {
        ImmutableArray<TagFilter> all = [TagFilter.Any];
        Assert.Throws<ArgumentOutOfRangeException>(() => new PercentileQuery(300_000, 0, "m", all, [], Comparator.Greater, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PercentileQuery(300_000, PercentileQuery.HundredthsPerWhole, "m", all, [], Comparator.Greater, 1));
        Assert.Throws<ArgumentException>(() => new PercentileQuery(300_000, 9_900, "m", all, ["host", "le"], Comparator.Greater, 1));
        Assert.Throws<ArgumentException>(() => new PercentileQuery(300_000, 9_900, "m", all, ["bin_le"], Comparator.Greater, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PercentileQuery(300_500, 9_900, "m", all, [], Comparator.Greater, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PercentileQuery(300_000, 9_900, "m", all, [], Comparator.Greater, double.NaN));
    }
}
