using Alerting.Engine.Monitors;
using Alerting.Engine.Tests.StateMachine;

namespace Alerting.Engine.Tests.Monitors;

/// <summary>
/// Which combinations of modifiers with top(), anomalies() and the counter functions a monitor
/// may use: refused when it is created, naming <c>query</c>, or compiled.
/// </summary>
public sealed class ModifierCompileTests
{
    [Theory]
    [InlineData("avg(last_5m):top(sum:a{*} by {host}.as_count(), 10, 'mean', 'desc') > 1")]
    [InlineData("avg(last_5m):top(sum:a{*} by {host}.as_rate(), 10, 'max', 'desc') > 1")]
    [InlineData("max(last_1h):top(sum:a{*} by {host}.rollup(sum, 300) / sum:b{*} by {host}.rollup(sum, 300), 5, 'area', 'asc') > 1")]
    [InlineData("min(last_15m):top(avg:a{*} by {host}.fill(last, 120), 25, 'last', 'desc') < 1")]
    [InlineData("avg(last_4h):anomalies(avg:a{*} by {host}.rollup(max, 60), 'basic', 2, alert_window='last_15m') >= 1")]
    [InlineData("sum(last_1h):anomalies(sum:a{*}.fill(zero) / sum:b{*}, 'basic', 3, alert_window='last_15m') >= 0.5")]
    [InlineData("sum(last_4h):anomalies(sum:a{*} by {host}.as_count(), 'basic', 2, alert_window='last_1h', count_default_zero='true') >= 1")]
    [InlineData("avg(last_1h):anomalies(sum:a{*}.as_rate(), 'basic', 2, alert_window='last_15m', interval=60) >= 1")]
    [InlineData("avg(last_1h):anomalies(per_second(sum:a{*}.as_count()), 'basic', 2, alert_window='last_15m') >= 1")]
    [InlineData("avg(last_5m):top(sum:a{*} by {host}, 10, 'mean', 'desc') > 1")]
    [InlineData("sum(last_5m):sum:a{*}.as_count() / sum:b{*}.as_count() > 0.05")]
    public void Top_and_anomalies_over_queries_with_modifiers_compile(string query) =>
        MonitorCompiler.Validate(EngineHarness.Metric("m", query));

    [Theory]
    // last_1h reads 1 min buckets, and only whole intervals make points: at least ⌊(W + 1) / row⌋ − 1
    // of them, as the window's edges may cut two. 15 min intervals leave 3 points, 20 min ones 2;
    // the 15 min alert window takes 1.
    [InlineData("avg(last_1h):anomalies(avg:a{*}.rollup(avg, 900), 'basic', 2, alert_window='last_15m') >= 1", true)]
    [InlineData("avg(last_1h):anomalies(avg:a{*}.rollup(avg, 1200), 'basic', 2, alert_window='last_15m') >= 1", false)]
    // 11 whole 5 min intervals, three (or four) to a point with interval=900 (1200): 3 (2) points, the alert window takes 1.
    [InlineData("avg(last_1h):anomalies(avg:a{*}.rollup(avg, 300), 'basic', 2, alert_window='last_15m', interval=900) >= 1", true)]
    [InlineData("avg(last_1h):anomalies(avg:a{*}.rollup(avg, 300), 'basic', 2, alert_window='last_15m', interval=1200) >= 1", false)]
    public void The_anomaly_history_is_counted_in_rollup_intervals(string query, bool compiles)
    {
        var validate = () => MonitorCompiler.Validate(EngineHarness.Metric("m", query));
        if (compiles)
        {
            validate();
            return;
        }

        var error = Assert.Throws<MonitorValidationException>(validate);
        Assert.Equal("query", error.Field);
        Assert.StartsWith("anomalies() over last_1h reads 2 points of 1200 s and the alert_window takes 1", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sum(last_5m):per_second(sum:a{*}.as_count()) > 1")]
    [InlineData("sum(last_5m):diff(sum:a{*}.as_count()) / sum:b{*}.as_count() > 1")]
    [InlineData("sum(last_5m):per_minute(sum:a{*}) / sum:b{*}.as_count() > 1")]
    public void Per_second_per_minute_and_diff_in_an_as_count_formula_are_refused_naming_query(string query)
    {
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(EngineHarness.Metric("m", query)));

        Assert.Equal("query", error.Field);
        Assert.StartsWith("with .as_count() the formula runs once", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sum(last_5m):per_second(sum:a{*}) > 1")]
    [InlineData("sum(last_5m):diff(sum:a{*}.as_rate()) > 1")]
    public void Per_second_and_diff_without_as_count_compile(string query) =>
        MonitorCompiler.Validate(EngineHarness.Metric("m", query));
}
