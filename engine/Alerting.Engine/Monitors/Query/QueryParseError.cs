namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// Why a query text was rejected: where (<see cref="Position"/>, 0-based, and
/// <see cref="Column"/>, 1-based, counted in UTF-16 chars over the whole text) and what was
/// expected there.
/// </summary>
public sealed record QueryParseError
{
    internal QueryParseError(int position, string expected, string found, string? after, string? problem)
    {
        Position = position;
        Expected = expected;
        Found = found;
        Problem = problem;
        string afterText = after is null ? string.Empty : $" after '{after}'";
        Message = problem is null
            ? $"expected {expected}{afterText} at column {Column}, found {found}"
            : $"{problem} at column {Column}; expected {expected}";
    }

    /// <summary>0-based offset of the offending text.</summary>
    public int Position { get; }

    /// <summary>1-based column of the offending text (<see cref="Position"/> + 1).</summary>
    public int Column => Position + 1;

    /// <summary>What the language allows at <see cref="Position"/>, e.g. <c>comparator</c>.</summary>
    public string Expected { get; }

    /// <summary>What was there instead, e.g. <c>'9'</c> or <c>end of query</c>.</summary>
    public string Found { get; }

    /// <summary>For a text that is well formed but out of bounds (a window too long, a duplicate tag), what is wrong; otherwise null.</summary>
    public string? Problem { get; }

    /// <summary>A sentence a user can act on, e.g. <c>expected comparator after '}' at column 32, found '9'</c>.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;
}
