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
        (1, Key.Select(TagFilter.HasKey)),
        (1, Gen.Const(TagFilter.Any)));

    public static readonly Gen<ImmutableArray<TagFilter>> Scope = Filter.Array[1, 4].Select(filters => ImmutableArray.Create(filters));

    public static readonly Gen<int> Source = Gen.Int[0, Sources.Length - 1];

    public static string Describe(ImmutableArray<TagFilter> scope) => "{" + string.Join(",", scope) + "}";
}
