namespace Alerting.Engine.Tests.Monitors.Templates;

/// <summary>
/// A template as a tree, written out as text by <see cref="Write"/> and rendered by a naive
/// recursive model (<see cref="Expected"/>) that the compiled template must agree with.
/// </summary>
internal abstract record TemplatePart;

internal sealed record LiteralPart(string Text) : TemplatePart;

internal sealed record RawPart(string Text) : TemplatePart;

internal sealed record VariablePart(string Name, string Padding) : TemplatePart;

internal sealed record SectionPart(string Name, bool Negated, string Padding, TemplatePart[] Body) : TemplatePart;
