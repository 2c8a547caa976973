using System.Globalization;
using System.Text;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;

namespace Alerting.Engine.Tests.Monitors.Templates;

public sealed class MessageTemplateRenderTests
{
    // 2024-05-01T12:34:56.789Z
    private const long EventTimeMs = 1_714_566_896_789;

    private static TemplateContext Context(
        AlertState state = AlertState.Alert,
        AlertState previous = AlertState.Ok,
        double value = 92.5,
        double threshold = 90,
        double? warning = 80,
        bool renotify = false,
        bool muted = false,
        string[]? tags = null) => new()
        {
            MonitorId = "mon-1",
            MonitorName = "CPU high",
            GroupKey = "host:a,env:prod",
            GroupTags = tags ?? ["host:a", "env:prod"],
            Value = value,
            Threshold = threshold,
            WarningThreshold = warning,
            State = state,
            PreviousState = previous,
            IsRenotify = renotify,
            IsMuted = muted,
            TimeMs = EventTimeMs,
        };

    private static string Render(string template, in TemplateContext context) => MessageTemplate.Parse(template).Render(context);

    [Theory]
    [InlineData("{{value}}", "92.5")]
    [InlineData("{{threshold}}", "90")]
    [InlineData("{{warn_threshold}}", "80")]
    [InlineData("{{state}}", "ALERT")]
    [InlineData("{{previous_state}}", "OK")]
    [InlineData("{{monitor.name}}", "CPU high")]
    [InlineData("{{monitor.id}}", "mon-1")]
    [InlineData("{{group}}", "host:a,env:prod")]
    [InlineData("{{last_triggered_at}}", "2024-05-01T12:34:56.789Z")]
    [InlineData("{{last_triggered_at_epoch}}", "1714566896789")]
    [InlineData("{{host.name}}", "a")]
    [InlineData("{{env.name}}", "prod")]
    public void Each_variable_renders_its_part_of_the_context(string template, string expected) =>
        Assert.Equal(expected, Render(template, Context()));

    [Fact]
    public void Variables_sit_inside_literal_text_and_tolerate_spaces_inside_the_braces() =>
        Assert.Equal(
            "[ALERT] CPU high on a: 92.5 > 90",
            Render("[{{state}}] {{ monitor.name }} on {{\thost.name }}: {{value}} > {{threshold}}", Context()));

    [Theory]
    [InlineData(AlertState.Ok, "OK")]
    [InlineData(AlertState.Warn, "WARN")]
    [InlineData(AlertState.Alert, "ALERT")]
    [InlineData(AlertState.NoData, "NO_DATA")]
    public void States_render_with_Datadog_names(AlertState state, string expected)
    {
        Assert.Equal(expected, Render("{{state}}", Context(state: state)));
        Assert.Equal(expected, Render("{{previous_state}}", Context(previous: state)));
    }

    [Theory]
    [InlineData(0.1 + 0.2, "0.3")]
    [InlineData(1234567.0, "1234567")]
    [InlineData(-2.5e-7, "-2.5E-07")]
    [InlineData(1e20, "1E+20")]
    [InlineData(-0.0, "0")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(1.0 / 3, "0.333333333333333")]
    public void Values_render_with_invariant_culture_and_at_most_15_significant_digits(double value, string expected) =>
        Assert.Equal(expected, Render("{{value}}", Context(value: value)));

    [Fact]
    public void Missing_numbers_render_empty()
    {
        TemplateContext context = Context(value: double.NaN, threshold: double.NaN, warning: null);
        Assert.Equal("v= t= w=", Render("v={{value}} t={{threshold}} w={{warn_threshold}}", context));
    }

