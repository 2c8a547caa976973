using System.Collections.Immutable;
using Alerting.Engine.Monitors.Query;
using CsCheck;

namespace Alerting.Engine.Tests.Monitors.Query;

public sealed class TagFilterTests
{
    private static string[] Sorted(params string[] tags)
    {
        Array.Sort(tags, StringComparer.Ordinal);
        return tags;
    }

    [Fact]
    public void Equal_matches_only_the_exact_tag()
    {
        TagFilter filter = TagFilter.Equal("env", "prod");

        Assert.True(filter.Matches(Sorted("env:prod", "host:a")));
        Assert.False(filter.Matches(Sorted("env:prod-eu", "host:a")));
        Assert.False(filter.Matches(Sorted("env:Prod")));
        Assert.False(filter.Matches(Sorted("env")));
        Assert.False(filter.Matches([]));
    }

    [Fact]
    public void Not_equal_matches_series_without_the_tag_including_untagged_ones()
    {
        TagFilter filter = TagFilter.NotEqual("role", "db");

        Assert.False(filter.Matches(Sorted("role:db", "host:a")));
        Assert.True(filter.Matches(Sorted("role:web", "host:a")));
        Assert.True(filter.Matches([]));
    }

    [Fact]
    public void Prefix_matches_values_starting_with_it_under_the_same_key_only()
    {
        TagFilter filter = TagFilter.Prefix("service", "web");

        Assert.True(filter.Matches(Sorted("service:web")));
        Assert.True(filter.Matches(Sorted("service:web-frontend", "zone:a")));
        Assert.False(filter.Matches(Sorted("service:api", "service-web:web")));
        Assert.False(filter.Matches(Sorted("services:web")));
    }

    [Fact]
    public void Empty_prefix_matches_any_value_but_not_a_bare_tag()
    {
        TagFilter filter = TagFilter.Prefix("team", string.Empty);

        Assert.True(filter.Matches(Sorted("team:x")));
        Assert.False(filter.Matches(Sorted("team")));
    }

    [Fact]
    public void Has_key_matches_bare_and_valued_tags_even_when_similar_keys_sort_between_them()
    {
        TagFilter filter = TagFilter.HasKey("canary");

        Assert.True(filter.Matches(Sorted("canary")));
        Assert.True(filter.Matches(Sorted("canary-x", "canary.y", "canary:true")));
        Assert.False(filter.Matches(Sorted("canary-x", "canary.y", "canaryz")));
    }

    [Fact]
    public void Any_matches_everything() =>
        Assert.True(TagFilter.Any.Matches([]));

    [Fact]
    public void Values_may_contain_colons_and_keys_end_at_the_first_one() =>
        Assert.True(TagFilter.Equal("url", "http://x:80/y").Matches(Sorted("url:http://x:80/y")));

    [Fact]
    public void Scope_filters_are_anded()
    {
        ImmutableArray<TagFilter> scope = [TagFilter.Equal("env", "prod"), TagFilter.NotEqual("role", "db")];

        Assert.True(TagFilter.MatchesAll(scope, Sorted("env:prod", "role:web")));
        Assert.False(TagFilter.MatchesAll(scope, Sorted("env:prod", "role:db")));
        Assert.False(TagFilter.MatchesAll(scope, Sorted("env:dev", "role:web")));
    }

    [Theory]
    [InlineData("", "v")]
    [InlineData("9env", "v")]
    [InlineData("env:x", "v")]
    [InlineData("env", "")]
    [InlineData("env", "a*")]
    [InlineData("env", "a b")]
    public void Invalid_keys_and_values_are_rejected(string key, string value) =>
        Assert.Throws<ArgumentException>(() => TagFilter.Equal(key, value));

