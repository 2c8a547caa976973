using Alerting.Engine.Monitors.Query;

namespace Alerting.Cli.Files;

/// <summary>
/// Resolves a composite monitor's member references written in a file (a Datadog export's
/// numeric ids, or the names of the file's monitors) to the ids the engine gave those monitors.
/// </summary>
internal static class CompositeReferences
{
    /// <summary>
    /// The query with every member that <paramref name="resolve"/> knows replaced by its id, in
    /// canonical form; members it does not know are kept (they may be engine ids already). A query
    /// that does not parse is returned unchanged, for the server to refuse with its position.
    /// </summary>
    public static string Rewrite(string query, Func<string, string?> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        if (!CompositeParser.TryParse(query, out CompositeQuery? parsed, out _))
        {
            return query;
        }

        return QueryFormatter.Format(new CompositeQuery(Rewrite(parsed.Expression, resolve)));
    }

    private static CompositeNode Rewrite(CompositeNode node, Func<string, string?> resolve) => node switch
    {
        CompositeMember member => new CompositeMember(resolve(member.MonitorId) ?? member.MonitorId),
        CompositeNot not => new CompositeNot(Rewrite(not.Operand, resolve)),
        CompositeAnd and => new CompositeAnd(Rewrite(and.Left, resolve), Rewrite(and.Right, resolve)),
        CompositeOr or => new CompositeOr(Rewrite(or.Left, resolve), Rewrite(or.Right, resolve)),
        _ => throw new ArgumentException("unknown composite node", nameof(node)),
    };
}
