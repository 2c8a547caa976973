using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// The naive meaning of a scope, written apart from <see cref="TagFilter.Matches"/>: linear scans
/// of the tag list, a regular expression for wildcards, and recursion over AND/OR/NOT.
/// </summary>
internal static class ScopeModel
{
    public static bool Matches(ImmutableArray<TagFilter> scope, string[] tags) => scope.All(filter => Matches(filter, tags));

    public static bool Matches(TagFilter filter, string[] tags) => filter.Kind switch
    {
        TagFilterKind.Any => true,
        TagFilterKind.Equals => tags.Contains(filter.Key + ":" + filter.Value),
        TagFilterKind.NotEquals => !tags.Contains(filter.Key + ":" + filter.Value),
        TagFilterKind.Prefix => Values(filter.Key, tags).Any(v => v.StartsWith(filter.Value, StringComparison.Ordinal)),
        TagFilterKind.HasKey => tags.Contains(filter.Key) || Values(filter.Key, tags).Any(),
        TagFilterKind.Wildcard => Values(filter.Key, tags).Any(v => Glob(filter.Value).IsMatch(v)),
        TagFilterKind.Boolean => Evaluate(filter.Expression!, tags),
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter.Kind, "unknown kind"),
    };

    private static bool Evaluate(ScopeExpression expression, string[] tags) => expression.Operator switch
    {
        ScopeOperator.Filter => Matches(expression.Filter!, tags),
        ScopeOperator.Not => !Evaluate(expression.Operands[0], tags),
        ScopeOperator.And => expression.Operands.All(o => Evaluate(o, tags)),
        _ => expression.Operands.Any(o => Evaluate(o, tags)),
    };

    private static IEnumerable<string> Values(string key, string[] tags) =>
        tags.Where(t => t.StartsWith(key + ":", StringComparison.Ordinal)).Select(t => t[(key.Length + 1)..]);

    private static Regex Glob(string pattern) =>
        new("^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$", RegexOptions.Singleline | RegexOptions.CultureInvariant);
}
