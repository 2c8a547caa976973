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

    /// <summary>Deepest nesting of <c>!</c> and parentheses in the text; bounds the parser's recursion (a chain of <c>&amp;&amp;</c> or <c>||</c> is a loop, bounded by <see cref="MaxTerms"/>).</summary>
    public const int MaxDepth = 16;

    public CompositeQuery(CompositeNode expression)
    {
        Expression = expression ?? throw new ArgumentNullException(nameof(expression));
        var members = ImmutableArray.CreateBuilder<string>();
        var terms = 0;
        Walk(expression, members, ref terms);
        if (members.Count > MaxMembers)
        {
            throw new ArgumentException($"at most {MaxMembers} member monitors are allowed", nameof(expression));
        }

        if (terms > MaxTerms)
        {
            throw new ArgumentException($"at most {MaxTerms} member references are allowed", nameof(expression));
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

    private static void Walk(CompositeNode node, ImmutableArray<string>.Builder members, ref int terms)
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

                return;
            case CompositeNot not:
                Walk(not.Operand, members, ref terms);
                return;
            case CompositeAnd and:
                Walk(and.Left, members, ref terms);
                Walk(and.Right, members, ref terms);
                return;
            case CompositeOr or:
                Walk(or.Left, members, ref terms);
                Walk(or.Right, members, ref terms);
                return;
            default:
                throw new ArgumentException("unknown composite node", nameof(node));
        }
    }
}
