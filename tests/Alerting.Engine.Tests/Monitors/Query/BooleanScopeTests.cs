using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.Tests.Evaluation;
using CsCheck;

namespace Alerting.Engine.Tests.Monitors.Query;

/// <summary>Boolean scopes (OR, AND, NOT, IN, NOT IN, parentheses) and wildcard patterns: parsing, canonical shape, matching.</summary>
public sealed class BooleanScopeTests
{
    private const string Prefix = "avg(last_5m):avg:m{";

    // An array, not the ImmutableArray: xUnit compares ImmutableArrays by reference (their IEquatable).
    private static TagFilter[] Scope(string scope) =>
        [.. Assert.IsType<MetricQuery>(QueryParser.Parse(Prefix + scope + "} > 1")).Scope];

    private static string Canonical(string scope)
    {
        string text = QueryFormatter.Format(QueryParser.Parse(Prefix + scope + "} > 1"));
        return text[Prefix.Length..text.IndexOf("} > 1", StringComparison.Ordinal)];
    }

    private static string[] Sorted(params string[] tags)
    {
        Array.Sort(tags, StringComparer.Ordinal);
        return tags;
    }

    [Theory]
    [InlineData("service:web OR service:api", "service:web OR service:api")]
    [InlineData("env:prod AND (service:web OR service:api)", "env:prod,service:web OR service:api")]
    [InlineData("env:prod AND service:web", "env:prod,service:web")]
    [InlineData("service IN (web, api,db)", "service:web OR service:api OR service:db")]
    [InlineData("service IN (web)", "service:web")]
    [InlineData("host NOT IN (a, b*)", "!host:a,NOT host:b*")]
    [InlineData("NOT env:dev", "!env:dev")]
    [InlineData("NOT !env:dev", "env:dev")]
    [InlineData("NOT NOT host:a*", "host:a*")]
    [InlineData("NOT (a:1 OR b:2)", "NOT (a:1 OR b:2)")]
    [InlineData("(a:1 OR (b:2 OR c:3)) AND d:4", "a:1 OR b:2 OR c:3,d:4")]
    [InlineData("a:1 OR b:2 AND c:3", "a:1 OR b:2 AND c:3")]
    [InlineData("(a:1 OR b:2) AND (c:3 OR d:4) OR e:5", "(a:1 OR b:2) AND (c:3 OR d:4) OR e:5")]
    [InlineData("NOT(a:1 AND b:2)", "NOT (a:1 AND b:2)")]
    [InlineData("host:*-prod", "host:*-prod")]
    [InlineData("host:web-*-1", "host:web-*-1")]
    [InlineData("host:web**", "host:web*")]
    [InlineData("host:**", "host:*")]
    [InlineData("OR:x,NOT:y,IN:z,ANDROID", "OR:x,NOT:y,IN:z,ANDROID")]
    public void Scopes_parse_to_their_canonical_text(string scope, string canonical)
    {
        Assert.Equal(canonical, Canonical(scope));
        Assert.Equal(Scope(scope), Scope(canonical));
    }

    [Fact]
    public void In_and_not_in_are_ors_of_values_and_ands_of_their_negations()
    {
        Assert.Equal([TagFilter.Boolean(ScopeExpression.Or([ScopeExpression.Of(TagFilter.Equal("svc", "a")), ScopeExpression.Of(TagFilter.Equal("svc", "b"))]))], Scope("svc IN (a,b)"));
        Assert.Equal([TagFilter.NotEqual("svc", "a"), TagFilter.NotEqual("svc", "b")], Scope("svc NOT IN (a,b)"));
        Assert.Equal([TagFilter.Equal("env", "prod"), TagFilter.NotEqual("svc", "a")], Scope("env:prod, svc NOT IN (a)"));
    }

