using Alerting.Engine.Monitors;
using Alerting.Engine.Tests.StateMachine;

namespace Alerting.Engine.Tests.Monitors;

/// <summary>
/// top() and anomalies() read the formula per bucket, so their metric queries cannot carry
/// modifiers yet: such a monitor is refused when it is created, naming <c>query</c>.
/// </summary>
public sealed class ModifierCompileTests
{
    [Theory]
    [InlineData("avg(last_5m):top(sum:a{*} by {host}.as_count(), 10, 'mean', 'desc') > 1", "top()")]
    [InlineData("avg(last_4h):anomalies(avg:a{*} by {host}.rollup(max, 60), 'basic', 2, alert_window='last_15m') >= 1", "anomalies()")]
    [InlineData("sum(last_1h):anomalies(sum:a{*}.fill(zero) / sum:b{*}, 'basic', 3, alert_window='last_15m') >= 0.5", "anomalies()")]
    public void Top_and_anomalies_over_queries_with_modifiers_are_refused_naming_query(string query, string function)
    {
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(EngineHarness.Metric("m", query)));

        Assert.Equal("query", error.Field);
        Assert.StartsWith($"{function} reads the formula per bucket", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("avg(last_5m):top(sum:a{*} by {host}, 10, 'mean', 'desc') > 1")]
    [InlineData("avg(last_4h):anomalies(avg:a{*} by {host}, 'basic', 2, alert_window='last_15m') >= 1")]
    [InlineData("sum(last_5m):sum:a{*}.as_count() / sum:b{*}.as_count() > 0.05")]
    public void The_same_queries_without_modifiers_or_without_top_and_anomalies_compile(string query) =>
        MonitorCompiler.Validate(EngineHarness.Metric("m", query));

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
