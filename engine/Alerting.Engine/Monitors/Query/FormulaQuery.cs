using System.Collections.Immutable;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// A metric monitor over a formula of metric queries:
/// <c>time_aggregation(window):formula comparator threshold</c>, e.g.
/// <c>sum(last_5m):sum:http.errors{svc:api} by {env} / sum:http.requests{svc:api} by {env} * 100 &gt; 5</c>.
/// </summary>
/// <remarks>
/// Every metric query of the formula groups by the same tags, and the groups of the queries are
/// joined by those tags. At each bucket of the window, each query is reduced as a plain metric
/// monitor reduces it (rollup of the time aggregation, then space aggregation), the formula is
/// computed from those values, and the results are reduced over the window with the time
/// aggregation (docs/query-language.md has the worked definition). A formula that is a single
/// bare metric query is a <see cref="MetricQuery"/>, never a <see cref="FormulaQuery"/>, so that
/// each query has one canonical form.
/// </remarks>
public sealed record FormulaQuery : MonitorQuery
{
    /// <summary>Builds a formula query, checking every bound the parser checks.</summary>
    /// <exception cref="ArgumentException">A field breaks a rule of the language.</exception>
    public FormulaQuery(
        TimeAggregation timeAggregation,
        long windowMs,
        FormulaNode expression,
        Comparator comparator,
        double threshold,
        TimeAggregation? changeAggregation = null,
        long shiftMs = 0,
        bool calendarWindow = false,
        AnomalySpec? anomaly = null,
        TopSpec? top = null)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (!Enum.IsDefined(timeAggregation))
        {
            throw new ArgumentOutOfRangeException(nameof(timeAggregation), timeAggregation, "unknown time aggregation");
        }

        if (!Enum.IsDefined(comparator))
        {
            throw new ArgumentOutOfRangeException(nameof(comparator), comparator, "unknown comparator");
        }

        MetricQuery.ValidateWindow(windowMs, nameof(windowMs));
        MetricQuery.ValidateCalendarWindow(calendarWindow, windowMs, timeAggregation);
        if (MetricQuery.IsChange(timeAggregation))
        {
            if (changeAggregation is not { } inner || MetricQuery.IsChange(inner) || !Enum.IsDefined(inner))
            {
                throw new ArgumentException("change and pct_change need an inner aggregation avg, sum, min, max, last or count", nameof(changeAggregation));
            }

            MetricQuery.ValidateWindow(shiftMs, nameof(shiftMs));
        }
        else if (changeAggregation is not null || shiftMs != 0)
        {
            throw new ArgumentException("only change and pct_change have an inner aggregation and a shift", nameof(changeAggregation));
        }

        if (anomaly is not null && top is not null)
        {
            throw new ArgumentException("a query is either anomalies() or top(), not both", nameof(top));
        }

        if (top is not null && (MetricQuery.IsChange(timeAggregation) || calendarWindow))
        {
            throw new ArgumentException("top() reads a plain window (last_…), not change, pct_change or current_…", nameof(top));
        }

        if (anomaly is not null)
        {
            ValidateAnomaly(anomaly, timeAggregation, windowMs, calendarWindow, comparator, threshold);
        }
        else if (expression is OperandNode && top is null)
        {
            throw new ArgumentException("a formula that is one metric query is a MetricQuery", nameof(expression));
        }

        if (expression.NodeCount > QueryLimits.MaxFormulaNodes)
        {
            throw new ArgumentException($"a formula has at most {QueryLimits.MaxFormulaNodes} nodes", nameof(expression));
        }

        if (expression.Depth > QueryLimits.MaxFormulaDepth)
        {
            throw new ArgumentException($"a formula nests at most {QueryLimits.MaxFormulaDepth} parentheses deep", nameof(expression));
        }

        var operands = ImmutableArray.CreateBuilder<OperandNode>();
        CollectOperands(expression, operands);
        if (operands.Count == 0)
        {
            throw new ArgumentException("a formula reads at least one metric query", nameof(expression));
        }

        if (operands.Count > QueryLimits.MaxFormulaOperands)
        {
            throw new ArgumentException($"a formula reads at most {QueryLimits.MaxFormulaOperands} metric queries", nameof(expression));
        }

        var rollupSeconds = 0;
        foreach (var operand in operands)
        {
            if (!operand.GroupBy.AsSpan().SequenceEqual(operands[0].GroupBy.AsSpan()))
            {
                throw new ArgumentException("every metric query of a formula groups by the same tags, in the same order", nameof(expression));
            }

            SeriesModifiers.Validate(operand.Modifiers, windowMs, nameof(expression));
            if (operand.Modifiers.RollupSeconds != 0)
            {
                if (rollupSeconds != 0 && rollupSeconds != operand.Modifiers.RollupSeconds)
                {
                    throw new ArgumentException("the metric queries of a formula that write a rollup interval write the same one", nameof(expression));
                }

                rollupSeconds = operand.Modifiers.RollupSeconds;
            }
        }

