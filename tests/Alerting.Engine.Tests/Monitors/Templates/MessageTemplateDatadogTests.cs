using System.Globalization;
using System.Text;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;

namespace Alerting.Engine.Tests.Monitors.Templates;

/// <summary>
/// The Datadog variables and conditionals beyond the state ones: <c>{{comparator}}</c>, <c>{{ok_threshold}}</c>,
/// <c>is_match</c>, <c>is_exact_match</c>, <c>is_priority</c>, <c>is_unknown</c>, <c>{{local_time}}</c>, <c>{{eval}}</c>.
/// </summary>
public sealed class MessageTemplateDatadogTests
{
    // 2024-05-01T12:34:56.789Z: CEST in Paris (+02:00), EDT in New York (-04:00).
    private const long EventTimeMs = 1_714_566_896_789;

    private static TemplateContext Context(
        AlertState state = AlertState.Alert,
        double value = 0.925,
        string? comparator = ">",
        double? okThreshold = 0.8,
        int priority = 2,
        bool isCheck = false,
        string[]? tags = null,
        long timeMs = EventTimeMs) => new()
        {
            MonitorId = "mon-1",
            MonitorName = "CPU high",
            GroupKey = "host:web-prod-3,env:prod",
            GroupTags = tags ?? ["host:web-prod-3", "env:prod"],
            Value = value,
            Threshold = 0.9,
            WarningThreshold = 0.85,
            OkThreshold = okThreshold,
            Comparator = comparator,
            Priority = priority,
            IsCheck = isCheck,
            State = state,
            PreviousState = AlertState.Ok,
            TimeMs = timeMs,
        };

    private static string Render(string template, in TemplateContext context) => MessageTemplate.Parse(template).Render(context);

    private static TemplateParseError Reject(string text)
    {
        Assert.False(MessageTemplate.TryParse(text, out _, out TemplateParseError? error));
        Assert.Equal(error, Assert.Throws<TemplateParseException>(() => MessageTemplate.Parse(text)).Error);
        return error;
    }

    [Fact]
    public void Comparator_and_ok_threshold_render_the_monitors_condition() =>
        Assert.Equal("0.925 > 0.9, recovers below 0.8", Render("{{value}} {{comparator}} {{threshold}}, recovers below {{ok_threshold}}", Context()));

    [Fact]
    public void Without_a_comparator_or_recovery_threshold_they_render_empty() =>
        Assert.Equal("[][]", Render("[{{comparator}}][{{ ok_threshold }}]", Context(comparator: null, okThreshold: null)));

    [Theory]
    [InlineData("{{#is_match \"host.name\" \"prod\"}}yes{{/is_match}}", "yes")]
    [InlineData("{{#is_match \"host.name\" \"staging\"}}yes{{/is_match}}", "")]
    [InlineData("{{#is_match \"host.name\" \"staging\" \"web\"}}any{{/is_match}}", "any")]
    [InlineData("{{#is_match 'host.name' 'web-*-3'}}glob{{/is_match}}", "glob")]
    [InlineData("{{#is_match \"host.name\" \"web*4\"}}glob{{/is_match}}", "")]
    [InlineData("{{#is_match \"host.name\" \"PROD\"}}case{{/is_match}}", "")]
    [InlineData("{{^is_match \"host.name\" \"staging\"}}not staging{{/is_match}}", "not staging")]
    [InlineData("{{#is_match \"region.name\" \"eu\"}}missing tag{{/is_match}}", "")]
    [InlineData("{{#is_match \"state\" \"ALE\"}}state{{/is_match}}", "state")]
    [InlineData("{{#is_match \"value\" \"0.92\"}}number as text{{/is_match}}", "number as text")]
    public void Is_match_tests_for_a_substring_or_glob_of_the_subjects_text(string template, string expected) =>
        Assert.Equal(expected, Render(template, Context()));

    [Theory]
    [InlineData("{{#is_exact_match \"env.name\" \"prod\"}}yes{{/is_exact_match}}", "yes")]
    [InlineData("{{#is_exact_match \"env.name\" \"pro\"}}yes{{/is_exact_match}}", "")]
    [InlineData("{{#is_exact_match \"env.name\" \"staging\" \"prod\"}}any{{/is_exact_match}}", "any")]
    [InlineData("{{^is_exact_match \"env.name\" \"prod\"}}no{{/is_exact_match}}", "")]
    [InlineData("{{#is_exact_match \"value\" \"0.9250\"}}same number{{/is_exact_match}}", "same number")]
    [InlineData("{{#is_exact_match \"env.name\" \"prod*\"}}no glob{{/is_exact_match}}", "")]
    public void Is_exact_match_tests_equality_and_numbers_by_value(string template, string expected) =>
        Assert.Equal(expected, Render(template, Context()));

