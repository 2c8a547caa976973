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
        List<Argument>? arguments = null;
        while (true)
        {
            at = SkipWhitespace(text, at);
            if (at >= text.Length || (text[at] == '}' && at + 1 == text.Length))
            {
                return Unterminated(tagStart);
            }

            if (string.CompareOrdinal(text, at, Close, 0, Close.Length) == 0)
            {
                break;
            }

            int argumentStart = at;
            bool isEval = false;
            if (text[at] == '(')
            {
                // Datadog's sub-expression argument: (eval "…").
                at = SkipWhitespace(text, at + 1);
                if (string.CompareOrdinal(text, at, TemplateNames.Eval, 0, TemplateNames.Eval.Length) != 0)
                {
                    return new TemplateParseError(at, "expected 'eval' after '(' in a tag argument", "write (eval \"expression\")");
                }

                at = SkipWhitespace(text, at + TemplateNames.Eval.Length);
                isEval = true;
            }

            if (at >= text.Length || text[at] is not ('"' or '\''))
            {
                return at >= text.Length ? Unterminated(tagStart) : Unexpected(text, at);
            }

            char quote = text[at];
            int contentStart = at + 1;
            int contentEnd = text.IndexOf(quote, contentStart);
            if (contentEnd < 0)
            {
                return new TemplateParseError(at, "unclosed string argument", $"close it with {quote}");
            }

            at = contentEnd + 1;
            if (isEval)
            {
                at = SkipWhitespace(text, at);
                if (at >= text.Length || text[at] != ')')
                {
                    return at >= text.Length
                        ? Unterminated(tagStart)
                        : new TemplateParseError(at, $"expected ')' closing the '(' at column {argumentStart + 1}");
                }

                at++;
            }

            arguments ??= [];
            arguments.Add(new Argument(isEval, text[contentStart..contentEnd], argumentStart, contentStart));
        }

        tag = new Tag(tagStart, sigil, nameStart, text[nameStart..nameEnd], at + Close.Length, arguments);
        return null;
    }

    private static TemplateParseError? Apply(string text, Tag tag, List<TemplateNode> output, List<string> keys, Stack<OpenSection> open)
    {
        switch (tag.Sigil)
        {
            case '#' or '^':
                if (!TemplateNames.Sections.TryGetValue(tag.Name, out TemplateSection section))
                {
                    return TemplateNames.Variables.ContainsKey(tag.Name) || IsTagVariable(tag.Name) || IsFunction(tag.Name)
                        ? new TemplateParseError(tag.NameStart, $"'{tag.Name}' is a variable, not a section,", TemplateNames.SectionHint)
                        : new TemplateParseError(tag.NameStart, $"unknown section '{tag.Name}'", TemplateNames.SectionHint);
                }

                if (open.Count == TemplateLimits.MaxSectionDepth)
                {
                    return new TemplateParseError(tag.Start, $"sections nested deeper than {TemplateLimits.MaxSectionDepth}");
                }

                bool negated = tag.Sigil == '^';
                TemplateNode node;
                switch (section)
                {
                    case TemplateSection.IsMatch or TemplateSection.IsExactMatch:
                        TemplateParseError? matchError = ReadMatch(tag, section == TemplateSection.IsExactMatch, keys, out TemplateMatch? match);
                        if (matchError is not null)
                        {
                            return matchError;
                        }

                        node = TemplateNode.OpenMatch(match!, negated);
                        break;
                    case TemplateSection.IsPriority:
                        if (tag.Arguments is not [{ IsEval: false } priority])
                        {
                            return ArgumentCount(tag, "one priority, e.g. {{#is_priority \"P1\"}}");
                        }

                        if (priority.Text is not ([('P' or 'p'), >= '1' and <= '5']))
                        {
                            return new TemplateParseError(priority.Start, $"priority \"{priority.Text}\" is not one of P1, P2, P3, P4, P5");
                        }

                        node = TemplateNode.OpenPriority(priority.Text[1] - '0', negated);
                        break;
                    default:
                        if (tag.Arguments is [var extra, ..])
                        {
                            return new TemplateParseError(extra.Start, $"section '{tag.Name}' takes no arguments");
                        }

                        node = TemplateNode.Open(section, negated);
                        break;
                }

                open.Push(new OpenSection(tag.Name, tag.Start, output.Count));
                output.Add(node);
                return null;

            case '/':
                if (tag.Arguments is [var closingExtra, ..])
                {
                    return new TemplateParseError(closingExtra.Start, $"closing tag '{{{{/{tag.Name}}}}}' takes no arguments");
                }

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
                if (tag.Name == TemplateNames.Eval)
                {
                    if (tag.Arguments is not [{ IsEval: false } expressionText])
                    {
                        return ArgumentCount(tag, "one quoted expression, e.g. {{eval \"value*100\"}}");
                    }

                    TemplateParseError? evalError = TemplateExpression.TryCompile(expressionText.Text, expressionText.ContentStart, out TemplateExpression? expression);
                    if (evalError is not null)
                    {
                        return evalError;
                    }

                    output.Add(TemplateNode.Eval(expression!));
                    return null;
                }

                if (tag.Name == TemplateNames.LocalTime)
                {
                    if (tag.Arguments is not [{ IsEval: false } timeName, { IsEval: false } zoneName])
                    {
                        return ArgumentCount(tag, $"a time and a time zone, e.g. {{{{local_time \"{TemplateNames.LocalTimeVariable}\" \"Europe/Paris\"}}}}");
                    }

                    if (timeName.Text != TemplateNames.LocalTimeVariable)
                    {
                        return new TemplateParseError(timeName.ContentStart, $"local_time converts \"{TemplateNames.LocalTimeVariable}\", not \"{timeName.Text}\"");
                    }

                    if (!TryFindZone(zoneName.Text, out TimeZoneInfo? zone))
                    {
                        return new TemplateParseError(zoneName.ContentStart, $"unknown time zone \"{zoneName.Text}\"", "use an IANA name such as Europe/Paris, America/New_York or UTC");
                    }

                    output.Add(TemplateNode.LocalTime(zone));
                    return null;
                }

                if (tag.Arguments is [var variableExtra, ..])
                {
                    return TemplateNames.Sections.ContainsKey(tag.Name)
                        ? new TemplateParseError(tag.NameStart, $"'{tag.Name}' is a section, not a variable,", $"write '{{{{#{tag.Name} …}}}}…{{{{/{tag.Name}}}}}'")
                        : new TemplateParseError(variableExtra.Start, $"variable '{tag.Name}' takes no arguments");
                }

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

    // is_match / is_exact_match: a subject (a variable, a tag variable or (eval "…")) and at least one pattern.
    private static TemplateParseError? ReadMatch(Tag tag, bool exact, List<string> keys, out TemplateMatch? match)
    {
        match = null;
        if (tag.Arguments is not { Count: >= 2 } arguments)
        {
            return ArgumentCount(tag, $"a variable and at least one string, e.g. {{{{#{tag.Name} \"host.name\" \"prod\"}}}}");
        }

        Argument subjectArgument = arguments[0];
        TemplateNode subject;
        if (subjectArgument.IsEval)
        {
            TemplateParseError? evalError = TemplateExpression.TryCompile(subjectArgument.Text, subjectArgument.ContentStart, out TemplateExpression? expression);
            if (evalError is not null)
            {
                return evalError;
            }

            subject = TemplateNode.Eval(expression!);
        }
        else if (TemplateNames.Variables.TryGetValue(subjectArgument.Text, out TemplateVariable variable))
        {
            subject = TemplateNode.Of(variable);
        }
        else if (subjectArgument.Text.Length > 0 && QueryCharset.IsTagKeyStart(subjectArgument.Text[0])
                 && subjectArgument.Text.All(QueryCharset.IsTagKeyPart) && IsTagVariable(subjectArgument.Text))
        {
            string key = subjectArgument.Text[..^TemplateNames.TagSuffix.Length];
            subject = TemplateNode.Tag(key);
            if (!keys.Contains(key))
            {
                keys.Add(key);
            }
        }
        else
        {
            return new TemplateParseError(subjectArgument.ContentStart, $"{tag.Name} cannot read \"{subjectArgument.Text}\"", $"match a tag variable such as \"host.name\", a variable ({TemplateNames.VariableHint}) or (eval \"…\")");
        }

        var patterns = new string[arguments.Count - 1];
        for (int i = 1; i < arguments.Count; i++)
        {
            if (arguments[i].IsEval)
            {
                return new TemplateParseError(arguments[i].Start, $"{tag.Name} compares with quoted strings; only its first argument may be (eval \"…\")");
            }

            patterns[i - 1] = arguments[i].Text;
        }

        match = new TemplateMatch(exact, subject, patterns);
        return null;
    }

    private static TemplateParseError ArgumentCount(Tag tag, string expected) =>
        new(tag.NameStart, $"'{tag.Name}' takes {expected}, was given {tag.Arguments?.Count ?? 0} argument{(tag.Arguments?.Count == 1 ? "" : "s")}");

    private static bool IsFunction(string name) => name is TemplateNames.Eval or TemplateNames.LocalTime;

    /// <summary>
    /// Resolves an IANA time zone name (or <c>UTC</c>) from the system's zone database. Only names made of
    /// letters, digits, <c>_</c>, <c>-</c>, <c>+</c> and inner <c>/</c> are looked up, so a name never reaches the file system as a path.
    /// </summary>
    private static bool TryFindZone(string name, [NotNullWhen(true)] out TimeZoneInfo? zone)
    {
        zone = null;
        if (name.Length is 0 or > 64 || name[0] == '/' || name[^1] == '/' || name.Contains("//", StringComparison.Ordinal)
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '+' or '/'))
        {
            return false;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(name, out zone);
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

    private readonly record struct Tag(int Start, char Sigil, int NameStart, string Name, int End, List<Argument>? Arguments = null);

    /// <summary>A quoted argument of a tag, or <c>(eval "…")</c>; <see cref="ContentStart"/> is where its text starts.</summary>
    private readonly record struct Argument(bool IsEval, string Text, int Start, int ContentStart);

    private readonly record struct OpenSection(string Name, int TagStart, int NodeIndex);
}
