using System.Globalization;

namespace Alerting.Engine.Monitors.Templates;

/// <summary>
/// The condition of <c>{{#is_match "subject" "p1" "p2"}}</c> and <c>{{#is_exact_match "subject" "p1"}}</c>:
/// the subject is a tag variable (<c>host.name</c>), a built-in variable (<c>value</c>, <c>state</c>, …) or
/// <c>(eval "…")</c>; the condition holds when any pattern matches its rendered text.
/// </summary>
internal sealed class TemplateMatch
{
    private readonly string[] _patterns;

    // is_exact_match: each pattern as a number, NaN when it is not one.
    private readonly double[] _numbers;

    public TemplateMatch(bool exact, TemplateNode subject, string[] patterns)
    {
        Exact = exact;
        Subject = subject;
        _patterns = patterns;
        _numbers = new double[patterns.Length];
        for (int i = 0; i < patterns.Length; i++)
        {
            _numbers[i] = ParseNumber(patterns[i]);
        }
    }

    /// <summary>True for <c>is_exact_match</c>, false for <c>is_match</c>.</summary>
    public bool Exact { get; }

    /// <summary>What is matched: a variable, tag or eval node, rendered as the template would.</summary>
    public TemplateNode Subject { get; }

    /// <summary>
    /// Whether <paramref name="subject"/> (the subject's text) matches a pattern. <c>is_match</c>: the pattern
    /// occurs in the text, <c>*</c> in it standing for any run of characters; <c>is_exact_match</c>: the
    /// text is the pattern, or both are numbers of the same value (<c>"5"</c> matches <c>5.0</c>).
    /// Case-sensitive, as Datadog's are.
    /// </summary>
    public bool Holds(ReadOnlySpan<char> subject)
    {
        if (Exact)
        {
            double number = ParseNumber(subject);
            for (int i = 0; i < _patterns.Length; i++)
            {
                if (subject.SequenceEqual(_patterns[i]) || (!double.IsNaN(number) && number == _numbers[i]))
                {
                    return true;
                }
            }

            return false;
        }

        for (int i = 0; i < _patterns.Length; i++)
        {
            if (Contains(subject, _patterns[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether some substring of <paramref name="text"/> matches <paramref name="pattern"/>, <c>*</c> matching any run (<c>*pattern*</c> over the whole text).</summary>
    internal static bool Contains(ReadOnlySpan<char> text, ReadOnlySpan<char> pattern)
    {
        if (pattern.IndexOf('*') < 0)
        {
            return text.IndexOf(pattern, StringComparison.Ordinal) >= 0;
        }

        // Glob with backtracking to the last star: O(text × pattern), no allocation. The implicit leading
        // star (resume at pattern 0) lets the match start anywhere; reaching the pattern's end is a match,
        // the implicit trailing star letting it end anywhere.
        int t = 0;
        int p = 0;
        int resumeP = 0;
        int resumeT = 0;
        while (true)
        {
            if (p == pattern.Length)
            {
                return true;
            }

            if (pattern[p] == '*')
            {
                resumeP = ++p;
                resumeT = t;
            }
            else if (t < text.Length && pattern[p] == text[t])
            {
                t++;
                p++;
            }
            else if (resumeT < text.Length)
            {
                p = resumeP;
                t = ++resumeT;
            }
            else
            {
                return false;
            }
        }
    }

    private static double ParseNumber(ReadOnlySpan<char> text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) && double.IsFinite(number)
            ? number
            : double.NaN;
}