    [Fact]
    public void Is_exact_match_on_an_eval_routes_by_hour_as_datadogs_example_does()
    {
        const string template = "{{#is_exact_match (eval \"int(last_triggered_at_epoch / 3600000 % 24)\") \"8\" \"12\" \"13\"}}@day-team{{/is_exact_match}}";
        Assert.Equal("@day-team", Render(template, Context()));
        Assert.Equal(string.Empty, Render(template, Context(timeMs: EventTimeMs + (10 * 3_600_000))));
    }

    [Theory]
    [InlineData(2, "{{#is_priority \"P2\"}}page{{/is_priority}}", "page")]
    [InlineData(2, "{{#is_priority 'p2'}}page{{/is_priority}}", "page")]
    [InlineData(3, "{{#is_priority \"P2\"}}page{{/is_priority}}", "")]
    [InlineData(0, "{{#is_priority \"P3\"}}unset{{/is_priority}}", "")]
    [InlineData(1, "{{^is_priority \"P1\"}}low{{/is_priority}}", "")]
    public void Is_priority_tests_the_monitors_priority(int priority, string template, string expected) =>
        Assert.Equal(expected, Render(template, Context(priority: priority)));

    [Theory]
    [InlineData(true, AlertState.NoData, "unknown")]
    [InlineData(true, AlertState.Alert, "")]
    [InlineData(false, AlertState.NoData, "")]
    public void Is_unknown_holds_for_a_check_monitor_in_no_data(bool isCheck, AlertState state, string expected) =>
        Assert.Equal(expected, Render("{{#is_unknown}}unknown{{/is_unknown}}", Context(state: state, isCheck: isCheck)));

    [Theory]
    [InlineData("Europe/Paris", "2024-05-01T14:34:56.789+02:00")]
    [InlineData("America/New_York", "2024-05-01T08:34:56.789-04:00")]
    [InlineData("UTC", "2024-05-01T12:34:56.789+00:00")]
    [InlineData("Asia/Kolkata", "2024-05-01T18:04:56.789+05:30")]
    public void Local_time_converts_the_event_time_to_the_zone(string zone, string expected) =>
        Assert.Equal(expected, Render($"{{{{local_time \"last_triggered_at\" \"{zone}\"}}}}", Context()));

    [Fact]
    public void Local_time_follows_daylight_saving_by_the_event_time()
    {
        // 2024-01-15T12:00:00Z: winter, CET.
        var winter = Context(timeMs: 1_705_320_000_000);
        Assert.Equal("2024-01-15T13:00:00.000+01:00", Render("{{local_time 'last_triggered_at' 'Europe/Paris'}}", winter));
    }

    [Theory]
    [InlineData("{{eval \"value*100\"}}", "92.5")]
    [InlineData("{{eval \"round(value*100)\"}}%", "93%")]
    [InlineData("{{eval \"round(value * 100, 1)\"}}", "92.5")]
    [InlineData("{{eval \"last_triggered_at_epoch-15*60*1000\"}}", "1714565996789")]
    [InlineData("{{eval \"2^10 % 1000\"}}", "24")]
    [InlineData("{{eval \"-(threshold - warn_threshold) * 100\"}}", "-5")]
    [InlineData("{{eval \"2^3^2\"}}", "512")]
    [InlineData("{{eval \"max(value, ok_threshold) + min(1, 2) + abs(-1) + ceil(0.1) + floor(1.9) + trunc(-1.5)\"}}", "3.925")]
    [InlineData("{{eval \"1/0\"}}", "")]
    [InlineData("{{eval \"1.5e3 + .5\"}}", "1500.5")]
    public void Eval_computes_over_the_numeric_variables(string template, string expected) =>
        Assert.Equal(expected, Render(template, Context()));

    [Fact]
    public void Eval_of_a_variable_without_a_value_renders_empty() =>
        Assert.Equal("[]", Render("[{{eval \"value*100\"}}]", Context(value: double.NaN)));

