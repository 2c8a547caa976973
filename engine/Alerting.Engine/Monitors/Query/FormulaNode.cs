using System.Collections.Immutable;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// One node of a formula (<see cref="FormulaQuery.Expression"/>): a metric query, a constant, a
/// function of one argument, or an arithmetic operator. Immutable, with value equality.
/// </summary>
public abstract record FormulaNode
{
    private protected FormulaNode()
    {
    }

    /// <summary>Nodes in this subtree, itself included.</summary>
    public abstract int NodeCount { get; }

    /// <summary>
    /// Nesting of parentheses in this subtree's canonical text (a query or constant is 0,
    /// <c>abs(x)</c> is one more than x): what <see cref="QueryLimits.MaxFormulaDepth"/> bounds.
    /// </summary>
    public abstract int Depth { get; }

    /// <summary>Binding strength: 1 for <c>+ -</c>, 2 for <c>* /</c>, 3 for everything else.</summary>
    internal static int Precedence(FormulaNode node) => node is BinaryNode binary ? Precedence(binary.Operator) : 3;

    internal static int Precedence(FormulaOperator op) => op is FormulaOperator.Add or FormulaOperator.Subtract ? 1 : 2;

    /// <summary>
    /// Whether the canonical text puts <paramref name="child"/> in parentheses as an operand of
    /// <paramref name="op"/>: when it binds more loosely, or as loosely on the right (operators are
    /// left-associative, so <c>a - (b - c)</c> keeps its parentheses).
    /// </summary>
    internal static bool NeedsParentheses(FormulaNode child, FormulaOperator op, bool right) =>
        right ? Precedence(child) <= Precedence(op) : Precedence(child) < Precedence(op);

    /// <summary>
    /// Whether a negation writes its argument in parentheses: an operator (so <c>-(a + b)</c>) or a
    /// constant (so <c>-(5)</c> stays apart from the constant <c>-5</c>).
    /// </summary>
    internal static bool NegationNeedsParentheses(FormulaNode argument) => argument is BinaryNode or ConstantNode;
}

/// <summary>
/// <c>space_aggregation:metric{scope} [by {tags}]</c>: one metric query of a formula, the same
/// series selection a plain metric monitor makes.
/// </summary>
public sealed record OperandNode : FormulaNode
{
    /// <summary>Builds an operand, checking the metric name, the scope and the group-by tags.</summary>
    /// <exception cref="ArgumentException">A field breaks a rule of the language.</exception>
    public OperandNode(SpaceAggregation space, string metric, ImmutableArray<TagFilter> scope, ImmutableArray<string> groupBy, SeriesModifiers modifiers = default)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (!Enum.IsDefined(space))
        {
            throw new ArgumentOutOfRangeException(nameof(space), space, "unknown space aggregation");
        }

        if (!QueryCharset.IsMetricName(metric))
        {
            throw new ArgumentException($"metric '{metric}' is not a valid metric name", nameof(metric));
        }

        Space = space;
        Metric = metric;
        Scope = MonitorQuery.CheckScope(scope, nameof(scope));
        GroupBy = MonitorQuery.CheckGroupBy(groupBy, nameof(groupBy));
        SeriesModifiers.Validate(modifiers, QueryLimits.MaxWindowMs, nameof(modifiers));
        Modifiers = modifiers;
    }

    /// <summary>The modifiers written after the query (the formula checks its rollup interval against the window).</summary>
    public SeriesModifiers Modifiers { get; }

    /// <summary>How the series of one group are combined at each instant.</summary>
    public SpaceAggregation Space { get; }

    /// <summary>The metric name.</summary>
    public string Metric { get; }

    /// <summary>The series filters, ANDed.</summary>
    public ImmutableArray<TagFilter> Scope { get; }

    /// <summary>The group-by tags, in the order written.</summary>
    public ImmutableArray<string> GroupBy { get; }

    /// <inheritdoc/>
    public override int NodeCount => 1;

    /// <inheritdoc/>
    public override int Depth => 0;

    /// <inheritdoc/>
    public bool Equals(OperandNode? other) =>
        other is not null
        && Space == other.Space
        && string.Equals(Metric, other.Metric, StringComparison.Ordinal)
        && Scope.AsSpan().SequenceEqual(other.Scope.AsSpan())
        && GroupBy.AsSpan().SequenceEqual(other.GroupBy.AsSpan())
        && Modifiers == other.Modifiers;

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(Space);
        hash.Add(Metric, StringComparer.Ordinal);
        foreach (var filter in Scope)
        {
            hash.Add(filter);
        }

        foreach (var key in GroupBy)
        {
            hash.Add(key, StringComparer.Ordinal);
        }

        hash.Add(Modifiers);
        return hash.ToHashCode();
    }
}

/// <summary>A finite number written in the formula.</summary>
public sealed record ConstantNode : FormulaNode
{
    /// <summary>Builds a constant.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not finite.</exception>
    public ConstantNode(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "a formula constant is a finite number");
        }

        Value = value;
    }

    /// <summary>The constant.</summary>
    public double Value { get; }

    /// <inheritdoc/>
    public override int NodeCount => 1;

    /// <inheritdoc/>
    public override int Depth => 0;
}

/// <summary><c>-x</c>, <c>abs(x)</c>, <c>log2(x)</c>, <c>log10(x)</c> or <c>default_zero(x)</c>.</summary>
public sealed record FunctionNode : FormulaNode
{
    /// <summary>Builds a function application.</summary>
    public FunctionNode(FormulaFunction function, FormulaNode argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (!Enum.IsDefined(function))
        {
            throw new ArgumentOutOfRangeException(nameof(function), function, "unknown formula function");
        }

        Function = function;
        Argument = argument;
        NodeCount = 1 + argument.NodeCount;
        Depth = function != FormulaFunction.Negate || NegationNeedsParentheses(argument) ? argument.Depth + 1 : argument.Depth;
    }

    /// <summary>The function.</summary>
    public FormulaFunction Function { get; }

    /// <summary>Its argument.</summary>
    public FormulaNode Argument { get; }

    /// <inheritdoc/>
    public override int NodeCount { get; }

    /// <inheritdoc/>
    public override int Depth { get; }
}

/// <summary><c>left op right</c> with <c>+ - * /</c>.</summary>
public sealed record BinaryNode : FormulaNode
{
    /// <summary>Builds an arithmetic node.</summary>
    public BinaryNode(FormulaOperator op, FormulaNode left, FormulaNode right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "unknown formula operator");
        }

        Operator = op;
        Left = left;
        Right = right;
        NodeCount = 1 + left.NodeCount + right.NodeCount;
        Depth = Math.Max(
            left.Depth + (NeedsParentheses(left, op, right: false) ? 1 : 0),
            right.Depth + (NeedsParentheses(right, op, right: true) ? 1 : 0));
    }

    /// <summary>The operator.</summary>
    public FormulaOperator Operator { get; }

    /// <summary>Left operand.</summary>
    public FormulaNode Left { get; }

    /// <summary>Right operand.</summary>
    public FormulaNode Right { get; }

    /// <inheritdoc/>
    public override int NodeCount { get; }

    /// <inheritdoc/>
    public override int Depth { get; }
}
