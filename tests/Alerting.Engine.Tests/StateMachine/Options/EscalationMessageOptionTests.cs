using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// <c>escalation_message</c>: rendered before the message of each renotification (Datadog sends it "any time the
/// monitor renotifies; the original message is also included"), never with the first alert or the recovery.
/// The messages are read from the transition history, as the notification outbox reads them.
/// </summary>
public sealed class EscalationMessageOptionTests
{
    private const string Last = "last(last_1m):avg:q{*} by {host} > 90";

    private static List<TransitionHistory.HistoryItem> Messages(Scenario s)
    {
        var items = new List<TransitionHistory.HistoryItem>();
        _ = s.Engine.State.History.CopyFrom(0, items, int.MaxValue, out _);
        return items;
    }

    [Fact]
    public void A_renotification_carries_the_escalation_message_then_the_message()
    {
        var monitor = EngineHarness.Metric("m", Last, o =>
        {
            o.EvaluationIntervalMs = Scenario.DefaultTestIntervalMs;
            o.RenotifyIntervalMs = 30_000;
            o.RenotifyOccurrences = 1;
            o.EscalationMessage = "Still {{state}} on {{host.name}} @pager";
        }, priority: 1);
        monitor.Message = "{{host.name}} is {{value}} ({{comparator}} is bad){{#is_priority \"P1\"}} (P1){{/is_priority}}";
        var s = new Scenario(monitor);
        s.Step(95, "host:a");
        s.Hold(95, s.Now + Scenario.Minute, "host:a");
        s.Step(50, "host:a");

        var items = Messages(s);
        Assert.Equal(
            [TransitionReason.ThresholdCrossed, TransitionReason.Renotify, TransitionReason.Recovered],
            items.Select(i => i.Event.Reason));
        Assert.Equal("a is 95 (> is bad) (P1)", items[0].Message);
        Assert.Equal("Still ALERT on a @pager\n\na is 95 (> is bad) (P1)", items[1].Message);
        Assert.Equal("a is 50 (> is bad) (P1)", items[2].Message);
    }

    [Fact]
    public void Without_an_escalation_message_a_renotification_renders_the_message_alone()
    {
        var monitor = EngineHarness.Metric("m", Last, o =>
        {
            o.EvaluationIntervalMs = Scenario.DefaultTestIntervalMs;
            o.RenotifyIntervalMs = 30_000;
        });
        monitor.Message = "{{host.name}} {{#is_renotify}}again{{/is_renotify}}";
        var s = new Scenario(monitor);
        s.Step(95, "host:a");
        s.Hold(95, s.Now + 30_000, "host:a");

        var items = Messages(s);
        Assert.True(items[^1].Event.IsRenotification);
        Assert.Equal("a ", items[0].Message);
        Assert.Equal("a again", items[^1].Message);
    }

    [Fact]
    public void A_renotification_renders_the_monitors_threshold_though_no_threshold_decided_it()
    {
        var monitor = EngineHarness.Metric("m", Last, o =>
        {
            o.EvaluationIntervalMs = Scenario.DefaultTestIntervalMs;
            o.RenotifyIntervalMs = 30_000;
        });
        monitor.Message = "{{value}} {{comparator}} {{threshold}}";
        var s = new Scenario(monitor);
        s.Step(95, "host:a");
        s.Hold(95, s.Now + 30_000, "host:a");

        var items = Messages(s);
        Assert.True(items[^1].Event.IsRenotification);
        Assert.Equal("95 > 90", items[0].Message);
        Assert.Equal("95 > 90", items[^1].Message);
    }

    [Theory]
    [InlineData("{{#is_alert}}unclosed", "options.escalation_message", "unclosed section 'is_alert' opened at column 1")]
    [InlineData("esc {{eval \"value*\"}}", "options.escalation_message", "eval expression ends where a number, variable or '(' was expected at column 19")]
    public void A_bad_escalation_message_is_refused_naming_the_field_and_column(string text, string field, string problem)
    {
        var monitor = EngineHarness.Metric("m", Last, o => o.EscalationMessage = text);
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(monitor));
        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_message_names_the_message_field_and_column()
    {
        var monitor = EngineHarness.Metric("m", Last);
        monitor.Message = "CPU {{eval \"vaule\"}}";
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(monitor));
        Assert.Equal("message", error.Field);
        Assert.Contains("unknown eval variable 'vaule' at column 13", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_escalation_message_longer_than_a_message_is_refused()
    {
        var monitor = EngineHarness.Metric("m", Last, o => o.EscalationMessage = new string('x', MonitorCompiler.MaxMessageLength + 1));
        Assert.Equal(MonitorCompiler.EscalationMessageField, Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(monitor)).Field);
    }
}
