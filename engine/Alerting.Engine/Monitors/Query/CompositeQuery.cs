using System.Collections.Immutable;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// The query of a composite monitor: a boolean expression over other monitors' states, in
/// Datadog's syntax (<c>123 &amp;&amp; (456 || !789)</c>). It has no group-by of its own: its
/// groups are the groups its members share (see docs/state-processor.md).
/// </summary>
public sealed record CompositeQuery : MonitorQuery
{
    /// <summary>Most distinct member monitors (Datadog's limit: "up to 10 individual monitors").</summary>
    public const int MaxMembers = 10;

    /// <summary>Most member references in the expression (a member may be named more than once); bounds one evaluation.</summary>
    public const int MaxTerms = 32;

    /// <summary>Deepest nesting of operators on one path (and of parentheses in the text); bounds the parser's recursion.</summary>
    public const int MaxDepth = 16;

    public CompositeQuery(CompositeNode expression)
    {
        Expression = expression ?? throw new ArgumentNullException(nameof(expression));
        var members = ImmutableArray.CreateBuilder<string>();
        var terms = 0;
        var depth = Walk(expression, 1, members, ref terms);
        if (members.Count > MaxMembers)
        {
            throw new ArgumentException($"at most {MaxMembers} member monitors are allowed", nameof(expression));
        }

        if (terms > MaxTerms || depth > MaxDepth)
        {
            throw new ArgumentException($"at most {MaxTerms} member references and {MaxDepth} levels of nesting are allowed", nameof(expression));
        }

        Members = members.ToImmutable();
    }

    public CompositeNode Expression { get; }

    /// <summary>The distinct member ids, in the order they first appear in the expression.</summary>
    public ImmutableArray<string> Members { get; }

    /// <inheritdoc/>
    public override ImmutableArray<string> GroupBy => [];

    public bool Equals(CompositeQuery? other) => other is not null && Expression.Equals(other.Expression);

    public override int GetHashCode() => Expression.GetHashCode();

    private static int Walk(CompositeNode node, int depth, ImmutableArray<string>.Builder members, ref int terms)
    {
        switch (node)
        {
            case CompositeMember member:
                if (string.IsNullOrEmpty(member.MonitorId))
                {
                    throw new ArgumentException("a member monitor id is not empty", nameof(node));
                }

                terms++;
                if (!members.Contains(member.MonitorId))
                {
                    members.Add(member.MonitorId);
                }

                return depth;
            case CompositeNot not:
                return Walk(not.Operand, depth + 1, members, ref terms);
            case CompositeAnd and:
                return Math.Max(Walk(and.Left, depth + 1, members, ref terms), Walk(and.Right, depth + 1, members, ref terms));
            case CompositeOr or:
                return Math.Max(Walk(or.Left, depth + 1, members, ref terms), Walk(or.Right, depth + 1, members, ref terms));
            default:
                throw new ArgumentException("unknown composite node", nameof(node));
        }
    }
}
