namespace Alerting.Engine.Evaluation;

/// <summary>What happened to a point offered to a <see cref="SeriesStore"/>.</summary>
public enum PointResult : byte
{
    /// <summary>The point was folded into its bucket.</summary>
    Accepted,

    /// <summary>The point's bucket is older than the retained range; dropped.</summary>
    TooOld,

    /// <summary>The point's bucket is further ahead of the store clock than allowed; dropped.</summary>
    TooFarInFuture,

    /// <summary>The value is NaN or infinite; dropped (it would poison min, max and sums).</summary>
    NotFinite,
}
