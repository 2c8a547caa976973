using System.Collections.Immutable;
using System.Text;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// A boolean scope, Datadog's tag search inside <c>{...}</c>: <c>service:web OR service:api</c>,
/// <c>NOT (env:dev AND team:x)</c>, <c>host IN (a,b)</c>. Built only in its one canonical shape,
/// so two expressions that read the same are equal and the formatter has one text for each:
/// AND and OR are n-ary and never hold an operand of their own operator (they are flattened),
/// NOT never holds a NOT or an equality filter (<c>NOT k:v</c> is <c>!k:v</c>, <c>NOT !k:v</c> is
/// <c>k:v</c>), and no node holds <c>*</c> or another boolean filter.
/// </summary>
public sealed class ScopeExpression : IEquatable<ScopeExpression>
{
    private ScopeExpression(ScopeOperator op, ImmutableArray<ScopeExpression> operands, TagFilter? filter)
    {
        Operator = op;
        Operands = operands;
        Filter = filter;
        int depth = 0;
        int leaves = filter is null ? 0 : 1;
        foreach (ScopeExpression operand in operands)
        {
            depth = Math.Max(depth, operand.Depth + 1);
            leaves += operand.LeafCount;
        }

        Depth = depth;
        LeafCount = leaves;
    }

    /// <summary>The node's operator.</summary>
    public ScopeOperator Operator { get; }

    /// <summary>The operands of AND, OR (two or more) and NOT (one); empty for a filter.</summary>
    public ImmutableArray<ScopeExpression> Operands { get; }

    /// <summary>The filter of a <see cref="ScopeOperator.Filter"/> node; null otherwise.</summary>
    public TagFilter? Filter { get; }

    /// <summary>Operator nodes on the longest path down to a filter (a filter is 0), bounded by <see cref="QueryLimits.MaxScopeDepth"/>.</summary>
    public int Depth { get; }

    /// <summary>Tag filters in the expression; each costs a lookup per candidate series.</summary>
    public int LeafCount { get; }

    /// <summary>One tag filter (not <c>*</c>, not itself boolean).</summary>
    public static ScopeExpression Of(TagFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.Kind is TagFilterKind.Any or TagFilterKind.Boolean)
        {
            throw new ArgumentException($"a boolean scope holds plain tag filters, not '{filter}'", nameof(filter));
        }

