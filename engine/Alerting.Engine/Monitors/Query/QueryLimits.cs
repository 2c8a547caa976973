namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// The named bounds of the query language. The parser rejects anything beyond them with a
/// positioned error, and the AST constructors assert them, so every query the engine holds
/// is within them.
/// </summary>
public static class QueryLimits
{
    /// <summary>Longest accepted query text, in UTF-16 chars. Bounds parse time and the size of a monitor entry.</summary>
    public const int MaxQueryLength = 4096;

    /// <summary>Longest metric name (Datadog's limit).</summary>
    public const int MaxMetricNameLength = 200;

    /// <summary>Longest tag, <c>key:value</c> together (Datadog's limit).</summary>
    public const int MaxTagLength = 200;

    /// <summary>Longest check name.</summary>
    public const int MaxCheckNameLength = 200;

    /// <summary>Most filters in one scope (or one <c>over(...)</c>), counting each tag filter inside a boolean scope; each costs a lookup per candidate series.</summary>
    public const int MaxScopeFilters = 64;

    /// <summary>
    /// Deepest nesting in a boolean scope: AND, OR and NOT nodes on one path (and, in the text,
    /// parentheses and NOTs). Bounds the parser's recursion and the matcher's.
    /// </summary>
    public const int MaxScopeDepth = 8;

    /// <summary>Most group-by tags; a group key is built from all of them for every point.</summary>
    public const int MaxGroupByTags = 16;

    /// <summary>Shortest evaluation window and change shift: 1 s, the resolution of <c>last_&lt;n&gt;s</c>.</summary>
    public const long MinWindowMs = 1_000;

    /// <summary>
    /// Longest evaluation window and change shift: a week (<c>last_1w</c>, Datadog's longest).
    /// Windows keep bucketed rollups in memory per series, so the bound is what makes per-series
    /// memory finite; <c>change</c> keeps window + shift, at most two weeks (the 2 h tier of
    /// <c>StoreTiers</c>).
    /// </summary>
    public const long MaxWindowMs = 7 * DayMs;

    /// <summary>
    /// Longest <c>.fill(mode, limit)</c> limit, in seconds: a week, the longest window (Datadog caps
    /// it at 600 s; here gaps are counted between rollup intervals, which may be hours long).
    /// </summary>
    public const int MaxFillLimitSeconds = (int)(MaxWindowMs / 1_000);

    /// <summary>An hour: the length of <c>current_1h</c>.</summary>
    public const long HourMs = 60L * 60 * 1_000;

    /// <summary>A day: the length of <c>current_1d</c>.</summary>
    public const long DayMs = 24 * HourMs;

    /// <summary>Most check runs a check monitor looks back over per group (<c>.last(n)</c>).</summary>
    public const int MaxCheckRuns = 100;

    /// <summary>
    /// Most metric queries in one formula (<c>a / b * 100</c> has two). Each costs a window read
    /// per evaluation and an entry in the series↔monitor index.
    /// </summary>
    public const int MaxFormulaOperands = 8;

    /// <summary>Most nodes (queries, constants, operators, functions) in one formula: bounds the evaluation stack.</summary>
    public const int MaxFormulaNodes = 32;

    /// <summary>Deepest nesting of parentheses and functions in a formula: bounds the parser's recursion.</summary>
    public const int MaxFormulaDepth = 16;
}
