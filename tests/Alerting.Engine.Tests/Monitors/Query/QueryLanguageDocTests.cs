using System.Text.RegularExpressions;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

/// <summary>docs/query-language.md is the reference: every whole query it shows must parse.</summary>
public sealed partial class QueryLanguageDocTests
{
    [Fact]
    public void Every_whole_metric_query_in_the_reference_parses()
    {
        var text = File.ReadAllText(DocPath("query-language.md"));
        var queries = WholeQuery().Matches(text).Select(m => m.Groups[1].Value).ToList();

        Assert.True(queries.Count >= 12, $"found only {queries.Count} queries in the reference");
        foreach (var query in queries)
        {
            Assert.True(QueryParser.TryParse(query, out _, out var error), $"'{query}': {error?.Message}");
        }
    }

    // A backticked or fenced line that starts with a time aggregation and holds a comparator.
    [GeneratedRegex(@"(?m)(?:`|^)((?:avg|sum|min|max|last|count|change|pct_change|percentile)\((?:[^`\n])*?(?:>|<|==|!=)=?\s*-?[0-9][^`\n]*?)(?:`|$)")]
    private static partial Regex WholeQuery();

    private static string DocPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"docs/{name} not found above {AppContext.BaseDirectory}");
    }
}
