using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// Writes a query in canonical text: no optional whitespace except around <c>by</c> and the
/// comparator, windows in the largest unit that divides them exactly (300 000 ms is
/// <c>last_5m</c>), thresholds in the shortest invariant form that parses back to the same
/// double. <c>QueryParser.Parse(Format(q))</c> equals <c>q</c>, and formatting a parsed
/// canonical text gives the same text back.
/// </summary>
public static class QueryFormatter
{
    private const long SecondMs = 1_000;
    private const long MinuteMs = 60 * SecondMs;
    private const long HourMs = 60 * MinuteMs;
    private const long DayMs = 24 * HourMs;
    private const long WeekMs = 7 * DayMs;

    /// <summary>The canonical text of <paramref name="query"/>.</summary>
    public static string Format(MonitorQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var text = new StringBuilder(64);
        switch (query)
        {
            case MetricQuery metric:
                AppendMetric(text, metric);
                break;
            case FormulaQuery formula:
                AppendFormula(text, formula);
                break;
            case CheckQuery check:
                AppendCheck(text, check);
                break;
            case CompositeQuery composite:
                CompositeFormatter.Append(text, composite.Expression);
                break;
            case PercentileQuery percentile:
                AppendPercentile(text, percentile);
                break;
            default:
                throw new UnreachableException($"MonitorQuery has only five kinds, got {query.GetType().Name}");
        }

        return text.ToString();
    }

    /// <summary>The window as <c>last_&lt;n&gt;&lt;unit&gt;</c>, e.g. <c>last_5m</c> for 300 000 ms.</summary>
    public static string FormatWindow(long windowMs)
    {
        var text = new StringBuilder(12);
        AppendWindow(text, windowMs);
        return text.ToString();
    }