    [Fact]
    public void Has_key_takes_no_value_and_any_takes_no_key()
    {
        Assert.Throws<ArgumentException>(() => TagFilter.Create(TagFilterKind.HasKey, "env", "x"));
        Assert.Throws<ArgumentException>(() => TagFilter.Create(TagFilterKind.Any, "env", string.Empty));
        Assert.Same(TagFilter.Any, TagFilter.Create(TagFilterKind.Any, string.Empty, string.Empty));
    }

    [Fact]
    public void Filters_print_in_query_syntax()
    {
        Assert.Equal("*", TagFilter.Any.ToString());
        Assert.Equal("env:prod", TagFilter.Equal("env", "prod").ToString());
        Assert.Equal("!env:prod", TagFilter.NotEqual("env", "prod").ToString());
        Assert.Equal("env:pr*", TagFilter.Prefix("env", "pr").ToString());
        Assert.Equal("env", TagFilter.HasKey("env").ToString());
    }

    // Small alphabets so that random tags and filters collide often, with keys that sort
    // between "a" and "a:" ("a-b", "a.b") to catch a binary search that assumes adjacency.
    private static readonly string[] Keys = ["a", "a-b", "a.b", "ab", "b", "env"];
    private static readonly string[] Values = ["1", "1:2", "12", "x", "x-y", "xy"];

    private static readonly Gen<string> Tag = Gen.Select(
        Gen.OneOf(Keys), Gen.OneOf(Values), Gen.Int[0, 3], (key, value, shape) => shape == 0 ? key : $"{key}:{value}");

    private static readonly Gen<TagFilter> SmallFilter = Gen.Select(
        Gen.OneOf(Keys),
        Gen.OneOf(Values),
        Gen.Int[0, 2],
        Gen.Enum<TagFilterKind>(),
        (key, value, prefixLength, kind) => kind switch
        {
            TagFilterKind.Any => TagFilter.Any,
            TagFilterKind.HasKey => TagFilter.HasKey(key),
            TagFilterKind.Prefix => TagFilter.Prefix(key, value[..Math.Min(prefixLength, value.Length)]),
            TagFilterKind.Wildcard => TagFilter.Wildcard(key, "*" + value[Math.Min(prefixLength, value.Length)..]),
            TagFilterKind.Boolean => TagFilter.Boolean(ScopeExpression.Not(ScopeExpression.Of(TagFilter.Prefix(key, value[..Math.Min(prefixLength, value.Length)])))),
            _ => TagFilter.Create(kind, key, value),
        });

    // The naive model: split every tag at its first ':' and scan them all.
    private static bool NaiveMatches(TagFilter filter, string[] tags)
    {
        bool Has(Func<string, string?, bool> predicate) => tags.Any(tag =>
        {
            int colon = tag.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? predicate(tag, null) : predicate(tag[..colon], tag[(colon + 1)..]);
        });

        return filter.Kind switch
        {
            TagFilterKind.Any => true,
            TagFilterKind.Equals => Has((k, v) => k == filter.Key && v == filter.Value),
            TagFilterKind.NotEquals => !Has((k, v) => k == filter.Key && v == filter.Value),
            TagFilterKind.Prefix => Has((k, v) => k == filter.Key && v is not null && v.StartsWith(filter.Value, StringComparison.Ordinal)),
            TagFilterKind.Wildcard => Has((k, v) => k == filter.Key && v is not null && v.EndsWith(filter.Value[1..], StringComparison.Ordinal)),
            TagFilterKind.Boolean => !NaiveMatches(filter.Expression!.Operands[0].Filter!, tags),
            _ => Has((k, _) => k == filter.Key),
        };
    }

    [Fact]
    public void Matches_agrees_with_a_linear_scan_over_random_tag_sets() =>
        Gen.Select(SmallFilter, Tag.Array[0, 10]).Sample(
            (filter, tags) =>
            {
                string[] sorted = tags.Distinct().ToArray();
                Array.Sort(sorted, StringComparer.Ordinal);
                Assert.Equal(NaiveMatches(filter, sorted), filter.Matches(sorted));
            },
            iter: 20_000,
            threads: 1);
}
