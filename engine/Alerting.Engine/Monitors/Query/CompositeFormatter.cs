using System.Text;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// The canonical text of a composite query: one space around <c>&amp;&amp;</c> and <c>||</c>,
/// none after <c>!</c>, parentheses only where the tree needs them (a right operand of its own
/// operator keeps them, so the text parses back to the same tree), ids bare when they can be.
/// </summary>
internal static class CompositeFormatter
{
    public static void Append(StringBuilder text, CompositeNode node)
    {
        switch (node)
        {
            case CompositeMember member:
                AppendId(text, member.MonitorId);
                break;
            case CompositeNot not:
                text.Append('!');
                AppendOperand(text, not.Operand, not.Operand is CompositeAnd or CompositeOr);
                break;
            case CompositeAnd and:
                AppendOperand(text, and.Left, and.Left is CompositeOr);
                text.Append(" && ");
                AppendOperand(text, and.Right, and.Right is CompositeOr or CompositeAnd);
                break;
            case CompositeOr or:
                Append(text, or.Left);
                text.Append(" || ");
                AppendOperand(text, or.Right, or.Right is CompositeOr);
                break;
            default:
                throw new ArgumentException("unknown composite node", nameof(node));
        }
    }

    private static void AppendOperand(StringBuilder text, CompositeNode node, bool parenthesize)
    {
        if (parenthesize)
        {
            text.Append('(');
        }

        Append(text, node);
        if (parenthesize)
        {
            text.Append(')');
        }
    }

    private static void AppendId(StringBuilder text, string id)
    {
        if (CompositeParser.IsBareId(id))
        {
            text.Append(id);
            return;
        }

        text.Append('"');
        foreach (var c in id)
        {
            if (c is '"' or '\\')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        text.Append('"');
    }
}
