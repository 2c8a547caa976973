namespace Alerting.Engine.Monitors;

/// <summary>Why the state machine refused a point, a check run or a command; each is counted, none is silent.</summary>
public enum RejectReason : byte
{
    /// <summary>The value is NaN or ±Infinity.</summary>
    NotFinite,

    /// <summary>Older than logical time − <see cref="IngestLimits.MaxPointAgeMs"/>.</summary>
    TooOld,

    /// <summary>Newer than logical time + <see cref="IngestLimits.MaxPointFutureMs"/>.</summary>
    TooFarInFuture,

    /// <summary>A new series would exceed <see cref="IngestLimits.MaxSeriesPerMetric"/>.</summary>
    SeriesPerMetricLimit,

    /// <summary>A new series would exceed <see cref="IngestLimits.MaxSeriesTotal"/>.</summary>
    SeriesTotalLimit,

    /// <summary>A new series would give a monitor more than <see cref="IngestLimits.MaxGroupsPerMonitor"/> groups.</summary>
    GroupsPerMonitorLimit,

    /// <summary>The metric name or a tag is empty, or the check status is unknown to this version.</summary>
    Malformed,

    /// <summary>A monitor or downtime command that does not validate (counted per command, not per point).</summary>
    InvalidCommand,
}

/// <summary>Wire names of <see cref="RejectReason"/>, as reported to clients and in metrics.</summary>
public static class RejectReasonNames
{
    public const int Count = (int)RejectReason.InvalidCommand + 1;

    public static string Of(RejectReason reason) => reason switch
    {
        RejectReason.NotFinite => "not_finite",
        RejectReason.TooOld => "too_old",
        RejectReason.TooFarInFuture => "too_far_in_future",
        RejectReason.SeriesPerMetricLimit => "series_per_metric_limit",
        RejectReason.SeriesTotalLimit => "series_total_limit",
        RejectReason.GroupsPerMonitorLimit => "groups_per_monitor_limit",
        RejectReason.Malformed => "malformed",
        RejectReason.InvalidCommand => "invalid_command",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}
