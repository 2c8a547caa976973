using Alerting.Engine.Monitors.Query;
using CsCheck;

namespace Alerting.Engine.Tests.Monitors.Query;

/// <summary>
/// Random ASTs survive formatting and parsing unchanged. CsCheck prints the failing seed;
/// replay it with <c>Sample(..., seed: "...")</c> or the <c>CsCheck_Seed</c> environment variable.
/// </summary>
public sealed class QueryRoundTripPropertyTests
{
    private const int Iterations = 3_000;

    [Fact]
    public void Parsing_the_formatted_text_gives_back_the_same_query() =>
        QueryGenerators.Query.Sample(
            query =>
            {
                string text = QueryFormatter.Format(query);
                Assert.True(QueryParser.TryParse(text, out MonitorQuery? parsed, out QueryParseError? error), $"'{text}' failed: {error?.Message}");
                Assert.Equal(query, parsed);
                Assert.Equal(query.GetHashCode(), parsed.GetHashCode());
            },
            iter: Iterations,
            threads: 1,
            print: QueryFormatter.Format);

    [Fact]
    public void Formatting_is_canonical_so_formatting_a_parsed_canonical_text_is_the_identity() =>
        QueryGenerators.Query.Sample(
            query =>
            {
                string text = QueryFormatter.Format(query);
                Assert.Equal(text, QueryFormatter.Format(QueryParser.Parse(text)));
            },
            iter: Iterations,
            threads: 1,
            print: QueryFormatter.Format);

    [Fact]
    public void Extra_whitespace_between_tokens_does_not_change_the_query() =>
        QueryGenerators.MetricQueryGen.Sample(
            query =>
            {
                string text = QueryFormatter.Format(query);
                string spaced = SpaceOutPunctuation(text);
                Assert.Equal(query, QueryParser.Parse(spaced));
            },
            iter: Iterations,
            threads: 1,
            print: QueryFormatter.Format);

    [Fact]
    public void Extra_whitespace_between_formula_tokens_does_not_change_the_query() =>
        QueryGenerators.FormulaQueryGen.Sample(
            query =>
            {
                string text = QueryFormatter.Format(query);
                string spaced = SpaceOutPunctuation(text);
                Assert.Equal(query, QueryParser.Parse(spaced));
            },
            iter: Iterations,
            threads: 1,
            print: QueryFormatter.Format);

    [Fact]
    public void Extra_whitespace_between_percentile_tokens_does_not_change_the_query() =>
        QueryGenerators.PercentileQueryGen.Sample(
            query =>
            {
                string text = QueryFormatter.Format(query);
                string spaced = SpaceOutPunctuation(text);
                Assert.Equal(query, QueryParser.Parse(spaced));
            },
            iter: Iterations,
            threads: 1,
            print: QueryFormatter.Format);

    // Puts whitespace around the separators that are tokens of their own in a metric query;
    // ':' is a token only outside the scope braces (inside, it belongs to the tag).
    private static string SpaceOutPunctuation(string text)
    {
        var spaced = new System.Text.StringBuilder(text.Length * 2);
        int depth = 0;
        foreach (char c in text)
        {
            bool token = c is '(' or ')' or ',' or '{' or '}' || (c == ':' && depth == 0);
            depth += c == '{' ? 1 : c == '}' ? -1 : 0;
            spaced.Append(token ? $" \t{c}\n " : c);
        }

        return spaced.ToString();
    }
}