        if (!double.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be a finite number");
        }

        TimeAggregation = timeAggregation;
        WindowMs = windowMs;
        ChangeAggregation = changeAggregation;
        ShiftMs = shiftMs;
        CalendarWindow = calendarWindow;
        Anomaly = anomaly;
        Top = top;
        Expression = expression;
        Operands = operands.DrainToImmutable();
        Comparator = comparator;
        Threshold = threshold;
        RollupSeconds = rollupSeconds;
    }

    /// <summary>The rollup interval the formula's queries write (they agree), or 0 when none writes one: the store's bucket.</summary>
    public int RollupSeconds { get; }

    /// <summary>How the formula's values are reduced over the window.</summary>
    public TimeAggregation TimeAggregation { get; }

    /// <summary>Length of the evaluation window (same bounds as <see cref="MetricQuery.WindowMs"/>).</summary>
    public long WindowMs { get; }

    /// <summary>
    /// The window is calendar-aligned (<c>current_1h</c>, <c>current_1d</c>): from the start of the
    /// current UTC hour or day up to the evaluation instant; <see cref="WindowMs"/> is the hour or day.
    /// </summary>
    public bool CalendarWindow { get; }

    /// <summary>For Change/PctChange the aggregation compared across the shift; otherwise null.</summary>
    public TimeAggregation? ChangeAggregation { get; }

    /// <summary>For Change/PctChange how far back the compared window lies; otherwise 0.</summary>
    public long ShiftMs { get; }

    /// <summary>
    /// For <c>anomalies(formula, 'basic', …)</c> its arguments (the formula is then
    /// <see cref="Expression"/>, possibly one metric query); otherwise null.
    /// </summary>
    public AnomalySpec? Anomaly { get; }

    /// <summary>
    /// For <c>top(formula, N, 'reducer', 'dir')</c> its arguments (the formula is then
    /// <see cref="Expression"/>, possibly one metric query); otherwise null.
    /// </summary>
    public TopSpec? Top { get; }

    /// <summary>The formula.</summary>
    public FormulaNode Expression { get; }

    /// <summary>The metric queries of the formula, left to right as written.</summary>
    public ImmutableArray<OperandNode> Operands { get; }

    /// <inheritdoc/>
    public override ImmutableArray<string> GroupBy => Operands[0].GroupBy;

    /// <summary>How the evaluated value is compared with the threshold.</summary>
    public Comparator Comparator { get; }

    /// <summary>The finite threshold written in the query.</summary>
    public double Threshold { get; }

    /// <inheritdoc/>
    public bool Equals(FormulaQuery? other) =>
        other is not null
        && TimeAggregation == other.TimeAggregation
        && WindowMs == other.WindowMs
        && CalendarWindow == other.CalendarWindow
        && ChangeAggregation == other.ChangeAggregation
        && ShiftMs == other.ShiftMs
        && Equals(Anomaly, other.Anomaly)
        && Equals(Top, other.Top)
        && Expression.Equals(other.Expression)
        && Comparator == other.Comparator
        && Threshold.Equals(other.Threshold);

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(HashCode.Combine(TimeAggregation, WindowMs, CalendarWindow, ChangeAggregation, ShiftMs), Anomaly, Top, Expression, Comparator, Threshold);

    /// <summary>The canonical query text.</summary>
    public override string ToString() => QueryFormatter.Format(this);

    // anomalies(...) is a plain windowed query (no change, no calendar window) whose value is a
    // fraction of points, compared as Datadog compares it: `>= threshold` with 0 ≤ threshold ≤ 1.
    private static void ValidateAnomaly(AnomalySpec anomaly, TimeAggregation timeAggregation, long windowMs, bool calendarWindow, Comparator comparator, double threshold)
    {
        if (MetricQuery.IsChange(timeAggregation) || calendarWindow)
        {
            throw new ArgumentException("anomalies() reads a plain window (last_…), not change, pct_change or current_…", nameof(anomaly));
        }

        if (anomaly.AlertWindowMs >= windowMs)
        {
            throw new ArgumentException("the alert_window of anomalies() is shorter than the query's window, which also holds the history", nameof(anomaly));
        }

        if (comparator != Comparator.GreaterOrEqual)
        {
            throw new ArgumentException("an anomalies() monitor compares with '>=' (the fraction of anomalous points)", nameof(comparator));
        }

        if (threshold is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "an anomalies() threshold is a fraction of the alert window's points, 0 to 1");
        }
    }

    private static void CollectOperands(FormulaNode node, ImmutableArray<OperandNode>.Builder into)
    {
        switch (node)
        {
            case OperandNode operand:
                into.Add(operand);
                break;
            case FunctionNode function:
                CollectOperands(function.Argument, into);
                break;
            case BinaryNode binary:
                CollectOperands(binary.Left, into);
                CollectOperands(binary.Right, into);
                break;
        }
    }
}