    /// <summary>The query-language name of a time aggregation, e.g. <c>pct_change</c>.</summary>
    public static string Name(TimeAggregation aggregation) => aggregation switch
    {
        TimeAggregation.Avg => "avg",
        TimeAggregation.Sum => "sum",
        TimeAggregation.Min => "min",
        TimeAggregation.Max => "max",
        TimeAggregation.Last => "last",
        TimeAggregation.Count => "count",
        TimeAggregation.Change => "change",
        TimeAggregation.PctChange => "pct_change",
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "unknown time aggregation"),
    };

    /// <summary>The query-language name of a space aggregation, e.g. <c>avg</c>.</summary>
    public static string Name(SpaceAggregation aggregation) => aggregation switch
    {
        SpaceAggregation.Avg => "avg",
        SpaceAggregation.Sum => "sum",
        SpaceAggregation.Min => "min",
        SpaceAggregation.Max => "max",
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "unknown space aggregation"),
    };

    /// <summary>The comparator's symbol, e.g. <c>&gt;=</c>.</summary>
    public static string Symbol(Comparator comparator) => comparator switch
    {
        Comparator.Greater => ">",
        Comparator.GreaterOrEqual => ">=",
        Comparator.Less => "<",
        Comparator.LessOrEqual => "<=",
        Comparator.Equal => "==",
        Comparator.NotEqual => "!=",
        _ => throw new ArgumentOutOfRangeException(nameof(comparator), comparator, "unknown comparator"),
    };

    /// <summary>The function's name in a formula, e.g. <c>default_zero</c>; negation is written <c>-</c>.</summary>
    public static string Name(FormulaFunction function) => function switch
    {
        FormulaFunction.Negate => "-",
        FormulaFunction.Abs => "abs",
        FormulaFunction.Log2 => "log2",
        FormulaFunction.Log10 => "log10",
        FormulaFunction.DefaultZero => "default_zero",
        FormulaFunction.PerSecond => "per_second",
        FormulaFunction.PerMinute => "per_minute",
        FormulaFunction.Diff => "diff",
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, "unknown formula function"),
    };

    /// <summary>The operator's symbol, e.g. <c>/</c>.</summary>
    public static char Symbol(FormulaOperator op) => op switch
    {
        FormulaOperator.Add => '+',
        FormulaOperator.Subtract => '-',
        FormulaOperator.Multiply => '*',
        FormulaOperator.Divide => '/',
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown formula operator"),
    };

    private static void AppendMetric(StringBuilder text, MetricQuery query)
    {
        AppendTimeAggregation(text, query.TimeAggregation, query.ChangeAggregation, query.WindowMs, query.ShiftMs, query.CalendarWindow);
        AppendOperand(text, query.SpaceAggregation, query.Metric, query.Scope, query.GroupBy, query.Modifiers);
        AppendCondition(text, query.Comparator, query.Threshold);
    }

    // percentile(last_…):pNN[.NN]:metric{scope}[ by {tags}] comparator threshold
    private static void AppendPercentile(StringBuilder text, PercentileQuery query)
    {
        text.Append("percentile(");
        AppendWindow(text, query.WindowMs);
        text.Append("):").Append(PercentileQuery.FormatPercentile(query.PercentileHundredths)).Append(':').Append(query.Metric).Append('{');
        AppendFilters(text, query.Scope, quoted: false);
        text.Append('}');
        if (!query.GroupBy.IsEmpty)
        {
            text.Append(" by {");
            AppendList(text, query.GroupBy, quoted: false);
            text.Append('}');
        }

        AppendCondition(text, query.Comparator, query.Threshold);
    }

    private static void AppendFormula(StringBuilder text, FormulaQuery query)
    {
        AppendTimeAggregation(text, query.TimeAggregation, query.ChangeAggregation, query.WindowMs, query.ShiftMs, query.CalendarWindow);
        if (query.Anomaly is { } anomaly)
        {
            AppendAnomalies(text, query.Expression, anomaly);
        }
        else if (query.Top is { } top)
        {
            AppendTop(text, query.Expression, top);
        }
        else
        {
            AppendNode(text, query.Expression);
        }

        AppendCondition(text, query.Comparator, query.Threshold);
    }

    // anomalies(formula,'basic',bounds,direction='…',alert_window='last_…'[,interval=n][,count_default_zero='true']):
    // every argument that has a default is written only when it differs from it, except direction
    // and alert_window, which Datadog always writes.
    // top(formula,N,'reducer','desc'|'asc'): every argument, as Datadog writes them.
    private static void AppendTop(StringBuilder text, FormulaNode expression, TopSpec top)
    {
        text.Append("top(");
        AppendNode(text, expression);
        text.Append(',').Append(top.Limit.ToString(CultureInfo.InvariantCulture))
            .Append(",'").Append(TopSpec.Name(top.Reducer)).Append("','")
            .Append(top.Descending ? "desc" : "asc").Append("')");
    }

    private static void AppendAnomalies(StringBuilder text, FormulaNode expression, AnomalySpec anomaly)
    {
        text.Append("anomalies(");
        AppendNode(text, expression);
        text.Append(",'basic',").Append(anomaly.Bounds.ToString("R", CultureInfo.InvariantCulture));
        text.Append(",direction='").Append(AnomalySpec.Name(anomaly.Direction)).Append("',alert_window='");
        AppendWindow(text, anomaly.AlertWindowMs);
        text.Append('\'');
        if (anomaly.IntervalSeconds != 0)
        {
            text.Append(",interval=").Append(anomaly.IntervalSeconds.ToString(CultureInfo.InvariantCulture));
        }

        if (anomaly.CountDefaultZero)
        {
            text.Append(",count_default_zero='true'");
        }

        text.Append(')');
    }

    private static void AppendTimeAggregation(StringBuilder text, TimeAggregation aggregation, TimeAggregation? changeAggregation, long windowMs, long shiftMs, bool calendarWindow)
    {
        text.Append(Name(aggregation)).Append('(');
        if (calendarWindow)
        {
            text.Append(windowMs == QueryLimits.DayMs ? "current_1d" : "current_1h");
        }
        else if (changeAggregation is { } inner)
        {
            text.Append(Name(inner)).Append('(');
            AppendWindow(text, windowMs);
            text.Append("),");
            AppendWindow(text, shiftMs);
        }
        else
        {
            AppendWindow(text, windowMs);
        }

        text.Append("):");
    }

    private static void AppendOperand(StringBuilder text, SpaceAggregation space, string metric, ImmutableArray<TagFilter> scope, ImmutableArray<string> groupBy, SeriesModifiers modifiers)
    {
        text.Append(Name(space)).Append(':').Append(metric).Append('{');
        AppendFilters(text, scope, quoted: false);
        text.Append('}');
        if (!groupBy.IsEmpty)
        {
            text.Append(" by {");
            AppendList(text, groupBy, quoted: false);
            text.Append('}');
        }

        AppendModifiers(text, modifiers);
    }

    // After the group-by, in the order as_count/as_rate, rollup, fill; no spaces.
    private static void AppendModifiers(StringBuilder text, SeriesModifiers modifiers)
    {
        switch (modifiers.Conversion)
        {
            case TypeConversion.AsCount:
                text.Append(".as_count()");
                break;
            case TypeConversion.AsRate:
                text.Append(".as_rate()");
                break;
        }

        if (modifiers.Rollup is { } method)
        {
            text.Append(".rollup(").Append(Name(method));
            if (modifiers.RollupSeconds != 0)
            {
                text.Append(',').Append(modifiers.RollupSeconds.ToString(CultureInfo.InvariantCulture));
            }

            text.Append(')');
        }

        if (modifiers.Fill != FillMode.None)
        {
            text.Append(".fill(").Append(Name(modifiers.Fill));
            if (modifiers.FillLimitSeconds != 0)
            {
                text.Append(',').Append(modifiers.FillLimitSeconds.ToString(CultureInfo.InvariantCulture));
            }

            text.Append(')');
        }
    }

    /// <summary>The query-language name of a fill mode, e.g. <c>zero</c>.</summary>
    public static string Name(FillMode mode) => mode switch
    {
        FillMode.Null => "null",
        FillMode.Zero => "zero",
        FillMode.Last => "last",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "no fill is written"),
    };

    private static void AppendCondition(StringBuilder text, Comparator comparator, double threshold) =>
        text.Append(' ').Append(Symbol(comparator)).Append(' ').Append(threshold.ToString("R", CultureInfo.InvariantCulture));

    // Parentheses only where precedence or left-associativity needs them (FormulaNode.NeedsParentheses),
    // so the nesting of the text is the node's Depth.
    private static void AppendNode(StringBuilder text, FormulaNode node)
    {
        switch (node)
        {
            case OperandNode operand:
                AppendOperand(text, operand.Space, operand.Metric, operand.Scope, operand.GroupBy, operand.Modifiers);
                break;
            case ConstantNode constant:
                text.Append(constant.Value.ToString("R", CultureInfo.InvariantCulture));
                break;
            case FunctionNode { Function: FormulaFunction.Negate } negation:
                text.Append('-');
                AppendWrapped(text, negation.Argument, FormulaNode.NegationNeedsParentheses(negation.Argument));
                break;
            case FunctionNode function:
                text.Append(Name(function.Function));
                AppendWrapped(text, function.Argument, wrap: true);
                break;
            case BinaryNode binary:
                AppendWrapped(text, binary.Left, FormulaNode.NeedsParentheses(binary.Left, binary.Operator, right: false));
                text.Append(' ').Append(Symbol(binary.Operator)).Append(' ');
                AppendWrapped(text, binary.Right, FormulaNode.NeedsParentheses(binary.Right, binary.Operator, right: true));
                break;
            default:
                throw new UnreachableException($"FormulaNode has four kinds, got {node.GetType().Name}");
        }
    }

    private static void AppendWrapped(StringBuilder text, FormulaNode node, bool wrap)
    {
        if (wrap)
        {
            text.Append('(');
        }

        AppendNode(text, node);
        if (wrap)
        {
            text.Append(')');
        }
    }

    private static void AppendCheck(StringBuilder text, CheckQuery query)
    {
        text.Append('"').Append(query.CheckName).Append("\".over(");
        AppendFilters(text, query.Over, quoted: true);
        text.Append(')');
        if (!query.GroupBy.IsEmpty)
        {
            text.Append(".by(");
            AppendList(text, query.GroupBy, quoted: true);
            text.Append(')');
        }

        text.Append(".last(").Append(query.Last.ToString(CultureInfo.InvariantCulture)).Append(").count_by_status()");
    }

    private static void AppendWindow(StringBuilder text, long windowMs)
    {
        Invariant.Check(windowMs >= QueryLimits.MinWindowMs && windowMs % SecondMs == 0, "windows are whole seconds");
        (long unitMs, char unit) = windowMs % WeekMs == 0 ? (WeekMs, 'w')
            : windowMs % DayMs == 0 ? (DayMs, 'd')
            : windowMs % HourMs == 0 ? (HourMs, 'h')
            : windowMs % MinuteMs == 0 ? (MinuteMs, 'm')
            : (SecondMs, 's');
        text.Append("last_").Append((windowMs / unitMs).ToString(CultureInfo.InvariantCulture)).Append(unit);
    }

    private static void AppendFilters(StringBuilder text, ImmutableArray<TagFilter> filters, bool quoted)
    {
        for (int i = 0; i < filters.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            if (quoted)
            {
                text.Append('"');
            }

            text.Append(filters[i].ToString());
            if (quoted)
            {
                text.Append('"');
            }
        }
    }

    private static void AppendList(StringBuilder text, ImmutableArray<string> items, bool quoted)
    {
        for (int i = 0; i < items.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            if (quoted)
            {
                text.Append('"').Append(items[i]).Append('"');
            }
            else
            {
                text.Append(items[i]);
            }
        }
    }
}
