namespace Alerting.Engine.Monitors.Query;

/// <summary>Which side of the expected band counts as an anomaly.</summary>
public enum AnomalyDirection : byte
{
    /// <summary><c>direction='both'</c> (the default): above the upper bound or below the lower one.</summary>
    Both,

    /// <summary><c>direction='above'</c>: above the upper bound only.</summary>
    Above,

    /// <summary><c>direction='below'</c>: below the lower bound only.</summary>
    Below,
}

/// <summary>
/// The arguments of <c>anomalies(query, 'basic', bounds, direction=…, alert_window=…, interval=…,
/// count_default_zero=…)</c>, the whole formula of an anomaly monitor
/// (<see cref="FormulaQuery.Anomaly"/>). Only Datadog's <c>'basic'</c> algorithm exists here: a
/// rolling mean ± <see cref="Bounds"/> standard deviations over the points that precede each point
/// (docs/query-language.md, <i>Anomalies</i>, has the exact definition).
/// </summary>
public sealed record AnomalySpec
{
    /// <summary>Largest <see cref="Bounds"/> accepted (a band wider than that never flags anything).</summary>
    public const double MaxBounds = 100;

    /// <summary>Longest <see cref="IntervalSeconds"/> accepted (a day).</summary>
    public const long MaxIntervalSeconds = 86_400;

    /// <summary>Builds the arguments, checking their bounds.</summary>
    /// <exception cref="ArgumentException">An argument is out of its bounds.</exception>
    public AnomalySpec(double bounds, AnomalyDirection direction, long alertWindowMs, long intervalSeconds = 0, bool countDefaultZero = false)
    {
        if (!double.IsFinite(bounds) || bounds <= 0 || bounds > MaxBounds)
        {
            throw new ArgumentOutOfRangeException(nameof(bounds), bounds, $"the bounds are a number of standard deviations above 0 and at most {MaxBounds}");
        }

        if (!Enum.IsDefined(direction))
        {
            throw new ArgumentOutOfRangeException(nameof(direction), direction, "unknown anomaly direction");
        }

        MetricQuery.ValidateWindow(alertWindowMs, nameof(alertWindowMs));
        if (intervalSeconds is < 0 or > MaxIntervalSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(intervalSeconds), intervalSeconds, $"the interval is 1 to {MaxIntervalSeconds} seconds, or 0 when not written");
        }

        Bounds = bounds;
        Direction = direction;
        AlertWindowMs = alertWindowMs;
        IntervalSeconds = intervalSeconds;
        CountDefaultZero = countDefaultZero;
    }

    /// <summary>Half the width of the expected band, in standard deviations of the history.</summary>
    public double Bounds { get; }

    /// <summary>Which side of the band is anomalous.</summary>
    public AnomalyDirection Direction { get; }

    /// <summary>
    /// <c>alert_window</c>: the newest part of the query's window whose points are judged; the
    /// monitor's value is the fraction of them outside the band. Shorter than the query's window,
    /// whose older part is the history the band comes from.
    /// </summary>
    public long AlertWindowMs { get; }

    /// <summary>
    /// <c>interval</c>: seconds per point, rounded up to whole buckets of the window the monitor
    /// reads (at least one); 0 when not written (one point per bucket).
    /// </summary>
    public long IntervalSeconds { get; }

    /// <summary><c>count_default_zero='true'</c>: a point without data is 0 rather than missing.</summary>
    public bool CountDefaultZero { get; }

    /// <summary>The name of a direction as written in a query.</summary>
    public static string Name(AnomalyDirection direction) => direction switch
    {
        AnomalyDirection.Above => "above",
        AnomalyDirection.Below => "below",
        _ => "both",
    };
}