        return new ScopeExpression(ScopeOperator.Filter, [], filter);
    }

    /// <summary>Every operand; nested ANDs are flattened, a single operand is itself.</summary>
    public static ScopeExpression And(IEnumerable<ScopeExpression> operands) => Join(ScopeOperator.And, operands);

    /// <summary>Any operand; nested ORs are flattened, a single operand is itself.</summary>
    public static ScopeExpression Or(IEnumerable<ScopeExpression> operands) => Join(ScopeOperator.Or, operands);

    /// <summary>The negation, in canonical shape: NOT of NOT cancels, NOT of an (in)equality flips it.</summary>
    public static ScopeExpression Not(ScopeExpression operand)
    {
        ArgumentNullException.ThrowIfNull(operand);
        if (operand.Operator == ScopeOperator.Not)
        {
            return operand.Operands[0];
        }

        if (operand.Filter is { Kind: TagFilterKind.Equals } equal)
        {
            return Of(TagFilter.NotEqual(equal.Key, equal.Value));
        }

        if (operand.Filter is { Kind: TagFilterKind.NotEquals } notEqual)
        {
            return Of(TagFilter.Equal(notEqual.Key, notEqual.Value));
        }

        return new ScopeExpression(ScopeOperator.Not, [operand], null);
    }

    /// <summary>
    /// Whether a series with these tags (sorted ordinally) matches. Recursion is bounded by
    /// <see cref="QueryLimits.MaxScopeDepth"/>; nothing is allocated.
    /// </summary>
    public bool Matches(ReadOnlySpan<string> sortedTags)
    {
        switch (Operator)
        {
            case ScopeOperator.Filter:
                return Filter!.Matches(sortedTags);
            case ScopeOperator.Not:
                return !Operands[0].Matches(sortedTags);
            case ScopeOperator.And:
                foreach (ScopeExpression operand in Operands)
                {
                    if (!operand.Matches(sortedTags))
                    {
                        return false;
                    }
                }

                return true;
            default:
                Invariant.Check(Operator == ScopeOperator.Or, "every scope operator is handled");
                foreach (ScopeExpression operand in Operands)
                {
                    if (operand.Matches(sortedTags))
                    {
                        return true;
                    }
                }

                return false;
        }
    }

    /// <summary>
    /// Adds to <paramref name="into"/> the <c>key:value</c> tags every match must have: an
    /// equality filter's tag, every operand's for AND, the ones all operands share for OR, none
    /// under NOT. The match index files a scope under one of them.
    /// </summary>
    public void AddRequiredTags(List<string> into)
    {
        switch (Operator)
        {
            case ScopeOperator.Filter:
                if (Filter!.Kind == TagFilterKind.Equals)
                {
                    into.Add(Filter.Key + ":" + Filter.Value);
                }

                return;
            case ScopeOperator.And:
                foreach (ScopeExpression operand in Operands)
                {
                    operand.AddRequiredTags(into);
                }

                return;
            case ScopeOperator.Or:
                var shared = new List<string>();
                Operands[0].AddRequiredTags(shared);
                var other = new List<string>();
                for (int i = 1; i < Operands.Length && shared.Count > 0; i++)
                {
                    other.Clear();
                    Operands[i].AddRequiredTags(other);
                    shared.RemoveAll(tag => !other.Contains(tag, StringComparer.Ordinal));
                }

                into.AddRange(shared);
                return;
            default:
                return;
        }
    }

    /// <inheritdoc/>
    public bool Equals(ScopeExpression? other)
    {
        if (other is null || Operator != other.Operator || Operands.Length != other.Operands.Length)
        {
            return false;
        }

        if (Operator == ScopeOperator.Filter)
        {
            return Filter!.Equals(other.Filter);
        }

        for (int i = 0; i < Operands.Length; i++)
        {
            if (!Operands[i].Equals(other.Operands[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ScopeExpression);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Operator, Operands.Length, LeafCount, Filter);

    /// <summary>The canonical text: operators in capitals, parentheses only where precedence needs them (NOT, then AND, then OR).</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Append(text);
        return text.ToString();
    }

    internal void Append(StringBuilder text)
    {
        switch (Operator)
        {
            case ScopeOperator.Filter:
                text.Append(Filter!.ToString());
                return;
            case ScopeOperator.Not:
                text.Append("NOT ");
                AppendOperand(text, Operands[0], parenthesize: Operands[0].Operator != ScopeOperator.Filter);
                return;
            default:
                string separator = Operator == ScopeOperator.And ? " AND " : " OR ";
                for (int i = 0; i < Operands.Length; i++)
                {
                    if (i > 0)
                    {
                        text.Append(separator);
                    }

                    // AND binds tighter than OR: only an OR inside an AND needs parentheses.
                    AppendOperand(text, Operands[i], parenthesize: Operator == ScopeOperator.And && Operands[i].Operator == ScopeOperator.Or);
                }

                return;
        }
    }

    private static void AppendOperand(StringBuilder text, ScopeExpression operand, bool parenthesize)
    {
        if (parenthesize)
        {
            text.Append('(');
        }

        operand.Append(text);
        if (parenthesize)
        {
            text.Append(')');
        }
    }

    private static ScopeExpression Join(ScopeOperator op, IEnumerable<ScopeExpression> operands)
    {
        ArgumentNullException.ThrowIfNull(operands);
        var flat = ImmutableArray.CreateBuilder<ScopeExpression>();
        foreach (ScopeExpression operand in operands)
        {
            ArgumentNullException.ThrowIfNull(operand, nameof(operands));
            if (operand.Operator == op)
            {
                flat.AddRange(operand.Operands);
            }
            else
            {
                flat.Add(operand);
            }
        }

        if (flat.Count == 0)
        {
            throw new ArgumentException($"{op} needs at least one operand", nameof(operands));
        }

        return flat.Count == 1 ? flat[0] : new ScopeExpression(op, flat.DrainToImmutable(), null);
    }
}
