namespace Alerting.Engine.Monitors.Query;

/// <summary>How <c>top()</c> reduces a group's values over the window to the number it ranks by.</summary>
public enum TopReducer : byte
{
    /// <summary><c>'mean'</c>: the mean of the bucket values.</summary>
    Mean,

    /// <summary><c>'min'</c>.</summary>
    Min,

    /// <summary><c>'max'</c>.</summary>
    Max,

    /// <summary><c>'sum'</c>: the sum of the bucket values.</summary>
    Sum,

    /// <summary><c>'last'</c>: the newest bucket value.</summary>
    Last,

    /// <summary><c>'area'</c>: the signed area under the curve, Σ value × bucket seconds.</summary>
    Area,

    /// <summary><c>'l2norm'</c>: √(Σ value²), never negative.</summary>
    L2Norm,

    /// <summary><c>'norm'</c>: Datadog's older name of <see cref="L2Norm"/>.</summary>
    Norm,
}

/// <summary>
/// The arguments of <c>top(formula, N, 'reducer', 'desc'|'asc')</c>, the whole formula of a
/// monitor (<see cref="FormulaQuery.Top"/>): only the N groups ranked first by the reducer over
/// the window are evaluated; the others have no value (docs/query-language.md, <i>Top</i>).
/// </summary>
public sealed record TopSpec
{
    /// <summary>Most groups a <c>top()</c> keeps (Datadog offers 5, 10, 25, 50 and 100).</summary>
    public const int MaxLimit = 100;

    /// <summary>Builds the arguments, checking their bounds.</summary>
    /// <exception cref="ArgumentException">An argument is out of its bounds.</exception>
    public TopSpec(int limit, TopReducer reducer, bool descending)
    {
        if (limit is < 1 or > MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"top() keeps 1 to {MaxLimit} groups");
        }

        if (!Enum.IsDefined(reducer))
        {
            throw new ArgumentOutOfRangeException(nameof(reducer), reducer, "unknown top() reducer");
        }

        Limit = limit;
        Reducer = reducer;
        Descending = descending;
    }

    /// <summary>How many groups are evaluated.</summary>
    public int Limit { get; }

    /// <summary>What the groups are ranked by.</summary>
    public TopReducer Reducer { get; }

    /// <summary><c>'desc'</c> (the largest first) or <c>'asc'</c> (the smallest first).</summary>
    public bool Descending { get; }

    /// <summary>The name of a reducer as written in a query.</summary>
    public static string Name(TopReducer reducer) => reducer switch
    {
        TopReducer.Mean => "mean",
        TopReducer.Min => "min",
        TopReducer.Max => "max",
        TopReducer.Sum => "sum",
        TopReducer.Last => "last",
        TopReducer.Area => "area",
        TopReducer.L2Norm => "l2norm",
        _ => "norm",
    };

    /// <summary>The reducer named <paramref name="name"/>, if any.</summary>
    public static bool TryParseReducer(string name, out TopReducer reducer)
    {
        foreach (var candidate in Enum.GetValues<TopReducer>())
        {
            if (Name(candidate) == name)
            {
                reducer = candidate;
                return true;
            }
        }

        reducer = default;
        return false;
    }
}
