using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Monitors;

/// <summary>
/// Datadog's defaults for options a monitor request leaves out, filled in where a definition
/// enters from outside (the monitors API, <c>alertctl test</c>), before it is written to the log.
/// The state machine never applies them: a definition in the log or a snapshot means exactly
/// what it says, so monitors stored before a default existed keep their meaning.
/// </summary>
public static class MonitorDefaults
{
    /// <summary>Datadog's <c>new_group_delay</c> default: a new group's first evaluations are skipped for 60 s.</summary>
    public const long NewGroupDelayMs = 60_000;

    /// <summary>A copy of <paramref name="monitor"/> with every option it leaves out set to its default (the same object when none is missing).</summary>
    public static Monitor Apply(Monitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        if (monitor.Options is { HasNewGroupDelayMs: true } || monitor.Type == "composite")
        {
            // A composite has no new groups of its own to wait for: its members waited (new_group_delay does not apply to it).
            return monitor;
        }

        var filled = monitor.Clone();
        filled.Options ??= new MonitorOptions();
        filled.Options.NewGroupDelayMs = NewGroupDelayMs;
        return filled;
    }
}