    [Fact]
    public void Boolean_scope_matches_as_datadog_tag_search()
    {
        ImmutableArray<TagFilter> scope = [.. Scope("env:prod AND (service IN (web, api) OR team:core*) AND NOT host:*-canary")];

        Assert.True(TagFilter.MatchesAll(scope, Sorted("env:prod", "service:web", "host:a-1")));
        Assert.True(TagFilter.MatchesAll(scope, Sorted("env:prod", "team:core-db", "host:a-1")));
        Assert.False(TagFilter.MatchesAll(scope, Sorted("env:prod", "service:web", "host:a-canary")));
        Assert.False(TagFilter.MatchesAll(scope, Sorted("env:dev", "service:web")));
        Assert.False(TagFilter.MatchesAll(scope, Sorted("env:prod", "service:db")));
    }

    [Fact]
    public void Wildcards_match_suffixes_and_infixes_of_the_value_under_the_key_only()
    {
        TagFilter suffix = TagFilter.Wildcard("host", "*-prod");
        TagFilter infix = TagFilter.Wildcard("host", "web-*-1");

        Assert.Equal(TagFilterKind.Wildcard, suffix.Kind);
        Assert.True(suffix.Matches(Sorted("host:db-prod")));
        Assert.True(suffix.Matches(Sorted("host:-prod")));
        Assert.False(suffix.Matches(Sorted("host:db-prod-2", "hostname:db-prod")));
        Assert.False(suffix.Matches(Sorted("host")));
        Assert.True(infix.Matches(Sorted("host:a", "host:web-eu-1")));
        Assert.True(infix.Matches(Sorted("host:web--1")));
        Assert.False(infix.Matches(Sorted("host:web-eu-12")));
        Assert.Equal(TagFilterKind.Prefix, TagFilter.Wildcard("host", "web*").Kind);
    }

    [Fact]
    public void Glob_matching_agrees_with_a_regular_expression() =>
        Gen.Select(Gen.Char["ab-*"].Array[0, 8], Gen.Char["ab-"].Array[0, 10]).Sample(
            (pattern, text) =>
            {
                var regex = new Regex("^" + string.Join(".*", new string(pattern).Split('*').Select(Regex.Escape)) + "$", RegexOptions.Singleline);
                Assert.Equal(regex.IsMatch(new string(text)), TagFilter.GlobMatches(new string(text), new string(pattern)));
            },
            iter: 5_000,
            print: t => $"pattern '{new string(t.Item1)}' text '{new string(t.Item2)}'");

    [Fact]
    public void Random_boolean_scopes_match_as_the_naive_model() =>
        Gen.Select(IndexGenerators.Boolean, IndexGenerators.Tags).Sample(
            (filter, tags) => Assert.Equal(ScopeModel.Matches(filter, tags), filter.Matches(tags)),
            iter: 5_000,
            print: t => "{" + t.Item1 + "} " + string.Join(",", t.Item2));

    [Fact]
    public void Expressions_have_one_canonical_shape()
    {
        ScopeExpression a = ScopeExpression.Of(TagFilter.Equal("a", "1"));
        ScopeExpression b = ScopeExpression.Of(TagFilter.Prefix("b", "x"));
        ScopeExpression c = ScopeExpression.Of(TagFilter.HasKey("c"));

        Assert.Equal(ScopeExpression.Or([a, b, c]), ScopeExpression.Or([ScopeExpression.Or([a, b]), c]));
        Assert.Equal(ScopeExpression.And([a, b, c]), ScopeExpression.And([a, ScopeExpression.And([b, c])]));
        Assert.Same(a, ScopeExpression.Or([a]));
        Assert.Equal(b, ScopeExpression.Not(ScopeExpression.Not(b)));
        Assert.Equal(TagFilter.NotEqual("a", "1"), ScopeExpression.Not(a).Filter);
        Assert.Throws<ArgumentException>(() => TagFilter.Boolean(ScopeExpression.And([a, b])));
        Assert.Throws<ArgumentException>(() => TagFilter.Boolean(a));
        Assert.Throws<ArgumentException>(() => ScopeExpression.Of(TagFilter.Any));
        Assert.Throws<ArgumentException>(() => TagFilter.HasKey("OR"));
        Assert.Throws<ArgumentException>(() => TagFilter.Create(TagFilterKind.Wildcard, "host", "a**b"));
        Assert.Throws<ArgumentException>(() => TagFilter.Create(TagFilterKind.Wildcard, "host", "ab*"));
    }

