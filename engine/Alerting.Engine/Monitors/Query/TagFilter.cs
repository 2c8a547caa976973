using System.Collections.Immutable;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// One filter of a scope (<c>{env:prod,!role:db}</c>) or of a check's <c>over(...)</c>.
/// Filters of one scope are ANDed; an OR or a NOT is one <see cref="TagFilterKind.Boolean"/>
/// filter. A series' tags are <c>key:value</c> strings (a bare tag is just <c>key</c>); keys and
/// values keep their case and compare ordinally.
/// </summary>
public sealed record TagFilter
{
    /// <summary>The <c>*</c> filter: matches every series.</summary>
    public static readonly TagFilter Any = new(TagFilterKind.Any, string.Empty, string.Empty);

    // The tag text looked up in the sorted tag list, built once so that matching allocates nothing:
    // "key:value" for Equals/NotEquals, "key:prefix" for Prefix, "key:" for HasKey and Wildcard.
    private readonly string _pattern;

    private TagFilter(TagFilterKind kind, string key, string value, ScopeExpression? expression = null)
    {
        Kind = kind;
        Key = key;
        Value = value;
        Expression = expression;
        _pattern = kind switch
        {
            TagFilterKind.Any or TagFilterKind.Boolean => string.Empty,
            TagFilterKind.HasKey or TagFilterKind.Wildcard => key + ":",
            _ => key + ":" + value,
        };
    }

    /// <summary>The bare tag keys that are scope operators, so never a has-key filter.</summary>
    public static bool IsOperatorWord(ReadOnlySpan<char> key) =>
        key is "AND" or "OR" or "NOT" or "IN";

    /// <summary>What the filter asks of a series.</summary>
    public TagFilterKind Kind { get; }

    /// <summary>The tag key; empty for <see cref="TagFilterKind.Any"/>.</summary>
    public string Key { get; }

    /// <summary>
    /// The value, the value prefix for <see cref="TagFilterKind.Prefix"/>, the pattern (with its
    /// '*'s) for <see cref="TagFilterKind.Wildcard"/>; empty for Any, HasKey and Boolean.
    /// </summary>
    public string Value { get; }

    /// <summary>The expression of a <see cref="TagFilterKind.Boolean"/> filter (an OR or a NOT); null for every other kind.</summary>
    public ScopeExpression? Expression { get; }

    /// <summary><c>key:value</c>.</summary>
    public static TagFilter Equal(string key, string value) => Create(TagFilterKind.Equals, key, value);

    /// <summary><c>!key:value</c>.</summary>
    public static TagFilter NotEqual(string key, string value) => Create(TagFilterKind.NotEquals, key, value);

    /// <summary><c>key:prefix*</c>; an empty prefix (<c>key:*</c>) means "has the key with some value".</summary>
    public static TagFilter Prefix(string key, string prefix) => Create(TagFilterKind.Prefix, key, prefix);

    /// <summary><c>key</c>: has the tag, bare or with any value.</summary>
    public static TagFilter HasKey(string key) => Create(TagFilterKind.HasKey, key, string.Empty);

    /// <summary>
    /// <c>key:pattern</c> with '*' inside or in front (<c>host:*-prod</c>, <c>host:web-*-1</c>).
    /// A pattern whose only '*' is its last char is a <see cref="Prefix"/> filter, built as one.
    /// </summary>
    public static TagFilter Wildcard(string key, string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        int star = pattern.IndexOf('*', StringComparison.Ordinal);
        return star >= 0 && star == pattern.Length - 1
            ? Create(TagFilterKind.Prefix, key, pattern[..^1])
            : Create(TagFilterKind.Wildcard, key, pattern);
    }

    /// <summary>
    /// A boolean conjunct of a scope: an OR or a NOT. An AND is a scope's list of filters itself
    /// and a single filter is that filter, so neither is a boolean filter (one shape per scope).
    /// </summary>
    public static TagFilter Boolean(ScopeExpression expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (expression.Operator is not (ScopeOperator.Or or ScopeOperator.Not))
        {
            throw new ArgumentException("a boolean filter is an OR or a NOT; list the operands of an AND as filters of the scope", nameof(expression));
        }

        if (expression.Depth > QueryLimits.MaxScopeDepth)
        {
            throw new ArgumentException($"a scope expression nests at most {QueryLimits.MaxScopeDepth} deep", nameof(expression));
        }

        return new TagFilter(TagFilterKind.Boolean, string.Empty, string.Empty, expression);
    }

