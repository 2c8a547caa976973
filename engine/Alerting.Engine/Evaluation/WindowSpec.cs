using Alerting.Engine.Monitors;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// What to compute over a group's windows: <c>time(window):space</c>, or for change and
/// pct_change <c>change(inner(window), shift)</c>.
/// </summary>
public readonly record struct WindowSpec
{
    private WindowSpec(TimeAggregation aggregation, TimeAggregation inner, SpaceAggregation space, long windowMs, long shiftMs, bool calendar = false)
    {
        Aggregation = aggregation;
        Inner = inner;
        Space = space;
        WindowMs = windowMs;
        ShiftMs = shiftMs;
        IsCalendar = calendar;
    }

    /// <summary>The time aggregation of the query.</summary>
    public TimeAggregation Aggregation { get; }

    /// <summary>The aggregation applied to each window: <see cref="Aggregation"/> itself, or the inner one of a change.</summary>
    public TimeAggregation Inner { get; }

    /// <summary>How series are combined in each bucket.</summary>
    public SpaceAggregation Space { get; }

    /// <summary>Length of the window in milliseconds (rounded up to whole buckets by the evaluator).</summary>
    public long WindowMs { get; }

    /// <summary>For change and pct_change, how far back the compared window ends; otherwise 0.</summary>
    public long ShiftMs { get; }

    /// <summary>
    /// A calendar-aligned window (<c>current_1h</c>, <c>current_1d</c>): from the last multiple of
    /// <see cref="WindowMs"/> since the epoch (UTC) up to the evaluation instant, rather than the
    /// last <see cref="WindowMs"/>.
    /// </summary>
    public bool IsCalendar { get; }

    /// <summary>Whether this is change or pct_change.</summary>
    public bool IsChange => Aggregation is TimeAggregation.Change or TimeAggregation.PctChange;

    /// <summary>A plain aggregation, e.g. <c>avg(last_5m):max</c>.</summary>
    public static WindowSpec Of(TimeAggregation aggregation, SpaceAggregation space, long windowMs)
    {
        if (aggregation is TimeAggregation.Change or TimeAggregation.PctChange)
        {
            throw new ArgumentException("change and pct_change need an inner aggregation and a shift; use WindowSpec.Change.", nameof(aggregation));
        }

        CheckPositive(windowMs, nameof(windowMs));
        return new WindowSpec(aggregation, aggregation, space, windowMs, 0);
    }

    /// <summary>A calendar-aligned aggregation, e.g. <c>sum(current_1d):sum</c> (see <see cref="IsCalendar"/>).</summary>
    public static WindowSpec Current(TimeAggregation aggregation, SpaceAggregation space, long windowMs)
    {
        var spec = Of(aggregation, space, windowMs);
        return new WindowSpec(spec.Aggregation, spec.Inner, space, windowMs, 0, calendar: true);
    }

    /// <summary>
    /// <c>change(inner(window), shift)</c> or, with <paramref name="percent"/>, pct_change.
    /// </summary>
    public static WindowSpec Change(TimeAggregation inner, SpaceAggregation space, long windowMs, long shiftMs, bool percent)
    {
        if (inner is TimeAggregation.Change or TimeAggregation.PctChange)
        {
            throw new ArgumentException("The inner aggregation of change must be avg, sum, min, max, last or count.", nameof(inner));
        }

        CheckPositive(windowMs, nameof(windowMs));
        CheckPositive(shiftMs, nameof(shiftMs));
        return new WindowSpec(percent ? TimeAggregation.PctChange : TimeAggregation.Change, inner, space, windowMs, shiftMs);
    }

    private static void CheckPositive(long valueMs, string name)
    {
        if (valueMs < 1)
        {
            throw new ArgumentOutOfRangeException(name, valueMs, "Durations must be at least 1 ms.");
        }
    }
}
