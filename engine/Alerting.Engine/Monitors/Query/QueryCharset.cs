namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// Character classes of names in the query language, shared by the parser (which reports
/// where a rule is broken) and the AST constructors (which refuse to hold a broken name).
/// </summary>
internal static class QueryCharset
{
    /// <summary>Metric names are ASCII, as Datadog requires: a letter, then letters, digits, '_' and '.'.</summary>
    public static bool IsMetricStart(char c) => char.IsAsciiLetter(c);

    public static bool IsMetricPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.';

    /// <summary>Tag keys start with a letter (any script; Datadog keeps Unicode letters and case).</summary>
    public static bool IsTagKeyStart(char c) => char.IsLetter(c);

    /// <summary>The key stops at the first ':', which separates it from the value.</summary>
    public static bool IsTagKeyPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '/';

    /// <summary>Values may contain ':' (<c>url:http://x</c> has key <c>url</c>).</summary>
    public static bool IsTagValuePart(char c) => IsTagKeyPart(c) || c == ':';

    public static bool IsCheckNameStart(char c) => char.IsAsciiLetter(c);

    public static bool IsCheckNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';

    public static bool IsMetricName(string name) =>
        name.Length is > 0 and <= QueryLimits.MaxMetricNameLength
        && IsMetricStart(name[0])
        && All(name.AsSpan(1), IsMetricPart);

    public static bool IsCheckName(string name) =>
        name.Length is > 0 and <= QueryLimits.MaxCheckNameLength
        && IsCheckNameStart(name[0])
        && All(name.AsSpan(1), IsCheckNamePart);

    public static bool IsTagKey(string key) =>
        key.Length is > 0 and <= QueryLimits.MaxTagLength
        && IsTagKeyStart(key[0])
        && All(key.AsSpan(1), IsTagKeyPart);

    public static bool IsTagValue(string value) => All(value, IsTagValuePart);

    private static bool All(ReadOnlySpan<char> text, Func<char, bool> predicate)
    {
        foreach (char c in text)
        {
            if (!predicate(c))
            {
                return false;
            }
        }

        return true;
    }
}
