using Alerting.Engine.State;

namespace Alerting.Engine.Monitors.Templates;

/// <summary>
/// What one notification knows: the monitor, the group, the value that caused it and the
/// transition. Everything a template reads comes from here, so rendering is a pure function
/// of the template and the context (no clock, no culture).
/// </summary>
public readonly record struct TemplateContext
{
    public required string MonitorId { get; init; }

    public required string MonitorName { get; init; }

    /// <summary>The group key, e.g. <c>host:a,env:prod</c>; <c>*</c> for a monitor without groups.</summary>
    public required string GroupKey { get; init; }

    /// <summary>The group's tags as <c>key:value</c>; <c>{{&lt;key&gt;.name}}</c> reads the first with that key.</summary>
    public required IReadOnlyList<string> GroupTags { get; init; }

    /// <summary>The evaluated value; NaN when there is none (no data), which renders empty.</summary>
    public double Value { get; init; }

    /// <summary>The critical threshold; NaN when there is none, which renders empty.</summary>
    public double Threshold { get; init; }

    /// <summary>The warning threshold; null when the monitor has none, which renders empty.</summary>
    public double? WarningThreshold { get; init; }

    public AlertState State { get; init; }

    public AlertState PreviousState { get; init; }

    public bool IsRenotify { get; init; }

    public bool IsMuted { get; init; }

    /// <summary>The query's comparator as written (<c>&gt;</c>, <c>&gt;=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>==</c>, <c>!=</c>); null renders empty.</summary>
    public string? Comparator { get; init; }

    /// <summary>The critical recovery threshold (check monitors: the OK run count); null when there is none, which renders empty.</summary>
    public double? OkThreshold { get; init; }

    /// <summary>The monitor's priority as defined, 1 (highest) to 5; 0 when unset, which no <c>is_priority</c> matches.</summary>
    public int Priority { get; init; }

    /// <summary>True for a check monitor: <c>is_unknown</c> holds for it in NO DATA, where its UNKNOWN runs lead.</summary>
    public bool IsCheck { get; init; }

    /// <summary>Time of the event the notification is for, unix ms (not the wall clock: replicas must render the same text).</summary>
    public long TimeMs { get; init; }
}
