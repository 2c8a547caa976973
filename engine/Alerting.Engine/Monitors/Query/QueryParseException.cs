namespace Alerting.Engine.Monitors.Query;

/// <summary>Thrown by <see cref="QueryParser.Parse"/> for a text that is not a valid query.</summary>
public sealed class QueryParseException : FormatException
{
    /// <summary>Wraps a parse error.</summary>
    public QueryParseException(QueryParseError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message)
    {
        Error = error;
    }

    /// <summary>The error, with its position and what was expected.</summary>
    public QueryParseError Error { get; }

    /// <summary>0-based offset of the offending text.</summary>
    public int Position => Error.Position;

    /// <summary>1-based column of the offending text.</summary>
    public int Column => Error.Column;

    /// <summary>What the language allows at <see cref="Position"/>.</summary>
    public string Expected => Error.Expected;
}
