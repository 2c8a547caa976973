using System.Diagnostics.CodeAnalysis;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Monitors.Templates;

/// <summary>
/// Reads a template text into the flat node array of a <see cref="MessageTemplate"/>.
/// The grammar, Mustache with Datadog's names:
/// <list type="bullet">
/// <item><c>{{name}}</c> a variable, <c>{{#name}}…{{/name}}</c> a section,
/// <c>{{^name}}…{{/name}}</c> a negated section; whitespace is allowed inside the braces.</item>
/// <item><c>{{{{raw}}}}…{{{{/raw}}}}</c> copies its content as is (Datadog's way to write <c>{{</c>).</item>
/// <item>Any other <c>{</c> or <c>}</c> that does not start a tag (<c>{x}</c>, a lone <c>}}</c>) is literal text.</item>
/// </list>
/// </summary>
internal static class TemplateParser
{
    private const string Open = "{{";
    private const string Close = "}}";
    private const string RawOpen = "{{{{raw}}}}";
    private const string RawClose = "{{{{/raw}}}}";

    public static bool TryParse(string text, out TemplateNode[] nodes, out string[] tagKeys, [NotNullWhen(false)] out TemplateParseError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        nodes = [];
        tagKeys = [];
        if (text.Length > TemplateLimits.MaxTemplateLength)
        {
            error = new TemplateParseError(TemplateLimits.MaxTemplateLength, $"template longer than {TemplateLimits.MaxTemplateLength} characters");
            return false;
        }

        var output = new List<TemplateNode>();
        var keys = new List<string>();
        var open = new Stack<OpenSection>();
        int literalStart = 0;
        int at = text.IndexOf(Open, StringComparison.Ordinal);
        while (at >= 0)
        {
            AddLiteral(output, literalStart, at);
            int next;
            if (string.CompareOrdinal(text, at, RawOpen, 0, RawOpen.Length) == 0)
            {
                int contentStart = at + RawOpen.Length;
                int rawEnd = text.IndexOf(RawClose, contentStart, StringComparison.Ordinal);
                if (rawEnd < 0)
                {
                    error = new TemplateParseError(at, $"unclosed raw block '{RawOpen}'", $"close it with '{RawClose}'");
                    return false;
                }

                AddLiteral(output, contentStart, rawEnd);
                next = rawEnd + RawClose.Length;
            }
            else
            {
                error = ReadTag(text, at, out Tag tag);
                if (error is null)
                {
                    error = Apply(text, tag, output, keys, open);
                }

                if (error is not null)
                {
                    return false;
                }

                next = tag.End;
            }

            literalStart = next;
            at = text.IndexOf(Open, next, StringComparison.Ordinal);
        }

        AddLiteral(output, literalStart, text.Length);
        if (open.TryPeek(out OpenSection unclosed))
        {
            error = new TemplateParseError(unclosed.TagStart, $"unclosed section '{unclosed.Name}' opened", $"close it with '{{{{/{unclosed.Name}}}}}'");
            return false;
        }

        nodes = [.. output];
        tagKeys = [.. keys];
        error = null;
        return true;
    }

    private static void AddLiteral(List<TemplateNode> output, int start, int end)
    {
        if (end > start)
        {
            output.Add(TemplateNode.Literal(start, end - start));
        }
    }

    // Reads '{{', an optional sigil, a name and '}}', whitespace allowed between them.
    private static TemplateParseError? ReadTag(string text, int tagStart, out Tag tag)
    {
        tag = default;
        int at = SkipWhitespace(text, tagStart + Open.Length);
        char sigil = '\0';
        if (at < text.Length && text[at] is '#' or '^' or '/')
        {
            sigil = text[at];
            at = SkipWhitespace(text, at + 1);
        }

        int nameStart = at;
        if (at >= text.Length)
        {
            return Unterminated(tagStart);
        }

        if (text[at] == '}')
        {
            return new TemplateParseError(tagStart, "empty tag", "write a name between the braces, or use '{{{{raw}}}}…{{{{/raw}}}}' for literal braces");
        }

        if (!QueryCharset.IsTagKeyStart(text[at]))
        {
            return Unexpected(text, at);
        }

        while (at < text.Length && QueryCharset.IsTagKeyPart(text[at]))
        {
            at++;
        }

        int nameEnd = at;
        at = SkipWhitespace(text, at);
        if (at >= text.Length || (text[at] == '}' && at + 1 == text.Length))
        {
            return Unterminated(tagStart);
        }

        if (string.CompareOrdinal(text, at, Close, 0, Close.Length) != 0)
        {
            return Unexpected(text, at);
        }

        tag = new Tag(tagStart, sigil, nameStart, text[nameStart..nameEnd], at + Close.Length);
        return null;
    }

