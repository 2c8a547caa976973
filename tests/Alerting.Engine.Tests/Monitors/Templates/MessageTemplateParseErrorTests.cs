using Alerting.Engine.Monitors.Templates;

namespace Alerting.Engine.Tests.Monitors.Templates;

public sealed class MessageTemplateParseErrorTests
{
    private static TemplateParseError Reject(string text)
    {
        Assert.False(MessageTemplate.TryParse(text, out MessageTemplate? template, out TemplateParseError? error));
        Assert.Null(template);
        var thrown = Assert.Throws<TemplateParseException>(() => MessageTemplate.Parse(text));
        Assert.Equal(error, thrown.Error);
        Assert.Equal(error.Position, thrown.Position);
        Assert.Equal(error.Column, thrown.Column);
        Assert.Equal(error.Message, thrown.Message);
        return error;
    }

    [Fact]
    public void An_unknown_variable_is_named_with_the_column_of_its_name_and_the_variables_allowed()
    {
        TemplateParseError error = Reject("CPU is at {{vaule}}");
        Assert.Equal(12, error.Position);
        Assert.StartsWith("unknown variable 'vaule' at column 13; variables are ", error.Message, StringComparison.Ordinal);
        Assert.Contains("value", error.Message, StringComparison.Ordinal);
        Assert.Contains("<tag>.name", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{{host}}", 2, "unknown variable 'host'")]
    [InlineData("{{ .name }}", 3, "unexpected '.' in tag")]
    [InlineData("{{monitor.title}}", 2, "unknown variable 'monitor.title'")]
    [InlineData("{{#is_alrt}}x{{/is_alrt}}", 3, "unknown section 'is_alrt'")]
    [InlineData("{{#value}}x{{/value}}", 3, "'value' is a variable, not a section,")]
    [InlineData("{{^host.name}}x{{/host.name}}", 3, "'host.name' is a variable, not a section,")]
    [InlineData("{{is_alert}}", 2, "'is_alert' is a section, not a variable,")]
    public void A_name_in_the_wrong_place_is_reported_at_the_name(string text, int position, string problem)
    {
        TemplateParseError error = Reject(text);
        Assert.Equal(position, error.Position);
        Assert.StartsWith($"{problem} at column {position + 1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_section_is_reported_where_it_opens()
    {
        TemplateParseError error = Reject("  {{#is_alert}} CPU high");
        Assert.Equal(2, error.Position);
        Assert.Equal("unclosed section 'is_alert' opened at column 3; close it with '{{/is_alert}}'", error.Message);
    }

    [Fact]
    public void The_innermost_unclosed_section_is_the_one_reported() =>
        Assert.Equal(13, Reject("{{#is_alert}}{{^is_muted}}x").Position);

    [Fact]
    public void A_closing_tag_for_another_section_names_the_section_still_open()
    {
        TemplateParseError error = Reject("{{#is_alert}}{{#is_muted}}x{{/is_alert}}{{/is_muted}}");
        Assert.Equal(27, error.Position);
        Assert.Equal("mismatched closing tag '{{/is_alert}}' at column 28; the open section is 'is_muted', opened at column 14; close it first with '{{/is_muted}}'", error.Message);
    }

    [Fact]
    public void A_closing_tag_without_an_open_section_is_reported_at_the_tag()
    {
        TemplateParseError error = Reject("ok {{/is_alert}}");
        Assert.Equal(3, error.Position);
        Assert.Equal("closing tag '{{/is_alert}}' without an open section at column 4", error.Message);
    }

    [Theory]
    [InlineData("abc {{value", 4, "unterminated tag")]
    [InlineData("abc {{value}", 4, "unterminated tag")]
    [InlineData("abc {{", 4, "unterminated tag")]
    [InlineData("abc {{ # ", 4, "unterminated tag")]
    [InlineData("abc {{}}", 4, "empty tag")]
    [InlineData("abc {{ }}", 4, "empty tag")]
    [InlineData("{{value}x}}", 7, "unexpected '}' in tag")]
    [InlineData("{{value x}}", 8, "unexpected 'x' in tag")]
    [InlineData("{{1abc}}", 2, "unexpected '1' in tag")]
    [InlineData("{{{value}}}", 2, "unexpected '{' in tag")]
    [InlineData("{{{{value}}}}", 2, "unexpected '{' in tag")]
    [InlineData("{{va\u0000lue}}", 4, "unexpected U+0000 in tag")]
    [InlineData("x {{{{raw}}}}{{value}}", 2, "unclosed raw block '{{{{raw}}}}'")]
    public void Malformed_tags_are_reported_with_their_position(string text, int position, string problem)
    {
        TemplateParseError error = Reject(text);
        Assert.Equal(position, error.Position);
        Assert.StartsWith($"{problem} at column {position + 1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Triple_braces_point_to_raw_blocks()
    {
        TemplateParseError error = Reject("{{{value}}}");
        Assert.Contains("{{{{raw}}}}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_error_in_the_text_is_the_one_reported() =>
        Assert.Equal(2, Reject("{{vaule}} {{#nope}}").Position);

    [Fact]
    public void A_template_of_the_maximum_length_parses_and_one_char_more_is_rejected()
    {
        string longest = "{{value}}" + new string('x', TemplateLimits.MaxTemplateLength - "{{value}}".Length);
        Assert.Equal(TemplateLimits.MaxTemplateLength, MessageTemplate.Parse(longest).Text.Length);

        TemplateParseError error = Reject(longest + "x");
        Assert.Equal(TemplateLimits.MaxTemplateLength, error.Position);
        Assert.StartsWith($"template longer than {TemplateLimits.MaxTemplateLength} characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_template_length_limit_is_the_monitor_message_limit() =>
        Assert.Equal(Alerting.Engine.Monitors.MonitorCompiler.MaxMessageLength, TemplateLimits.MaxTemplateLength);

    [Fact]
    public void Sections_nest_to_the_maximum_depth_and_one_level_more_is_rejected()
    {
        static string Nested(int depth) =>
            string.Concat(Enumerable.Repeat("{{#is_alert}}", depth)) + "x" + string.Concat(Enumerable.Repeat("{{/is_alert}}", depth));

        Assert.True(MessageTemplate.TryParse(Nested(TemplateLimits.MaxSectionDepth), out _, out _));

        TemplateParseError error = Reject(Nested(TemplateLimits.MaxSectionDepth + 1));
        Assert.Equal(TemplateLimits.MaxSectionDepth * "{{#is_alert}}".Length, error.Position);
        Assert.StartsWith($"sections nested deeper than {TemplateLimits.MaxSectionDepth} at column", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_text_is_a_caller_bug() =>
        Assert.Throws<ArgumentNullException>(() => MessageTemplate.TryParse(null!, out _, out _));
}
