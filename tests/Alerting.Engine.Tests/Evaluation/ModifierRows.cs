using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// What top() and anomalies() read when their queries carry modifiers, in the model's words: the
/// rows a group is evaluated from (each query per rollup interval from the brute-force oracle, or
/// with <c>.as_count()</c> outside anomalies() each query totalled over the window), and random
/// formulas whose queries carry modifiers with a rollup interval that fits a window.
/// </summary>
internal static class ModifierRows
{
    /// <summary>A random formula (or a lone query) with modifiers; every written rollup interval is <paramref name="rollupSeconds"/>.</summary>
    public static FormulaNode RandomExpression(Random rng, int rollupSeconds)
    {
        var formula = FormulaEvaluatorDifferentialTests.RandomFormula(rng, modifiers: true);
        return WithRollup(rng.Next(3) == 0 ? formula.Operands[0] : formula.Expression, rollupSeconds);
    }

    /// <summary>
    /// The query's rows over (startMs, endMs]: the inputs of each operand per row (null: no value),
    /// the row length in ms (what per_second divides by), the seconds a row stands for (top()'s
    /// area) and the points read. <paramref name="aggregatesFirst"/>: an operand read
    /// <c>.as_count()</c> makes every operand one row, its value over the window.
    /// </summary>
    public static (double?[][] Inputs, long RowMs, double RowSeconds, int Points) Read(
        FormulaQuery query, SmallIntList[] operandSlots, TimeAggregation aggregation, long startMs, long endMs, BruteForceEvaluator oracle, long resolutionMs, bool aggregatesFirst)
    {
        var modifiers = query.Operands.Select(o => o.Modifiers with { RollupSeconds = query.RollupSeconds }).ToArray();
        var read = query.Operands.Select((o, k) => oracle.IntervalValues(operandSlots[k], aggregation, o.Space, modifiers[k], startMs, endMs)).ToArray();
        var rowMs = resolutionMs * oracle.IntervalBuckets(modifiers[0]);
        var inputs = read.Select(r => r.Values).ToArray();
        if (aggregatesFirst && modifiers.Any(m => m.Conversion == TypeConversion.AsCount))
        {
            return ([.. inputs.Select(row => new[] { Fold(row, aggregation) })], rowMs, query.WindowMs / 1_000.0, read.Sum(r => r.Points));
        }

        return (inputs, rowMs, rowMs / 1_000.0, read.Sum(r => r.Points));
    }

    /// <summary>Whether any metric query of the formula carries a modifier.</summary>
    public static bool HasModifiers(FormulaQuery query) => query.Operands.Any(o => !o.Modifiers.IsNone);

    // Values reduced with the time aggregation (null: none).
    private static double? Fold(double?[] row, TimeAggregation aggregation)
    {
        var values = row.Where(v => v.HasValue).Select(v => v!.Value).ToList();
        return values.Count == 0 ? null : aggregation switch
        {
            TimeAggregation.Avg => values.Aggregate((a, b) => a + b) / values.Count,
            TimeAggregation.Min => values.Aggregate(Math.Min),
            TimeAggregation.Max => values.Aggregate(Math.Max),
            TimeAggregation.Last => values[^1],
            _ => values.Aggregate((a, b) => a + b),
        };
    }

    private static FormulaNode WithRollup(FormulaNode node, int rollupSeconds) => node switch
    {
        OperandNode operand => new OperandNode(
            operand.Space,
            operand.Metric,
            operand.Scope,
            operand.GroupBy,
            operand.Modifiers.RollupSeconds == 0 ? operand.Modifiers : operand.Modifiers with { RollupSeconds = rollupSeconds }),
        FunctionNode function => new FunctionNode(function.Function, WithRollup(function.Argument, rollupSeconds)),
        BinaryNode binary => new BinaryNode(binary.Operator, WithRollup(binary.Left, rollupSeconds), WithRollup(binary.Right, rollupSeconds)),
        _ => node,
    };
}