    private static TemplateParseError? Apply(string text, Tag tag, List<TemplateNode> output, List<string> keys, Stack<OpenSection> open)
    {
        switch (tag.Sigil)
        {
            case '#' or '^':
                if (!TemplateNames.Sections.TryGetValue(tag.Name, out TemplateSection section))
                {
                    return TemplateNames.Variables.ContainsKey(tag.Name) || IsTagVariable(tag.Name)
                        ? new TemplateParseError(tag.NameStart, $"'{tag.Name}' is a variable, not a section,", TemplateNames.SectionHint)
                        : new TemplateParseError(tag.NameStart, $"unknown section '{tag.Name}'", TemplateNames.SectionHint);
                }

                if (open.Count == TemplateLimits.MaxSectionDepth)
                {
                    return new TemplateParseError(tag.Start, $"sections nested deeper than {TemplateLimits.MaxSectionDepth}");
                }

                open.Push(new OpenSection(tag.Name, tag.Start, output.Count));
                output.Add(TemplateNode.Open(section, negated: tag.Sigil == '^'));
                return null;

            case '/':
                if (!open.TryPeek(out OpenSection innermost))
                {
                    return new TemplateParseError(tag.Start, $"closing tag '{text[tag.Start..tag.End]}' without an open section");
                }

                if (!string.Equals(innermost.Name, tag.Name, StringComparison.Ordinal))
                {
                    return new TemplateParseError(
                        tag.Start,
                        $"mismatched closing tag '{text[tag.Start..tag.End]}'",
                        $"the open section is '{innermost.Name}', opened at column {innermost.TagStart + 1}; close it first with '{{{{/{innermost.Name}}}}}'");
                }

                open.Pop();
                output[innermost.NodeIndex] = output[innermost.NodeIndex] with { End = output.Count };
                return null;

            default:
                if (TemplateNames.Variables.TryGetValue(tag.Name, out TemplateVariable variable))
                {
                    output.Add(TemplateNode.Of(variable));
                    return null;
                }

                if (IsTagVariable(tag.Name))
                {
                    string key = tag.Name[..^TemplateNames.TagSuffix.Length];
                    output.Add(TemplateNode.Tag(key));
                    if (!keys.Contains(key))
                    {
                        keys.Add(key);
                    }

                    return null;
                }

                return TemplateNames.Sections.ContainsKey(tag.Name)
                    ? new TemplateParseError(tag.NameStart, $"'{tag.Name}' is a section, not a variable,", $"write '{{{{#{tag.Name}}}}}…{{{{/{tag.Name}}}}}'")
                    : new TemplateParseError(tag.NameStart, $"unknown variable '{tag.Name}'", TemplateNames.VariableHint);
        }
    }

    // The name is already made of tag-key characters and starts with a letter, so only the suffix is left to check.
    private static bool IsTagVariable(string name) =>
        name.Length > TemplateNames.TagSuffix.Length && name.EndsWith(TemplateNames.TagSuffix, StringComparison.Ordinal);

    private static int SkipWhitespace(string text, int at)
    {
        while (at < text.Length && char.IsWhiteSpace(text[at]))
        {
            at++;
        }

        return at;
    }

    private static TemplateParseError Unterminated(int tagStart) =>
        new(tagStart, "unterminated tag", "expected a name and '}}'");

    private static TemplateParseError Unexpected(string text, int at) => text[at] == '{'
        ? new TemplateParseError(at, "unexpected '{' in tag", "triple braces are not supported; use '{{{{raw}}}}…{{{{/raw}}}}' for literal braces")
        : new TemplateParseError(at, $"unexpected {Describe(text[at])} in tag", "expected a name (letters, digits, '_', '-', '.', '/') and '}}'");

    private static string Describe(char c) =>
        c is >= ' ' and <= '~' ? $"'{c}'" : $"U+{(int)c:X4}";

    private readonly record struct Tag(int Start, char Sigil, int NameStart, string Name, int End);

    private readonly record struct OpenSection(string Name, int TagStart, int NodeIndex);
}
