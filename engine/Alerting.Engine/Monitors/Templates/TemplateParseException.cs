namespace Alerting.Engine.Monitors.Templates;

/// <summary>Thrown by <see cref="MessageTemplate.Parse"/> for a text that is not a valid template.</summary>
public sealed class TemplateParseException : FormatException
{
    /// <summary>Wraps a parse error.</summary>
    public TemplateParseException(TemplateParseError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message)
    {
        Error = error;
    }

    /// <summary>The error, with its position.</summary>
    public TemplateParseError Error { get; }

    /// <summary>0-based offset of the offending text.</summary>
    public int Position => Error.Position;

    /// <summary>1-based column of the offending text.</summary>
    public int Column => Error.Column;
}
