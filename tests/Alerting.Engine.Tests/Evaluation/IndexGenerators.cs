using System.Collections.Immutable;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors.Query;
using CsCheck;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// Small alphabets of tags and scope filters, so that random scopes and tag sets collide often:
/// equality, negation, prefix (empty included), has-key and <c>*</c>, over bare and valued tags.
/// </summary>
internal static class IndexGenerators
{
    public static readonly string[] Sources = ["m|cpu", "m|mem", "c|ping"];

    private static readonly Gen<string> Key = Gen.OneOf("host", "env", "role");

    private static readonly Gen<string> Value = Gen.OneOf("a", "b", "ab", "a:b", "1");

    public static readonly Gen<string> Tag = Gen.Frequency(
        (6, Gen.Select(Key, Value, (key, value) => key + ":" + value)),
        (1, Key));

    /// <summary>A tag set as the series index holds it: sorted ordinally, distinct.</summary>
    public static readonly Gen<string[]> Tags = Tag.Array[0, 5].Select(tags => SeriesIndex.NormalizeTags(tags));

    public static readonly Gen<TagFilter> Filter = Gen.Frequency(
        (5, Gen.Select(Key, Value, TagFilter.Equal)),
        (2, Gen.Select(Key, Value, TagFilter.NotEqual)),
        (2, Gen.Select(Key, Gen.OneOf(string.Empty, "a"), TagFilter.Prefix)),
        (1, Gen.Select(Key, Gen.OneOf("*b", "a*b"), TagFilter.Wildcard)),
        (1, Key.Select(TagFilter.HasKey)),
        (1, Gen.Const(TagFilter.Any)));

    private static readonly Gen<TagFilter> Leaf = Gen.Frequency(
        (5, Gen.Select(Key, Value, TagFilter.Equal)),
        (2, Gen.Select(Key, Value, TagFilter.NotEqual)),
        (2, Gen.Select(Key, Gen.OneOf(string.Empty, "a"), TagFilter.Prefix)),
        (2, Gen.Select(Key, Gen.OneOf("*b", "a*b", "*:*", "*a*"), TagFilter.Wildcard)),
        (1, Key.Select(TagFilter.HasKey)));

    /// <summary>OR and NOT conjuncts over the same small alphabet (an AND of them is a scope of several).</summary>
    public static readonly Gen<TagFilter> Boolean = Gen.Select(
        Gen.Int[0, int.MaxValue],
        Leaf.Array[12],
        (seed, pool) =>
        {
            var rng = new Random(seed);
            var used = 0;
            ScopeExpression expression;
            do
            {
                expression = Alerting.Engine.Tests.Monitors.Query.QueryGenerators.RandomScopeExpression(rng, pool, 1, ref used);
                used = 0;
            }
            while (expression.Operator is not (ScopeOperator.Or or ScopeOperator.Not));

            return TagFilter.Boolean(expression);
        });

    /// <summary>An OR whose every branch needs the same tag, which the match index files it under.</summary>
    public static readonly Gen<TagFilter> SharedOr = Gen.Select(
        Key,
        Value,
        Leaf.Array[2, 3],
        (key, value, others) => TagFilter.Boolean(ScopeExpression.Or(others.Select(other =>
            ScopeExpression.And([ScopeExpression.Of(TagFilter.Equal(key, value)), ScopeExpression.Of(other)])))));

    public static readonly Gen<ImmutableArray<TagFilter>> Scope = Gen.Frequency(
        (3, Filter.Array[1, 4]),
        (2, Gen.Select(Filter.Array[0, 2], Boolean.Array[1, 2], (filters, booleans) => filters.Concat(booleans).ToArray())),
        (1, Gen.Select(Filter.Array[0, 1], SharedOr, (filters, shared) => filters.Append(shared).ToArray())))
        .Select(filters => ImmutableArray.Create(filters));

    public static readonly Gen<int> Source = Gen.Int[0, Sources.Length - 1];

    public static string Describe(ImmutableArray<TagFilter> scope) => "{" + string.Join(",", scope) + "}";
}
