using System.Collections.Immutable;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// A metric monitor query:
/// <c>time_aggregation(window):space_aggregation:metric{scope} [by {tags}] comparator threshold</c>.
/// </summary>
/// <remarks>
/// At each evaluation the series matching <see cref="Scope"/> are split into groups by
/// <see cref="GroupBy"/>, combined at each instant with <see cref="SpaceAggregation"/>, reduced
/// over the window with <see cref="TimeAggregation"/>, and compared with <see cref="Threshold"/>.
/// <para>
/// <c>change(inner(last_W),last_S)</c> evaluates to <c>inner over (now − W, now]</c> minus
/// <c>inner over (now − S − W, now − S]</c>: the same window shifted back by the shift
/// timeframe S. <c>pct_change</c> is that difference divided by the absolute earlier value,
/// times 100. Here <see cref="TimeAggregation"/> is Change or PctChange,
/// <see cref="ChangeAggregation"/> is the inner aggregation, <see cref="WindowMs"/> is W and
/// <see cref="ShiftMs"/> is S.
/// </para>
/// </remarks>
public sealed record MetricQuery : MonitorQuery
{
    /// <summary>Builds a query, checking every bound the parser checks.</summary>
    /// <exception cref="ArgumentException">A field breaks a rule of the language.</exception>
    public MetricQuery(
        TimeAggregation timeAggregation,
        long windowMs,
        SpaceAggregation spaceAggregation,
        string metric,
        ImmutableArray<TagFilter> scope,
        ImmutableArray<string> groupBy,
        Comparator comparator,
        double threshold,
        TimeAggregation? changeAggregation = null,
        long shiftMs = 0,
        bool calendarWindow = false,
        SeriesModifiers modifiers = default)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (!Enum.IsDefined(timeAggregation))
        {
            throw new ArgumentOutOfRangeException(nameof(timeAggregation), timeAggregation, "unknown time aggregation");
        }

        if (!Enum.IsDefined(spaceAggregation))
        {
            throw new ArgumentOutOfRangeException(nameof(spaceAggregation), spaceAggregation, "unknown space aggregation");
        }

        if (!Enum.IsDefined(comparator))
        {
            throw new ArgumentOutOfRangeException(nameof(comparator), comparator, "unknown comparator");
        }

        ValidateWindow(windowMs, nameof(windowMs));
        ValidateCalendarWindow(calendarWindow, windowMs, timeAggregation);
        SeriesModifiers.Validate(modifiers, windowMs, nameof(modifiers));
        if (IsChange(timeAggregation))
        {
            if (changeAggregation is not { } inner || IsChange(inner) || !Enum.IsDefined(inner))
            {
                throw new ArgumentException("change and pct_change need an inner aggregation avg, sum, min, max, last or count", nameof(changeAggregation));
            }

            ValidateWindow(shiftMs, nameof(shiftMs));
        }
        else if (changeAggregation is not null || shiftMs != 0)
        {
            throw new ArgumentException("only change and pct_change have an inner aggregation and a shift", nameof(changeAggregation));
        }

        ValidateMetricName(metric, nameof(metric));

        if (!double.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be a finite number");
        }

        TimeAggregation = timeAggregation;
        WindowMs = windowMs;
        ChangeAggregation = changeAggregation;
        ShiftMs = shiftMs;
        CalendarWindow = calendarWindow;
        SpaceAggregation = spaceAggregation;
        Metric = metric;
        Scope = ValidateScope(scope, nameof(scope));
        GroupBy = ValidateGroupBy(groupBy, nameof(groupBy));
        Comparator = comparator;
        Threshold = threshold;
        Modifiers = modifiers;
    }

    /// <summary>The modifiers written after the query: <c>.as_count()</c>, <c>.rollup(...)</c>, <c>.fill(...)</c>.</summary>
    public SeriesModifiers Modifiers { get; }

    /// <summary>How points are reduced over the window (Change/PctChange: see the remarks).</summary>
    public TimeAggregation TimeAggregation { get; }

    /// <summary>Length of the evaluation window, a whole number of seconds in [<see cref="QueryLimits.MinWindowMs"/>, <see cref="QueryLimits.MaxWindowMs"/>].</summary>
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

    /// <summary>How the series of one group are combined at each instant.</summary>
    public SpaceAggregation SpaceAggregation { get; }

    /// <summary>The metric name.</summary>
    public string Metric { get; }

    /// <summary>The series filters, ANDed; a single <see cref="TagFilter.Any"/> for <c>{*}</c>.</summary>
    public ImmutableArray<TagFilter> Scope { get; }

    /// <inheritdoc/>
    public override ImmutableArray<string> GroupBy { get; }

    /// <summary>How the evaluated value is compared with the threshold.</summary>
    public Comparator Comparator { get; }

    /// <summary>The finite threshold written in the query.</summary>
    public double Threshold { get; }

    internal static bool IsChange(TimeAggregation aggregation) =>
        aggregation is TimeAggregation.Change or TimeAggregation.PctChange;

    /// <inheritdoc/>
    public bool Equals(MetricQuery? other) =>
        other is not null
        && TimeAggregation == other.TimeAggregation
        && WindowMs == other.WindowMs
        && CalendarWindow == other.CalendarWindow
        && ChangeAggregation == other.ChangeAggregation
        && ShiftMs == other.ShiftMs
        && SpaceAggregation == other.SpaceAggregation
        && string.Equals(Metric, other.Metric, StringComparison.Ordinal)
        && SequenceEqual(Scope, other.Scope)
        && SequenceEqual(GroupBy, other.GroupBy)
        && Comparator == other.Comparator
        && Threshold.Equals(other.Threshold)
        && Modifiers == other.Modifiers;

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(TimeAggregation);
        hash.Add(WindowMs);
        hash.Add(CalendarWindow);
        hash.Add(ChangeAggregation);
        hash.Add(ShiftMs);
        hash.Add(SpaceAggregation);
        hash.Add(Metric, StringComparer.Ordinal);
        AddAll(ref hash, Scope);
        AddAll(ref hash, GroupBy);
        hash.Add(Comparator);
        hash.Add(Threshold);
        hash.Add(Modifiers);
        return hash.ToHashCode();
    }

    /// <summary>The canonical query text.</summary>
    public override string ToString() => QueryFormatter.Format(this);

    /// <summary>A calendar window is <c>current_1h</c> or <c>current_1d</c>, and not the window of a change.</summary>
    internal static void ValidateCalendarWindow(bool calendarWindow, long windowMs, TimeAggregation timeAggregation)
    {
        if (calendarWindow && (windowMs is not (QueryLimits.HourMs or QueryLimits.DayMs) || IsChange(timeAggregation)))
        {
            throw new ArgumentException("a calendar window is current_1h or current_1d, and change and pct_change take last_ windows", nameof(calendarWindow));
        }
    }

    internal static void ValidateMetricName(string metric, string paramName)
    {
        if (!QueryCharset.IsMetricName(metric))
        {
            throw new ArgumentException(
                $"metric '{metric}' must start with a letter, contain only ASCII letters, digits, '_', '.', and be at most {QueryLimits.MaxMetricNameLength} characters",
                paramName);
        }
    }

    internal static void ValidateWindow(long ms, string paramName)
    {
        if (ms < QueryLimits.MinWindowMs || ms > QueryLimits.MaxWindowMs || ms % 1_000 != 0)
        {
            throw new ArgumentOutOfRangeException(
                paramName, ms, $"must be a whole number of seconds between {QueryLimits.MinWindowMs} ms and {QueryLimits.MaxWindowMs} ms");
        }
    }
}