    [Theory]
    [InlineData("{{eval \"vaule*100\"}}", 8, "unknown eval variable 'vaule'")]
    [InlineData("{{eval \"value*\"}}", 14, "eval expression ends where a number, variable or '(' was expected")]
    [InlineData("{{eval \"(value\"}}", 14, "unclosed '(' in eval expression")]
    [InlineData("{{eval \"value 2\"}}", 14, "unexpected '2' in eval expression")]
    [InlineData("{{eval \"sqr(value)\"}}", 8, "unknown eval function 'sqr'")]
    [InlineData("{{eval \"round(value, 1, 2)\"}}", 8, "eval function 'round' takes 1 or 2 arguments, was given 3")]
    [InlineData("{{eval \"value\" \"x\"}}", 2, "'eval' takes one quoted expression")]
    [InlineData("{{eval}}", 2, "'eval' takes one quoted expression")]
    [InlineData("{{eval \"1\"", 0, "unterminated tag")]
    [InlineData("{{eval \"1}}", 7, "unclosed string argument")]
    [InlineData("{{local_time \"last_triggered_at\" \"Mars/Olympus\"}}", 34, "unknown time zone \"Mars/Olympus\"")]
    [InlineData("{{local_time \"last_triggered_at\" \"../etc/passwd\"}}", 34, "unknown time zone")]
    [InlineData("{{local_time \"value\" \"UTC\"}}", 14, "local_time converts \"last_triggered_at\", not \"value\"")]
    [InlineData("{{local_time \"last_triggered_at\"}}", 2, "'local_time' takes a time and a time zone")]
    [InlineData("{{#is_match \"host.name\"}}x{{/is_match}}", 3, "'is_match' takes a variable and at least one string")]
    [InlineData("{{#is_match \"nothing here\" \"x\"}}x{{/is_match}}", 13, "is_match cannot read \"nothing here\"")]
    [InlineData("{{#is_match \"host.name\" (eval \"1\")}}x{{/is_match}}", 24, "is_match compares with quoted strings")]
    [InlineData("{{#is_priority \"P6\"}}x{{/is_priority}}", 15, "priority \"P6\" is not one of P1, P2, P3, P4, P5")]
    [InlineData("{{#is_alert \"x\"}}x{{/is_alert}}", 12, "section 'is_alert' takes no arguments")]
    [InlineData("{{value \"x\"}}", 8, "variable 'value' takes no arguments")]
    [InlineData("{{#is_match \"host.name\" \"a\"}}x{{/is_match \"a\"}}", 42, "closing tag '{{/is_match}}' takes no arguments")]
    [InlineData("{{#is_exact_match (val \"1\") \"1\"}}x{{/is_exact_match}}", 19, "expected 'eval' after '(' in a tag argument")]
    public void Errors_name_the_column_in_the_template(string text, int position, string problem)
    {
        TemplateParseError error = Reject(text);
        Assert.Equal(position, error.Position);
        Assert.StartsWith($"{problem}", error.Message, StringComparison.Ordinal);
        Assert.Contains($" at column {position + 1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_eval_expression_past_its_bounds_is_refused_rather_than_compiled()
    {
        Assert.Contains("nested deeper than", Reject($"{{{{eval \"{new string('(', 40)}1{new string(')', 40)}\"}}}}").Message, StringComparison.Ordinal);
        Assert.Contains("more than 64 operations", Reject($"{{{{eval \"{string.Join("+", Enumerable.Repeat("1", 40))}\"}}}}").Message, StringComparison.Ordinal);
        Assert.Contains("longer than 256 characters", Reject($"{{{{eval \"{new string(' ', 300)}1\"}}}}").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderTo_of_the_new_constructs_allocates_nothing_once_the_builder_has_room()
    {
        var template = MessageTemplate.Parse(
            "{{eval \"round(value*100, 1) + last_triggered_at_epoch % 1000\"}} {{comparator}} {{ok_threshold}} "
            + "{{local_time \"last_triggered_at\" \"Europe/Paris\"}}"
            + "{{#is_match \"host.name\" \"web-*-3\" \"db\"}} m{{/is_match}}{{#is_exact_match \"value\" \"0.925\"}} e{{/is_exact_match}}"
            + "{{#is_exact_match (eval \"int(value*10)\") \"9\"}} i{{/is_exact_match}}{{#is_priority \"P2\"}} p{{/is_priority}}{{^is_unknown}} k{{/is_unknown}}");
        TemplateContext context = Context();
        var output = new StringBuilder(1024);
        template.RenderTo(context, output);

        // Least of a few attempts: a one-off runtime allocation (tiering, OSR) under load is not the work's.
        Assert.Equal(0, AllocationProbe.SteadyBytes(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                output.Clear();
                template.RenderTo(context, output);
            }
        }));
        Assert.Equal("881.5 > 0.8 2024-05-01T14:34:56.789+02:00 m e i p k", output.ToString());
    }

    [Fact]
    public void A_match_subject_tag_counts_among_the_tag_keys_read() =>
        Assert.Equal(["region"], MessageTemplate.Parse("{{#is_match \"region.name\" \"eu\"}}x{{/is_match}}").TagKeys);

    [Fact]
    public void An_escalation_renders_before_the_message_separated_by_a_blank_line()
    {
        var escalation = MessageTemplate.Parse("Still {{state}} after renotify @pager");
        var message = MessageTemplate.Parse("{{host.name}} at {{eval \"value*100\"}}%");
        Assert.Equal("Still ALERT after renotify @pager\n\nweb-prod-3 at 92.5%", MessageTemplate.RenderEscalation(escalation, message, Context()));
    }

    [Fact]
    public void An_escalation_and_message_are_bounded_together()
    {
        var escalation = MessageTemplate.Parse(string.Concat(Enumerable.Repeat("{{group}}", 1_000)));
        var message = MessageTemplate.Parse("tail");
        string rendered = MessageTemplate.RenderEscalation(escalation, message, Context());
        Assert.True(Encoding.UTF8.GetByteCount(rendered) <= TemplateLimits.MaxRenderedBytes);
        Assert.Contains(TemplateLimits.TruncationMarkerPrefix, rendered, StringComparison.Ordinal);
        Assert.StartsWith("host:web-prod-3,env:prod", rendered, StringComparison.Ordinal);
    }

    /// <summary>
    /// Random expression trees written as eval text, rendered through the template, against the tree evaluated
    /// directly (the oracle): the same G15 text, or both empty. The seed is printed on failure.
    /// </summary>
    [Fact]
    public void Eval_agrees_with_a_direct_evaluation_of_random_expressions()
    {
        int seed = Environment.GetEnvironmentVariable("ALERTING_EVAL_SEED") is { } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : 1_234_567;
        var random = new Random(seed);
        var context = Context();
        for (int i = 0; i < 2_000; i++)
        {
            var expression = new StringBuilder();
            double expected = Generate(random, context, expression, depth: 0);
            string template = $"{{{{eval \"{expression}\"}}}}";
            string actual = MessageTemplate.Parse(template).Render(context);
            string oracle = double.IsFinite(expected) ? (expected == 0 ? 0 : expected).ToString(MessageTemplate.NumberFormat, CultureInfo.InvariantCulture) : string.Empty;
            Assert.True(oracle == actual, $"eval seed {seed} (ALERTING_EVAL_SEED), case {i}: {template} rendered '{actual}', the oracle says '{oracle}'");
        }
    }

    // Writes a fully parenthesized expression and returns its value, computed as C# computes it.
    private static double Generate(Random random, in TemplateContext context, StringBuilder text, int depth)
    {
        int choice = depth >= 4 ? random.Next(2) : random.Next(6);
        switch (choice)
        {
            case 0:
                double number = random.Next(0, 1000) / 10.0;
                text.Append(number.ToString(CultureInfo.InvariantCulture));
                return number;
            case 1:
                (string name, double value) = random.Next(4) switch
                {
                    0 => ("value", context.Value),
                    1 => ("threshold", context.Threshold),
                    2 => ("warn_threshold", context.WarningThreshold!.Value),
                    _ => ("ok_threshold", context.OkThreshold!.Value),
                };
                text.Append(name);
                return value;
            case 2:
                text.Append("-(");
                double negated = -Generate(random, context, text, depth + 1);
                text.Append(')');
                return negated;
            case 3:
                text.Append("abs(");
                double absolute = Math.Abs(Generate(random, context, text, depth + 1));
                text.Append(')');
                return absolute;
            default:
                char op = "+-*/%"[random.Next(5)];
                text.Append('(');
                double left = Generate(random, context, text, depth + 1);
                text.Append(' ').Append(op).Append(' ');
                double right = Generate(random, context, text, depth + 1);
                text.Append(')');
                return op switch
                {
                    '+' => left + right,
                    '-' => left - right,
                    '*' => left * right,
                    '/' => left / right,
                    _ => left % right,
                };
        }
    }
}
