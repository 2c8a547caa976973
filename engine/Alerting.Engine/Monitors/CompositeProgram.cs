using System.Collections.Immutable;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.State;

namespace Alerting.Engine.Monitors;

/// <summary>
/// A composite query compiled to postfix over member positions: one evaluation reads each
/// member's state once and allocates nothing. The operators are Datadog's (docs/state-processor.md):
/// states rank OK &lt; NO DATA &lt; WARN &lt; ALERT; <c>&amp;&amp;</c> is the less severe of its
/// operands, <c>||</c> the more severe, <c>!</c> turns ALERT and WARN into OK, OK into ALERT,
/// and keeps NO DATA.
/// </summary>
internal sealed class CompositeProgram
{
    private const int Not = -1;
    private const int And = -2;
    private const int Or = -3;

    private readonly int[] _ops;

    private CompositeProgram(ImmutableArray<string> members, int[] ops)
    {
        Members = members;
        _ops = ops;
    }

    /// <summary>The member monitor ids; <see cref="Evaluate"/> takes their states in this order.</summary>
    public ImmutableArray<string> Members { get; }

    public static CompositeProgram Compile(CompositeQuery query)
    {
        var ops = new List<int>();
        Emit(query.Expression, query.Members, ops);
        return new CompositeProgram(query.Members, [.. ops]);
    }

    /// <summary>The composite's state given each member's, in <see cref="Members"/> order.</summary>
    public AlertState Evaluate(ReadOnlySpan<AlertState> memberStates)
    {
        Invariant.Check(memberStates.Length == Members.Length, "a composite evaluation reads one state per member");
        Span<AlertState> stack = stackalloc AlertState[CompositeQuery.MaxTerms];
        var top = 0;
        foreach (var op in _ops)
        {
            switch (op)
            {
                case Not:
                    stack[top - 1] = Negate(stack[top - 1]);
                    break;
                case And:
                    top--;
                    stack[top - 1] = Conjunction(stack[top - 1], stack[top]);
                    break;
                case Or:
                    top--;
                    stack[top - 1] = Disjunction(stack[top - 1], stack[top]);
                    break;
                default:
                    stack[top++] = memberStates[op];
                    break;
            }
        }

        Invariant.Check(top == 1, "a composite program leaves exactly one state");
        return stack[0];
    }

    /// <summary>Datadog's severity rank: OK 1, NO DATA 2, WARN 3, ALERT 4.</summary>
    public static int Severity(AlertState state) => state switch
    {
        AlertState.Ok => 1,
        AlertState.NoData => 2,
        AlertState.Warn => 3,
        AlertState.Alert => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary><c>a &amp;&amp; b</c>: the less severe.</summary>
    public static AlertState Conjunction(AlertState a, AlertState b) => Severity(a) <= Severity(b) ? a : b;

    /// <summary><c>a || b</c>: the more severe.</summary>
    public static AlertState Disjunction(AlertState a, AlertState b) => Severity(a) >= Severity(b) ? a : b;

    /// <summary><c>!a</c>: NO DATA stays NO DATA, an alert-worthy state is OK, OK is ALERT.</summary>
    public static AlertState Negate(AlertState a) => a switch
    {
        AlertState.NoData => AlertState.NoData,
        AlertState.Ok => AlertState.Alert,
        _ => AlertState.Ok,
    };

    private static void Emit(CompositeNode node, ImmutableArray<string> members, List<int> ops)
    {
        switch (node)
        {
            case CompositeMember member:
                ops.Add(members.IndexOf(member.MonitorId, StringComparer.Ordinal));
                break;
            case CompositeNot not:
                Emit(not.Operand, members, ops);
                ops.Add(Not);
                break;
            case CompositeAnd and:
                Emit(and.Left, members, ops);
                Emit(and.Right, members, ops);
                ops.Add(And);
                break;
            case CompositeOr or:
                Emit(or.Left, members, ops);
                Emit(or.Right, members, ops);
                ops.Add(Or);
                break;
            default:
                throw new ArgumentException("unknown composite node", nameof(node));
        }
    }
}
