namespace Alerting.Engine.Monitors;

/// <summary>
/// Bounds on what the state machine accepts from points and check runs. They decide state, so
/// every replica must run with the same values (they are part of the node's configuration,
/// like the log format).
/// </summary>
public sealed record IngestLimits
{
    /// <summary>Default: points more than 1 h older than logical time are rejected (<c>too_old</c>).</summary>
    public const long DefaultMaxPointAgeMs = 60 * 60 * 1000;

    /// <summary>Default: points more than 60 s ahead of logical time are rejected (<c>too_far_in_future</c>).</summary>
    public const long DefaultMaxPointFutureMs = 60 * 1000;

    public const int DefaultMaxSeriesPerMetric = 100_000;

    public const int DefaultMaxSeriesTotal = 2_000_000;

    public const int DefaultMaxGroupsPerMonitor = 100_000;

    /// <summary>Most monitors one node holds.</summary>
    public const int DefaultMaxMonitors = 2_000_000;

    public long MaxPointAgeMs { get; init; } = DefaultMaxPointAgeMs;

    public long MaxPointFutureMs { get; init; } = DefaultMaxPointFutureMs;

    public int MaxSeriesPerMetric { get; init; } = DefaultMaxSeriesPerMetric;

    public int MaxSeriesTotal { get; init; } = DefaultMaxSeriesTotal;

    public int MaxGroupsPerMonitor { get; init; } = DefaultMaxGroupsPerMonitor;

    public int MaxMonitors { get; init; } = DefaultMaxMonitors;
}