    [Fact]
    public void Check_over_takes_wildcards_but_no_boolean_filter()
    {
        var check = Assert.IsType<CheckQuery>(QueryParser.Parse("\"http.ok\".over(\"host:*-prod\").last(2).count_by_status()"));
        Assert.Equal(TagFilterKind.Wildcard, check.Over[0].Kind);
        Assert.Throws<ArgumentException>(() => new CheckQuery("http.ok", [TagFilter.Boolean(ScopeExpression.Not(ScopeExpression.Of(TagFilter.HasKey("a"))))], [], 1));
    }

    [Fact]
    public void Filters_inside_a_boolean_scope_count_against_the_scope_limit()
    {
        string Or(int n) => string.Join(" OR ", Enumerable.Range(0, n).Select(i => $"k{i}:v"));
        Assert.Equal(QueryLimits.MaxScopeFilters, Scope(Or(QueryLimits.MaxScopeFilters))[0].LeafCount);

        string text = Prefix + Or(QueryLimits.MaxScopeFilters + 1) + "} > 1";
        Assert.False(QueryParser.TryParse(text, out _, out QueryParseError? error));
        Assert.Equal(text.IndexOf($"k{QueryLimits.MaxScopeFilters}:", StringComparison.Ordinal), error!.Position);
        Assert.Equal("at most 64 filters", error.Expected);

        string values = string.Join(",", Enumerable.Range(0, QueryLimits.MaxScopeFilters).Select(i => $"v{i}"));
        Assert.Equal(QueryLimits.MaxScopeFilters, Scope($"k IN ({values})")[0].LeafCount);
        Assert.False(QueryParser.TryParse($"{Prefix}a:1,k IN ({values})}} > 1", out _, out error));
        Assert.Equal("at most 64 filters", error!.Expected);
    }

    [Fact]
    public void Nesting_is_bounded_in_the_text_and_in_the_expression()
    {
        string Nested(int n) => new string('(', n) + "a:1 OR b:2" + new string(')', n);
        Assert.Single(Scope(Nested(QueryLimits.MaxScopeDepth)));
        Assert.False(QueryParser.TryParse(Prefix + Nested(QueryLimits.MaxScopeDepth + 1) + "} > 1", out _, out QueryParseError? error));
        Assert.Equal(Prefix.Length + QueryLimits.MaxScopeDepth, error!.Position);
        Assert.Equal("at most 8 nested parentheses and NOTs", error.Expected);

        // OR inside AND inside OR ...: each pair of parentheses adds two levels to the expression.
        string Alternating(int n) => n == 0 ? "x:0" : $"a{n}:1 OR b{n}:1 AND ({Alternating(n - 1)})";
        Assert.Equal(8, Scope(Alternating(4))[0].Expression!.Depth);
        Assert.False(QueryParser.TryParse(Prefix + Alternating(5) + "} > 1", out _, out error));
        Assert.Equal(Prefix.Length, error!.Position);
        Assert.Equal("at most 8 levels of AND, OR and NOT", error.Expected);
        ScopeExpression deep = ScopeExpression.Of(TagFilter.HasKey("x"));
        for (int i = 0; i <= QueryLimits.MaxScopeDepth; i++)
        {
            ScopeExpression leaf = ScopeExpression.Of(TagFilter.HasKey("k" + i));
            deep = i % 2 == 0 ? ScopeExpression.Or([deep, leaf]) : ScopeExpression.And([deep, leaf]);
        }

        Assert.Equal(QueryLimits.MaxScopeDepth + 1, deep.Depth);
        Assert.Throws<ArgumentException>(() => TagFilter.Boolean(deep));
    }
}
