namespace Alerting.Engine.Monitors.Templates;

/// <summary>
/// Why a template text was rejected: where (<see cref="Position"/>, 0-based, and
/// <see cref="Column"/>, 1-based, counted in UTF-16 chars over the whole text, as query
/// errors are) and what was wrong, in a sentence a user can act on.
/// </summary>
public sealed record TemplateParseError
{
    internal TemplateParseError(int position, string problem, string? hint = null)
    {
        Position = position;
        Message = hint is null ? $"{problem} at column {Column}" : $"{problem} at column {Column}; {hint}";
    }

    /// <summary>0-based offset of the offending text.</summary>
    public int Position { get; }

    /// <summary>1-based column of the offending text (<see cref="Position"/> + 1).</summary>
    public int Column => Position + 1;

    /// <summary>E.g. <c>unknown variable 'vaule' at column 12; variables are ...</c>.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;
}
