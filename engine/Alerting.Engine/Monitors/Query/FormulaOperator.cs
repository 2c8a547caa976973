namespace Alerting.Engine.Monitors.Query;

/// <summary>An arithmetic operator in a formula; <c>*</c> and <c>/</c> bind tighter than <c>+</c> and <c>-</c>, all left-associative.</summary>
public enum FormulaOperator : byte
{
    Add,
    Subtract,
    Multiply,
    Divide,
}