    /// <summary>Builds a filter of any kind, checking the key and value against the tag rules.</summary>
    /// <exception cref="ArgumentException">The key or value breaks the tag rules.</exception>
    public static TagFilter Create(TagFilterKind kind, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (kind == TagFilterKind.Any)
        {
            if (key.Length != 0 || value.Length != 0)
            {
                throw new ArgumentException("the '*' filter has no key or value", nameof(key));
            }

            return Any;
        }

        if (kind == TagFilterKind.Boolean)
        {
            throw new ArgumentException("a boolean filter is built from its expression (TagFilter.Boolean)", nameof(kind));
        }

        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown tag filter kind");
        }

        if (!QueryCharset.IsTagKey(key))
        {
            throw new ArgumentException(
                $"tag key '{key}' must start with a letter and contain only letters, digits, '_', '-', '.', '/'",
                nameof(key));
        }

        if (kind == TagFilterKind.HasKey && IsOperatorWord(key))
        {
            throw new ArgumentException($"'{key}' is a scope operator, not a tag key", nameof(key));
        }

        if (kind == TagFilterKind.Wildcard && !IsWildcardPattern(value))
        {
            throw new ArgumentException(
                $"wildcard pattern '{value}' must hold a '*' that is not only its last char, and no '**'",
                nameof(value));
        }

        bool valueRequired = kind is TagFilterKind.Equals or TagFilterKind.NotEquals or TagFilterKind.Wildcard;
        bool valueAllowed = kind != TagFilterKind.HasKey;
        bool valueChars = kind == TagFilterKind.Wildcard ? QueryCharset.IsTagValue(value.Replace("*", string.Empty, StringComparison.Ordinal)) : QueryCharset.IsTagValue(value);
        if ((valueRequired && value.Length == 0) || (!valueAllowed && value.Length != 0) || !valueChars)
        {
            throw new ArgumentException(
                $"tag value '{value}' is not valid for a {kind} filter (letters, digits, '_', '-', ':', '.', '/')",
                nameof(value));
        }

        if (TagLength(kind, key, value) > QueryLimits.MaxTagLength)
        {
            throw new ArgumentException($"tag '{key}:{value}' is longer than {QueryLimits.MaxTagLength} characters", nameof(value));
        }

