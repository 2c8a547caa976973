using System.Collections.Immutable;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// A formula compiled to postfix steps, run once per bucket by <see cref="FormulaEvaluator"/>
/// on a fixed stack: no tree walk, no allocation. Operand k is the k-th metric query of the
/// formula, left to right (<see cref="FormulaQuery.Operands"/>).
/// </summary>
public sealed class FormulaProgram
{
    private FormulaProgram(ImmutableArray<FormulaStep> steps, ImmutableArray<SpaceAggregation> spaces, ImmutableArray<SeriesModifiers> modifiers, AnomalySpec? anomaly, TopSpec? top)
    {
        Steps = steps;
        OperandSpaces = spaces;
        Anomaly = anomaly;
        Top = top;
        OperandModifiers = modifiers;
        HasModifiers = modifiers.Any(m => !m.IsNone);
        AggregatesFirst = anomaly is null && modifiers.Any(m => m.Conversion == TypeConversion.AsCount);
    }

    /// <summary>
    /// For <c>top(formula, N, …)</c> its arguments: the monitor ranks its groups with
    /// <see cref="FormulaEvaluator.Rank"/> and evaluates only the first N.
    /// </summary>
    public TopSpec? Top { get; }

    /// <summary>
    /// For <c>anomalies(formula, 'basic', …)</c> its arguments: the evaluator then reports the
    /// fraction of anomalous points in the alert window instead of the time aggregation.
    /// </summary>
    public AnomalySpec? Anomaly { get; }

    /// <summary>
    /// The modifiers of each operand, each with the formula's rollup interval (the one its queries
    /// write, which they agree on), so that every operand has the same intervals.
    /// </summary>
    public ImmutableArray<SeriesModifiers> OperandModifiers { get; }

    /// <summary>Whether an operand has a modifier: operands are then read per rollup interval (<see cref="WindowEvaluator.FillIntervals"/>).</summary>
    public bool HasModifiers { get; }

    /// <summary>
    /// Whether an operand is read <c>.as_count()</c>: as in Datadog, each operand is then reduced
    /// over the window with the time aggregation first, and the formula computed once from those values.
    /// Not for <c>anomalies()</c>, which needs the formula's series: there the formula runs per interval,
    /// each interval's count.
    /// </summary>
    public bool AggregatesFirst { get; }

    /// <summary>The steps, in postfix order.</summary>
    public ImmutableArray<FormulaStep> Steps { get; }

    /// <summary>The space aggregation of each operand.</summary>
    public ImmutableArray<SpaceAggregation> OperandSpaces { get; }

    /// <summary>Number of metric queries the formula reads.</summary>
    public int OperandCount => OperandSpaces.Length;

    /// <summary>Compiles <paramref name="query"/>'s formula.</summary>
    public static FormulaProgram Compile(FormulaQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var steps = ImmutableArray.CreateBuilder<FormulaStep>(query.Expression.NodeCount);
        var operand = 0;
        Emit(query.Expression, steps, ref operand);
        Invariant.Check(operand == query.Operands.Length, "the postfix walk meets the operands in the order FormulaQuery lists them");
        return new FormulaProgram(
            steps.MoveToImmutable(),
            [.. query.Operands.Select(o => o.Space)],
            [.. query.Operands.Select(o => o.Modifiers with { RollupSeconds = query.RollupSeconds })],
            query.Anomaly,
            query.Top);
    }

    private static void Emit(FormulaNode node, ImmutableArray<FormulaStep>.Builder steps, ref int operand)
    {
        switch (node)
        {
            case OperandNode:
                steps.Add(new FormulaStep(FormulaStepKind.Operand, operand++, 0));
                break;
            case ConstantNode constant:
                steps.Add(new FormulaStep(FormulaStepKind.Constant, 0, constant.Value));
                break;
            case FunctionNode function:
                Emit(function.Argument, steps, ref operand);
                steps.Add(new FormulaStep(function.Function switch
                {
                    FormulaFunction.Negate => FormulaStepKind.Negate,
                    FormulaFunction.Abs => FormulaStepKind.Abs,
                    FormulaFunction.Log2 => FormulaStepKind.Log2,
                    FormulaFunction.Log10 => FormulaStepKind.Log10,
                    FormulaFunction.DefaultZero => FormulaStepKind.DefaultZero,
                    FormulaFunction.PerSecond => FormulaStepKind.PerSecond,
                    FormulaFunction.PerMinute => FormulaStepKind.PerMinute,
                    FormulaFunction.Diff => FormulaStepKind.Diff,
                    _ => throw new ArgumentException($"unknown formula function {function.Function}", nameof(node)),
                }, 0, 0));
                break;
            case BinaryNode binary:
                Emit(binary.Left, steps, ref operand);
                Emit(binary.Right, steps, ref operand);
                steps.Add(new FormulaStep(binary.Operator switch
                {
                    FormulaOperator.Add => FormulaStepKind.Add,
                    FormulaOperator.Subtract => FormulaStepKind.Subtract,
                    FormulaOperator.Multiply => FormulaStepKind.Multiply,
                    _ => FormulaStepKind.Divide,
                }, 0, 0));
                break;
            default:
                throw new ArgumentException($"unknown formula node {node.GetType().Name}", nameof(node));
        }
    }
}

/// <summary>One postfix step: push an operand's bucket value or a constant, or apply a function or operator.</summary>
public readonly record struct FormulaStep(FormulaStepKind Kind, int Operand, double Constant);

/// <summary>What a <see cref="FormulaStep"/> does.</summary>
public enum FormulaStepKind : byte
{
    Operand,
    Constant,
    Negate,
    Abs,
    Log2,
    Log10,
    DefaultZero,

    /// <summary>Reads the previous bucket with a value: see <see cref="FormulaFunction.PerSecond"/>.</summary>
    PerSecond,
    PerMinute,
    Diff,
    Add,
    Subtract,
    Multiply,
    Divide,
}