    [Fact]
    public void Rendering_ignores_the_current_culture()
    {
        CultureInfo before = CultureInfo.CurrentCulture;
        try
        {
            // The build runs with invariant globalization, so a comma-decimal culture is made by hand.
            var commaDecimal = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            commaDecimal.NumberFormat.NumberDecimalSeparator = ",";
            CultureInfo.CurrentCulture = commaDecimal;
            Assert.Equal("92.5", Render("{{value}}", Context()));
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void A_tag_the_group_lacks_renders_empty() =>
        Assert.Equal("dc=", Render("dc={{datacenter.name}}", Context()));

    [Fact]
    public void A_tag_value_keeps_its_colons_and_the_first_tag_with_the_key_wins() =>
        Assert.Equal("http://x:80/y", Render("{{url.name}}", Context(tags: ["urlx:no", "url:http://x:80/y", "url:second"])));

    [Fact]
    public void Tag_keys_may_contain_dots_slashes_and_dashes_and_only_the_last_name_is_the_suffix() =>
        Assert.Equal(
            "ns|a",
            Render("{{kube.namespace.name}}|{{team/sub-x.name}}", Context(tags: ["kube.namespace:ns", "team/sub-x:a"])));

    [Fact]
    public void The_referenced_tag_keys_are_listed_once_in_order_of_first_use() =>
        Assert.Equal(["host", "env"], MessageTemplate.Parse("{{host.name}} {{env.name}} {{host.name}} {{monitor.name}}").TagKeys);

    [Theory]
    [InlineData(AlertState.Ok, AlertState.Alert, "is_alert", false)]
    [InlineData(AlertState.Alert, AlertState.Ok, "is_alert", true)]
    [InlineData(AlertState.Warn, AlertState.Ok, "is_warning", true)]
    [InlineData(AlertState.Alert, AlertState.Warn, "is_warning", false)]
    [InlineData(AlertState.NoData, AlertState.Alert, "is_no_data", true)]
    [InlineData(AlertState.Ok, AlertState.NoData, "is_no_data", false)]
    [InlineData(AlertState.Ok, AlertState.Alert, "is_recovery", true)]
    [InlineData(AlertState.Ok, AlertState.Warn, "is_recovery", true)]
    [InlineData(AlertState.Ok, AlertState.NoData, "is_recovery", true)]
    [InlineData(AlertState.Ok, AlertState.Ok, "is_recovery", false)]
    [InlineData(AlertState.Warn, AlertState.Alert, "is_recovery", false)]
    [InlineData(AlertState.Ok, AlertState.Alert, "is_alert_recovery", true)]
    [InlineData(AlertState.Ok, AlertState.Warn, "is_alert_recovery", false)]
    [InlineData(AlertState.Ok, AlertState.Warn, "is_warning_recovery", true)]
    [InlineData(AlertState.Ok, AlertState.Alert, "is_warning_recovery", false)]
    [InlineData(AlertState.Warn, AlertState.Alert, "is_alert_to_warning", true)]
    [InlineData(AlertState.Warn, AlertState.Ok, "is_alert_to_warning", false)]
    [InlineData(AlertState.Ok, AlertState.NoData, "is_no_data_recovery", true)]
    [InlineData(AlertState.Alert, AlertState.NoData, "is_no_data_recovery", true)]
    [InlineData(AlertState.NoData, AlertState.NoData, "is_no_data_recovery", false)]
    public void A_state_section_renders_its_body_exactly_when_its_transition_holds_and_negation_inverts_it(
        AlertState state, AlertState previous, string section, bool holds)
    {
        TemplateContext context = Context(state: state, previous: previous);
        Assert.Equal(holds ? "<yes>" : "<>", Render($"<{{{{#{section}}}}}yes{{{{/{section}}}}}>", context));
        Assert.Equal(holds ? "<>" : "<no>", Render($"<{{{{^{section}}}}}no{{{{/{section}}}}}>", context));
    }

    [Theory]
    [InlineData(false, false, "")]
    [InlineData(true, false, "R")]
    [InlineData(false, true, "M")]
    [InlineData(true, true, "RM")]
    public void Renotify_and_muted_sections_follow_the_flags(bool renotify, bool muted, string expected) =>
        Assert.Equal(expected, Render("{{#is_renotify}}R{{/is_renotify}}{{#is_muted}}M{{/is_muted}}", Context(renotify: renotify, muted: muted)));

    [Fact]
    public void Nested_sections_render_only_when_every_enclosing_condition_holds()
    {
        const string Template = "{{#is_alert}}A{{#is_renotify}}[again]{{/is_renotify}}{{^is_muted}}!{{/is_muted}}{{/is_alert}}.";
        Assert.Equal("A[again]!.", Render(Template, Context(renotify: true)));
        Assert.Equal("A.", Render(Template, Context(muted: true)));
        Assert.Equal(".", Render(Template, Context(state: AlertState.Warn, renotify: true)));
    }

    [Fact]
    public void A_section_may_be_reopened_after_it_closes_and_in_its_own_negation() =>
        Assert.Equal(
            "a-a",
            Render("{{#is_alert}}a{{/is_alert}}{{^is_alert}}x{{#is_alert}}never{{/is_alert}}{{/is_alert}}-{{#is_alert}}a{{/is_alert}}", Context()));

    [Fact]
    public void A_realistic_Datadog_message_renders_for_alert_and_recovery()
    {
        var template = MessageTemplate.Parse(
            "{{#is_alert}}CPU on {{host.name}} is {{value}}% (threshold {{threshold}}%){{/is_alert}}" +
            "{{#is_recovery}}CPU on {{host.name}} recovered: {{value}}%{{/is_recovery}} @slack-ops");
        Assert.Equal("CPU on a is 92.5% (threshold 90%) @slack-ops", template.Render(Context()));
        Assert.Equal("CPU on a recovered: 42% @slack-ops", template.Render(Context(state: AlertState.Ok, previous: AlertState.Alert, value: 42)));
    }

    [Theory]
    [InlineData("{x} {a}}b} } { {", "{x} {a}}b} } { {")]
    [InlineData("}}", "}}")]
    [InlineData("{{value}}}", "92.5}")]
    [InlineData("{{{{raw}}}}{{ host.name }}{{{{/raw}}}}", "{{ host.name }}")]
    [InlineData("a{{{{raw}}}}{{#x}}{{{{/raw}}}}b {{{{raw}}}}{{{{/raw}}}}c", "a{{#x}}b c")]
    [InlineData("{ {value} }", "{ {value} }")]
    public void Braces_that_do_not_open_a_tag_and_raw_blocks_render_literally(string template, string expected) =>
        Assert.Equal(expected, Render(template, Context()));

    [Fact]
    public void Plain_text_and_the_empty_template_render_unchanged()
    {
        Assert.Equal(string.Empty, Render(string.Empty, Context()));
        Assert.Equal("line 1\nline 2 é 😀", Render("line 1\nline 2 é 😀", Context()));
    }

    [Fact]
    public void Rendering_twice_gives_the_same_text_and_RenderTo_appends()
    {
        var template = MessageTemplate.Parse("{{state}} {{value}}");
        TemplateContext context = Context();
        Assert.Equal(template.Render(context), template.Render(context));
        var output = new StringBuilder("> ");
        template.RenderTo(context, output);
        Assert.Equal("> ALERT 92.5", output.ToString());
    }

    [Fact]
    public void RenderTo_allocates_nothing_once_the_builder_has_room()
    {
        var template = MessageTemplate.Parse(
            "{{#is_alert}}{{monitor.name}} {{host.name}} {{value}} > {{threshold}} at {{last_triggered_at}} ({{last_triggered_at_epoch}}){{/is_alert}}{{^is_alert}}x{{/is_alert}}");
        TemplateContext context = Context(value: 0.1 + 0.2);
        var output = new StringBuilder(1024);
        template.RenderTo(context, output);
        output.Clear();

        // Least of a few attempts: a one-off runtime allocation (tiering, OSR) under load is not the work's.
        Assert.Equal(0, AllocationProbe.SteadyBytes(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                output.Clear();
                template.RenderTo(context, output);
            }
        }));
        Assert.Equal("CPU high a 0.3 > 90 at 2024-05-01T12:34:56.789Z (1714566896789)", output.ToString());
    }

    [Fact]
    public void An_event_time_outside_the_calendar_is_refused_as_a_bug_not_rendered()
    {
        var template = MessageTemplate.Parse("{{last_triggered_at}}");
        Assert.Throws<ArgumentOutOfRangeException>(() => template.Render(Context() with { TimeMs = long.MaxValue }));
    }
}