        return new TagFilter(kind, key, value);
    }

    /// <summary>
    /// Whether a series with these tags passes the filter. <paramref name="sortedTags"/> must be
    /// sorted ordinally (the series index keeps them so), which makes each lookup a binary search.
    /// </summary>
    public bool Matches(ReadOnlySpan<string> sortedTags)
    {
        switch (Kind)
        {
            case TagFilterKind.Any:
                return true;
            case TagFilterKind.Equals:
                return ContainsExact(sortedTags, _pattern);
            case TagFilterKind.NotEquals:
                return !ContainsExact(sortedTags, _pattern);
            case TagFilterKind.Prefix:
                return ContainsPrefix(sortedTags, _pattern);
            case TagFilterKind.Wildcard:
                return ContainsWildcard(sortedTags, _pattern, Value);
            case TagFilterKind.Boolean:
                return Expression!.Matches(sortedTags);
            default:
                Invariant.Check(Kind == TagFilterKind.HasKey, "every kind is handled");

                // "key" and "key:..." are not adjacent in ordinal order ("key-x" sorts between them), so two lookups.
                return ContainsExact(sortedTags, Key) || ContainsPrefix(sortedTags, _pattern);
        }
    }

    /// <summary>Whether a series passes every filter of a scope (filters are ANDed).</summary>
    public static bool MatchesAll(ImmutableArray<TagFilter> scope, ReadOnlySpan<string> sortedTags)
    {
        foreach (TagFilter filter in scope)
        {
            if (!filter.Matches(sortedTags))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public bool Equals(TagFilter? other) =>
        other is not null && Kind == other.Kind && string.Equals(Key, other.Key, StringComparison.Ordinal)
        && string.Equals(Value, other.Value, StringComparison.Ordinal)
        && Equals(Expression, other.Expression);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, StringComparer.Ordinal.GetHashCode(Key), StringComparer.Ordinal.GetHashCode(Value), Expression);

    /// <summary>The filter in query syntax, e.g. <c>!role:db</c>.</summary>
    public override string ToString() => Kind switch
    {
        TagFilterKind.Any => "*",
        TagFilterKind.Equals => _pattern,
        TagFilterKind.NotEquals => "!" + _pattern,
        TagFilterKind.Prefix => _pattern + "*",
        TagFilterKind.Wildcard => _pattern + Value,
        TagFilterKind.Boolean => Expression!.ToString(),
        _ => Key,
    };

    /// <summary>Tag filters the filter holds: one, or the leaves of a boolean filter.</summary>
    public int LeafCount => Expression?.LeafCount ?? 1;

    /// <summary>Whether a wildcard pattern is in its one form: a '*' not only at the end, no "**".</summary>
    internal static bool IsWildcardPattern(string pattern)
    {
        int star = pattern.IndexOf('*', StringComparison.Ordinal);
        return star >= 0
            && !(star == pattern.Length - 1)
            && !pattern.Contains("**", StringComparison.Ordinal);
    }

    /// <summary>Whether <paramref name="text"/> matches <paramref name="pattern"/>, '*' standing for any run of chars (greedy, backtracking to the last '*': O(text × pattern) at worst, no allocation).</summary>
    internal static bool GlobMatches(ReadOnlySpan<char> text, ReadOnlySpan<char> pattern)
    {
        int t = 0;
        int p = 0;
        int starAt = -1;
        int resumeAt = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starAt = p++;
                resumeAt = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (starAt >= 0)
            {
                p = starAt + 1;
                t = ++resumeAt;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>Length of the tag the filter names, as counted against <see cref="QueryLimits.MaxTagLength"/>.</summary>
    internal static int TagLength(TagFilterKind kind, string key, string value) =>
        kind == TagFilterKind.HasKey ? key.Length : key.Length + 1 + value.Length;

    private static bool ContainsExact(ReadOnlySpan<string> sortedTags, string tag)
    {
        int i = LowerBound(sortedTags, tag);
        return i < sortedTags.Length && string.Equals(sortedTags[i], tag, StringComparison.Ordinal);
    }

    // Every tag starting with the prefix sorts at or after the prefix itself and before any tag
    // that does not start with it, so the first tag not less than the prefix decides.
    private static bool ContainsPrefix(ReadOnlySpan<string> sortedTags, string prefix)
    {
        int i = LowerBound(sortedTags, prefix);
        return i < sortedTags.Length && sortedTags[i].StartsWith(prefix, StringComparison.Ordinal);
    }

    // The tags with the key are one run in ordinal order, from the first not less than "key:".
    private static bool ContainsWildcard(ReadOnlySpan<string> sortedTags, string keyColon, string pattern)
    {
        for (int i = LowerBound(sortedTags, keyColon); i < sortedTags.Length && sortedTags[i].StartsWith(keyColon, StringComparison.Ordinal); i++)
        {
            if (GlobMatches(sortedTags[i].AsSpan(keyColon.Length), pattern))
            {
                return true;
            }
        }

        return false;
    }

    private static int LowerBound(ReadOnlySpan<string> sortedTags, string value)
    {
        int lo = 0;
        int hi = sortedTags.Length;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (string.CompareOrdinal(sortedTags[mid], value) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Whether <paramref name="tags"/> is in ordinal order (O(n): check once where a tag set is made, not per match).</summary>
    internal static bool IsSortedOrdinal(ReadOnlySpan<string> tags)
    {
        for (int i = 1; i < tags.Length; i++)
        {
            if (string.CompareOrdinal(tags[i - 1], tags[i]) > 0)
            {
                return false;
            }
        }

        return true;
    }
}
