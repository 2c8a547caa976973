using Alerting.Cli.Files;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Cli.Tests.Files;

/// <summary>The translation table of Prometheus alert expressions into monitor queries, and the reasons for the rest.</summary>
public sealed class PromQlTranslatorTests
{
    [Theory]
    // Window functions become the time aggregation; per-series rules aggregate with max for > and min for <.
    [InlineData("avg_over_time(cpu[5m]) > 90", "avg(last_5m):max:cpu{*} > 90")]
    [InlineData("max_over_time(cpu[90s]) >= 90", "max(last_90s):max:cpu{*} >= 90")]
    [InlineData("min_over_time(free_bytes[1h]) < 1e9", "min(last_1h):min:free_bytes{*} < 1000000000")]
    [InlineData("sum_over_time(errors[1h30m]) > 5", "sum(last_90m):max:errors{*} > 5")]
    [InlineData("count_over_time(heartbeat[10m]) <= 2", "count(last_10m):min:heartbeat{*} <= 2")]
    // A bare selector is the latest point within the 5 minute lookback.
    [InlineData("node_load1 > 8", "last(last_5m):max:node_load1{*} > 8")]
    [InlineData("(node_load1) > -0.5", "last(last_5m):max:node_load1{*} > -0.5")]
    // A number on the left flips the comparison.
    [InlineData("50 < errors", "last(last_5m):max:errors{*} > 50")]
    [InlineData("50 >= errors", "last(last_5m):min:errors{*} <= 50")]
    // Matchers.
    [InlineData("cpu{host=\"web-1\", env!=\"dev\"} > 1", "last(last_5m):max:cpu{host:web-1,!env:dev} > 1")]
    [InlineData("cpu{env=~\"prod.*\"} > 1", "last(last_5m):max:cpu{env:prod*} > 1")]
    [InlineData("cpu{env=~\"prod\"} > 1", "last(last_5m):max:cpu{env:prod} > 1")]
    [InlineData("cpu{host=~\"web\\\\.1\"} > 1", "last(last_5m):max:cpu{host:web.1} > 1")]
    [InlineData("cpu{env!~\"dev\"} > 1", "last(last_5m):max:cpu{!env:dev} > 1")]
    [InlineData("cpu{env=~\".+\"} > 1", "last(last_5m):max:cpu{env} > 1")]
    [InlineData("cpu{env!=\"\"} > 1", "last(last_5m):max:cpu{env} > 1")]
    [InlineData("cpu{env=~\".*\"} > 1", "last(last_5m):max:cpu{*} > 1")]
    [InlineData("{__name__=\"cpu\", host='a'} > 1", "last(last_5m):max:cpu{host:a} > 1")]
    // Aggregation operators become the space aggregation and its group-by, in either position.
    [InlineData("sum by (service) (sum_over_time(errors{service=\"api\"}[1m])) > 50", "sum(last_1m):sum:errors{service:api} by {service} > 50")]
    [InlineData("avg(avg_over_time(cpu[5m])) by (host, env) > 90", "avg(last_5m):avg:cpu{*} by {host,env} > 90")]
    [InlineData("min(cpu) < 3", "last(last_5m):min:cpu{*} < 3")]
    [InlineData("max by () (cpu) > 3", "last(last_5m):max:cpu{*} > 3")]
    // Windows up to a week, as monitor queries take them.
    [InlineData("avg_over_time(cpu[3d]) > 1", "avg(last_72h):max:cpu{*} > 1")]
    [InlineData("avg_over_time(cpu[7d]) > 1", "avg(last_1w):max:cpu{*} > 1")]
    public void Single_metric_thresholds_translate(string expr, string expected)
    {
        Assert.True(PromQlTranslator.TryTranslate(expr, [], out PromQlTranslator.Translation? translation, out string reason), reason);

        Assert.Equal(expected, translation!.Query);
        MonitorQuery parsed = QueryParser.Parse(translation.Query);
        Assert.IsType<MetricQuery>(parsed);
    }

