namespace Alerting.Engine.Monitors.Query;

/// <summary>How <c>.as_count()</c> or <c>.as_rate()</c> reads a count or rate metric.</summary>
public enum TypeConversion : byte
{
    /// <summary>Neither is written.</summary>
    None,

    /// <summary><c>.as_count()</c>: a rate series is multiplied by its submission interval, and count and rate series roll up with sum.</summary>
    AsCount,

    /// <summary><c>.as_rate()</c>: a count series is divided by the rollup interval in seconds and rolls up with sum.</summary>
    AsRate,
}

/// <summary>How <c>.fill(...)</c> fills the rollup intervals where a series has no point.</summary>
public enum FillMode : byte
{
    /// <summary>No <c>.fill</c> written.</summary>
    None,

    /// <summary><c>.fill(null)</c>: no filling (written explicitly).</summary>
    Null,

    /// <summary><c>.fill(zero)</c>: a gap reads 0.</summary>
    Zero,

    /// <summary><c>.fill(last)</c>: a gap reads the series' last value before it.</summary>
    Last,
}

/// <summary>
/// The per-series modifiers written after a metric query (Datadog's in-application modifiers):
/// <c>.as_count()</c> / <c>.as_rate()</c>, <c>.rollup(method[, seconds])</c> and
/// <c>.fill(mode[, limit])</c>. <c>default</c> is none of them. What they compute is defined on
/// <c>WindowEvaluator</c> and in docs/query-language.md.
/// </summary>
/// <param name="Conversion">as_count / as_rate, or none.</param>
/// <param name="Rollup">The rollup method (avg, sum, min, max, count), or null for the time aggregation's own.</param>
/// <param name="RollupSeconds">The rollup interval in seconds, or 0 when not written (the store's bucket).</param>
/// <param name="Fill">The fill mode, or <see cref="FillMode.None"/>.</param>
/// <param name="FillLimitSeconds">Longest gap filled, in seconds, or 0 when not written (<see cref="DefaultFillLimitSeconds"/>).</param>
public readonly record struct SeriesModifiers(
    TypeConversion Conversion = TypeConversion.None,
    TimeAggregation? Rollup = null,
    int RollupSeconds = 0,
    FillMode Fill = FillMode.None,
    int FillLimitSeconds = 0)
{
    /// <summary>Datadog's default fill limit: a gap of up to 300 s is filled.</summary>
    public const int DefaultFillLimitSeconds = 300;

    /// <summary>Whether no modifier is written: the query reads its series as a plain metric query does.</summary>
    public bool IsNone => this == default;

    /// <summary>The fill limit that applies: the written one, or <see cref="DefaultFillLimitSeconds"/>.</summary>
    public int EffectiveFillLimitSeconds => FillLimitSeconds == 0 ? DefaultFillLimitSeconds : FillLimitSeconds;

    /// <summary>Checks the bounds the parser checks; the rollup interval is at most <paramref name="windowMs"/>.</summary>
    /// <exception cref="ArgumentException">A field is out of its bounds.</exception>
    internal static void Validate(SeriesModifiers modifiers, long windowMs, string paramName)
    {
        if (!Enum.IsDefined(modifiers.Conversion) || !Enum.IsDefined(modifiers.Fill))
        {
            throw new ArgumentException("unknown type conversion or fill mode", paramName);
        }

        if (modifiers.Rollup is { } method && !IsRollupMethod(method))
        {
            throw new ArgumentException("a rollup method is avg, sum, min, max or count", paramName);
        }

        if (modifiers.RollupSeconds != 0 && (modifiers.Rollup is null || modifiers.RollupSeconds < 1 || (long)modifiers.RollupSeconds * 1_000 > windowMs))
        {
            throw new ArgumentException($"a rollup interval is written with a method and is 1 s to the window ({windowMs / 1_000} s)", paramName);
        }

        if (modifiers.FillLimitSeconds != 0 && (modifiers.Fill is FillMode.None or FillMode.Null || modifiers.FillLimitSeconds < 1 || modifiers.FillLimitSeconds > QueryLimits.MaxFillLimitSeconds))
        {
            throw new ArgumentException($"a fill limit is written with zero or last and is 1 to {QueryLimits.MaxFillLimitSeconds} s", paramName);
        }
    }

    /// <summary>The rollup methods Datadog accepts: avg, sum, min, max, count.</summary>
    internal static bool IsRollupMethod(TimeAggregation method) =>
        method is TimeAggregation.Avg or TimeAggregation.Sum or TimeAggregation.Min or TimeAggregation.Max or TimeAggregation.Count;
}
