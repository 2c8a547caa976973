namespace Alerting.Engine.Monitors;

/// <summary>How the points of a group are reduced over the evaluation window.</summary>
public enum TimeAggregation : byte
{
    Avg,
    Sum,
    Min,
    Max,
    Last,
    Count,
    Change,
    PctChange,
}

/// <summary>How the series of one group are combined at each instant.</summary>
public enum SpaceAggregation : byte
{
    Avg,
    Sum,
    Min,
    Max,
}

/// <summary>The comparison between the evaluated value and a threshold.</summary>
public enum Comparator : byte
{
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,

    /// <summary><c>==</c>: breaches at exactly the threshold (no recovery thresholds).</summary>
    Equal,

    /// <summary><c>!=</c>: breaches at any value but the threshold (no recovery thresholds).</summary>
    NotEqual,
}
