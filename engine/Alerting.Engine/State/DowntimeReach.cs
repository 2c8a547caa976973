using Alerting.Protocol.Log;

namespace Alerting.Engine.State;

/// <summary>
/// Which monitors a downtime command can change the mute of: every monitor (a downtime that
/// names none, before or after the command), or at most two named ones (the monitor named
/// before an edit and the one named after).
/// </summary>
internal readonly record struct DowntimeReach(bool AllMonitors, string? First, string? Second)
{
    /// <summary>The reach of one definition (none for null).</summary>
    public static DowntimeReach Of(Downtime? definition) =>
        definition is null ? default
        : definition.MonitorId.Length == 0 ? new DowntimeReach(AllMonitors: true, null, null)
        : new DowntimeReach(AllMonitors: false, definition.MonitorId, null);

    /// <summary>This reach and that of <paramref name="definition"/>.</summary>
    public DowntimeReach With(Downtime definition)
    {
        var other = Of(definition);
        if (AllMonitors || other.AllMonitors)
        {
            return new DowntimeReach(AllMonitors: true, null, null);
        }

        return First is null || string.Equals(First, other.First, StringComparison.Ordinal)
            ? other
            : this with { Second = other.First };
    }
}
