using System.Collections.Immutable;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// One filter of a scope (<c>{env:prod,!role:db}</c>) or of a check's <c>over(...)</c>.
/// Filters of one scope are ANDed. A series' tags are <c>key:value</c> strings (a bare tag is
/// just <c>key</c>); keys and values keep their case and compare ordinally.
/// </summary>
public sealed record TagFilter
{
    /// <summary>The <c>*</c> filter: matches every series.</summary>
    public static readonly TagFilter Any = new(TagFilterKind.Any, string.Empty, string.Empty);

    // The tag text looked up in the sorted tag list, built once so that matching allocates nothing:
    // "key:value" for Equals/NotEquals, "key:prefix" for Prefix, "key:" for HasKey.
    private readonly string _pattern;

    private TagFilter(TagFilterKind kind, string key, string value)
    {
        Kind = kind;
        Key = key;
        Value = value;
        _pattern = kind switch
        {
            TagFilterKind.Any => string.Empty,
            TagFilterKind.HasKey => key + ":",
            _ => key + ":" + value,
        };
    }

    /// <summary>What the filter asks of a series.</summary>
    public TagFilterKind Kind { get; }

    /// <summary>The tag key; empty for <see cref="TagFilterKind.Any"/>.</summary>
    public string Key { get; }

    /// <summary>The value, or the value prefix for <see cref="TagFilterKind.Prefix"/>; empty for Any and HasKey.</summary>
    public string Value { get; }

    /// <summary><c>key:value</c>.</summary>
    public static TagFilter Equal(string key, string value) => Create(TagFilterKind.Equals, key, value);

    /// <summary><c>!key:value</c>.</summary>
    public static TagFilter NotEqual(string key, string value) => Create(TagFilterKind.NotEquals, key, value);

    /// <summary><c>key:prefix*</c>; an empty prefix (<c>key:*</c>) means "has the key with some value".</summary>
    public static TagFilter Prefix(string key, string prefix) => Create(TagFilterKind.Prefix, key, prefix);

    /// <summary><c>key</c>: has the tag, bare or with any value.</summary>
    public static TagFilter HasKey(string key) => Create(TagFilterKind.HasKey, key, string.Empty);

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

        bool valueRequired = kind is TagFilterKind.Equals or TagFilterKind.NotEquals;
        bool valueAllowed = kind != TagFilterKind.HasKey;
        if ((valueRequired && value.Length == 0) || (!valueAllowed && value.Length != 0) || !QueryCharset.IsTagValue(value))
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
        && string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, StringComparer.Ordinal.GetHashCode(Key), StringComparer.Ordinal.GetHashCode(Value));

    /// <summary>The filter in query syntax, e.g. <c>!role:db</c>.</summary>
    public override string ToString() => Kind switch
    {
        TagFilterKind.Any => "*",
        TagFilterKind.Equals => _pattern,
        TagFilterKind.NotEquals => "!" + _pattern,
        TagFilterKind.Prefix => _pattern + "*",
        _ => Key,
    };

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
