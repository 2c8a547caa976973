using System.Collections.Immutable;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// A parsed monitor query: <see cref="MetricQuery"/> or <see cref="CheckQuery"/>. Immutable, with
/// value equality (arrays compare element by element), so <c>Parse(Format(q)) == q</c> holds.
/// </summary>
public abstract record MonitorQuery
{
    private protected MonitorQuery()
    {
    }

    /// <summary>
    /// Tag keys that split the query into groups, in the order written. Empty means one group,
    /// the <c>*</c> group.
    /// </summary>
    public abstract ImmutableArray<string> GroupBy { get; }

    /// <summary>Checks a group-by list: each a valid tag key, no duplicates, at most <see cref="QueryLimits.MaxGroupByTags"/>.</summary>
    private protected static ImmutableArray<string> ValidateGroupBy(ImmutableArray<string> groupBy, string paramName)
    {
        if (groupBy.IsDefault)
        {
            return [];
        }

        if (groupBy.Length > QueryLimits.MaxGroupByTags)
        {
            throw new ArgumentException($"at most {QueryLimits.MaxGroupByTags} group-by tags are allowed", paramName);
        }

        for (int i = 0; i < groupBy.Length; i++)
        {
            string key = groupBy[i] ?? throw new ArgumentException("group-by tag is null", paramName);
            if (!QueryCharset.IsTagKey(key))
            {
                throw new ArgumentException($"group-by tag '{key}' is not a valid tag key", paramName);
            }

            for (int j = 0; j < i; j++)
            {
                if (string.Equals(groupBy[j], key, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"group-by tag '{key}' appears twice", paramName);
                }
            }
        }

        return groupBy;
    }

    /// <summary>Checks a scope: non-empty, at most <see cref="QueryLimits.MaxScopeFilters"/>, and '*' only alone.</summary>
    private protected static ImmutableArray<TagFilter> ValidateScope(ImmutableArray<TagFilter> scope, string paramName)
    {
        if (scope.IsDefaultOrEmpty)
        {
            throw new ArgumentException("a scope has at least one filter; use TagFilter.Any for '*'", paramName);
        }

        int leaves = 0;
        foreach (TagFilter filter in scope)
        {
            if (filter is null)
            {
                throw new ArgumentException("scope filter is null", paramName);
            }

            leaves += filter.LeafCount;
            if (leaves > QueryLimits.MaxScopeFilters)
            {
                throw new ArgumentException($"at most {QueryLimits.MaxScopeFilters} scope filters are allowed", paramName);
            }

            if (filter.Kind == TagFilterKind.Any && scope.Length != 1)
            {
                throw new ArgumentException("'*' must be the only filter of its scope", paramName);
            }
        }

        return scope;
    }

    /// <summary>The scope rules, for the metric queries inside a formula.</summary>
    internal static ImmutableArray<TagFilter> CheckScope(ImmutableArray<TagFilter> scope, string paramName) =>
        ValidateScope(scope, paramName);

    /// <summary>The group-by rules, for the metric queries inside a formula.</summary>
    internal static ImmutableArray<string> CheckGroupBy(ImmutableArray<string> groupBy, string paramName) =>
        ValidateGroupBy(groupBy, paramName);

    private protected static bool SequenceEqual<T>(ImmutableArray<T> a, ImmutableArray<T> b) =>
        a.AsSpan().SequenceEqual(b.AsSpan());

    private protected static void AddAll<T>(ref HashCode hash, ImmutableArray<T> items)
    {
        hash.Add(items.Length);
        foreach (T item in items)
        {
            hash.Add(item);
        }
    }
}
