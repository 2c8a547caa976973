namespace Alerting.Engine.Monitors.Templates;

/// <summary>
/// One instruction of a compiled template. A template is a flat array of them; a section
/// holds the index just past its body, so rendering is a single forward loop with jumps.
/// </summary>
internal readonly record struct TemplateNode
{
    public TemplateNodeKind Kind { get; private init; }

    /// <summary>Literal: offset of the slice in the template text.</summary>
    public int Start { get; private init; }

    /// <summary>Literal: length of the slice.</summary>
    public int Length { get; private init; }

    public TemplateVariable Variable { get; private init; }

    /// <summary>Tag: the tag key to look up in the group's tags.</summary>
    public string? TagKey { get; private init; }

    public TemplateSection Section { get; private init; }

    /// <summary>Section: true for <c>{{^name}}</c>, whose body renders when the condition fails.</summary>
    public bool Negated { get; private init; }

    /// <summary>Section: index of the first node after the section's body.</summary>
    public int End { get; init; }

    /// <summary>Eval node, or an <c>(eval "…")</c> match subject: the compiled expression.</summary>
    public TemplateExpression? Expression { get; private init; }

    /// <summary>LocalTime: the time zone.</summary>
    public TimeZoneInfo? Zone { get; private init; }

    /// <summary>Section <c>is_match</c> / <c>is_exact_match</c>: the subject and patterns.</summary>
    public TemplateMatch? Match { get; private init; }

    /// <summary>Section <c>is_priority</c>: the priority tested, 1 to 5.</summary>
    public int Priority { get; private init; }

    public static TemplateNode Literal(int start, int length) =>
        new() { Kind = TemplateNodeKind.Literal, Start = start, Length = length };

    public static TemplateNode Of(TemplateVariable variable) =>
        new() { Kind = TemplateNodeKind.Variable, Variable = variable };

    public static TemplateNode Tag(string key) =>
        new() { Kind = TemplateNodeKind.Tag, TagKey = key };

    public static TemplateNode Open(TemplateSection section, bool negated) =>
        new() { Kind = TemplateNodeKind.Section, Section = section, Negated = negated };

    public static TemplateNode OpenMatch(TemplateMatch match, bool negated) =>
        new() { Kind = TemplateNodeKind.Section, Section = match.Exact ? TemplateSection.IsExactMatch : TemplateSection.IsMatch, Match = match, Negated = negated };

    public static TemplateNode OpenPriority(int priority, bool negated) =>
        new() { Kind = TemplateNodeKind.Section, Section = TemplateSection.IsPriority, Priority = priority, Negated = negated };

    public static TemplateNode Eval(TemplateExpression expression) =>
        new() { Kind = TemplateNodeKind.Eval, Expression = expression };

    public static TemplateNode LocalTime(TimeZoneInfo zone) =>
        new() { Kind = TemplateNodeKind.LocalTime, Zone = zone };
}