    [Fact]
    public void A_per_series_rule_groups_by_the_labels_its_templates_name()
    {
        Assert.True(PromQlTranslator.TryTranslate("disk_used{env=\"prod\"} > 0.9", ["instance", "device", "instance", "__bad"], out PromQlTranslator.Translation? translation, out string reason), reason);

        Assert.Equal("last(last_5m):max:disk_used{env:prod} by {device,instance} > 0.9", translation!.Query);
        Assert.Equal(0.9, translation.Threshold);
    }

    [Fact]
    public void An_aggregation_keeps_its_own_grouping_whatever_the_templates_name()
    {
        Assert.True(PromQlTranslator.TryTranslate("sum(errors) > 1", ["instance"], out PromQlTranslator.Translation? translation, out string reason), reason);

        Assert.Equal("last(last_5m):sum:errors{*} > 1", translation!.Query);
    }

    [Theory]
    [InlineData("rate(http_requests[5m]) > 10", "function rate() has no monitor equivalent")]
    [InlineData("sum(rate(errors[5m])) / sum(rate(requests[5m])) > 0.05", "function rate() has no monitor equivalent")]
    [InlineData("errors / requests > 0.05", "arithmetic ('/' at column 8)")]
    [InlineData("up == 0", "comparison '==' has no threshold equivalent")]
    [InlineData("up != 1", "comparison '!=' has no threshold equivalent")]
    [InlineData("cpu > bool 90", "'bool' modifier")]
    [InlineData("cpu > other_metric", "the threshold must be a number")]
    [InlineData("cpu > 90 and mem > 90", "set operator 'and'")]
    [InlineData("cpu", "expected a comparison")]
    [InlineData("count by (job) (up) > 1", "aggregation 'count' has no space aggregation equivalent")]
    [InlineData("sum without (instance) (cpu) > 1", "'without' grouping")]
    [InlineData("cpu offset 5m > 1", "'offset' modifier")]
    [InlineData("avg_over_time(cpu[5m] offset 1h) > 1", "'offset' modifier")]
    [InlineData("max_over_time(rate(x[1m])[5m:1m]) > 1", "function rate()")]
    [InlineData("avg_over_time(cpu[500ms]) > 1", "whole seconds from 1s to 1w")]
    [InlineData("avg_over_time(cpu[8d]) > 1", "whole seconds from 1s to 1w")]
    [InlineData("job:requests:rate5m > 1", "metric name 'job:requests:rate5m'")]
    [InlineData("cpu{env=\"\"} > 1", "(label absent) has no scope equivalent")]
    [InlineData("cpu{env=~\"prod|staging\"} > 1", "not this regex")]
    [InlineData("cpu{env!~\"dev.*\"} > 1", "a negated scope filter takes one value")]
    [InlineData("cpu{path=\"/a b\"} > 1", "characters a scope value cannot hold")]
    [InlineData("cpu{__meta=\"x\"} > 1", "internal label '__meta'")]
    [InlineData("cpu > 1 + 2", "arithmetic in the threshold")]
    [InlineData("absent(up{job=\"x\"})", "function absent()")]
    [InlineData("cpu{host=\"a} > 1", "unterminated string")]
    public void Other_expressions_are_refused_with_the_reason(string expr, string reason)
    {
        Assert.False(PromQlTranslator.TryTranslate(expr, [], out PromQlTranslator.Translation? translation, out string actual));

        Assert.Null(translation);
        Assert.Contains(reason, actual, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("500ms", 500)]
    [InlineData("1w", 604_800_000)]
    [InlineData("90s", 90_000)]
    public void Prometheus_durations_read_as_milliseconds(string text, long expected)
    {
        Assert.True(PromQlTranslator.TryParseDurationMs(text, out long ms));
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("m")]
    [InlineData("5x")]
    [InlineData("1.5h")]
    public void Malformed_durations_are_refused(string text)
    {
        Assert.False(PromQlTranslator.TryParseDurationMs(text, out _));
    }
}
