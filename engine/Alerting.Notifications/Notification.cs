using Alerting.Engine.State;

namespace Alerting.Notifications;

/// <summary>
/// One durable transition event with what a notification needs beside it: the monitor's name and
/// tags and the already rendered message (templates are rendered before the dispatcher sees it).
/// </summary>
/// <param name="Event">The transition, emitted only once its log entry is durable (DESIGN invariant 3).</param>
/// <param name="MonitorName">Display name; empty when the monitor has none (the id is used instead).</param>
/// <param name="MonitorTags">The monitor's tags as <c>key:value</c> (or a bare <c>key</c>).</param>
/// <param name="Message">The rendered message text.</param>
public sealed record Notification(TransitionEvent Event, string MonitorName, IReadOnlyList<string> MonitorTags, string Message)
{
    public TransitionId Id => new(Event.MonitorId, Event.GroupKey, Event.TransitionNumber);

    /// <summary>
    /// Older events of the same group this one is sent in place of (coalesced under a storm: they were
    /// still waiting when this newer state arrived), oldest first. Payloads list them, so a receiver knows
    /// what it will never see on its own.
    /// </summary>
    public IReadOnlyList<TransitionId> Replaces { get; init; } = [];

    /// <summary>The monitor's critical threshold, null when it has none (payload templates show it).</summary>
    public double? Critical { get; init; }

    /// <summary>The monitor's warning threshold, null when it has none.</summary>
    public double? Warning { get; init; }

    /// <summary>The monitor name, or its id when it has no name.</summary>
    public string DisplayName => string.IsNullOrEmpty(MonitorName) ? Event.MonitorId : MonitorName;
}
