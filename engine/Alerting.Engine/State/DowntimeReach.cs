using Alerting.Protocol.Log;

namespace Alerting.Engine.State;

/// <summary>
/// Which groups a downtime command can change the mute of: those of at most two named monitors
/// (the monitor named before an edit and the one named after), those at most two scopes select
/// among every monitor's groups (a downtime that names no monitor but has a scope, found through
/// the group tag index), or every group of every monitor (a downtime with neither).
/// </summary>
internal readonly record struct DowntimeReach(bool AllMonitors, string? First, string? Second, Downtime? FirstScoped = null, Downtime? SecondScoped = null)
{
    /// <summary>The reach of one definition (none for null).</summary>
    public static DowntimeReach Of(Downtime? definition) =>
        definition is null ? default
        : definition.MonitorId.Length > 0 ? new DowntimeReach(AllMonitors: false, definition.MonitorId, null)
        : definition.Scope.Count > 0 ? new DowntimeReach(AllMonitors: false, null, null, definition)
        : new DowntimeReach(AllMonitors: true, null, null);

    /// <summary>This reach (of one definition, or none) and that of <paramref name="definition"/>.</summary>
    public DowntimeReach With(Downtime definition)
    {
        Invariant.Check(Second is null && SecondScoped is null, "a reach is widened once: an edit's old definition by its new one");
        var other = Of(definition);
        if (AllMonitors || other.AllMonitors)
        {
            return new DowntimeReach(AllMonitors: true, null, null);
        }

        var (first, second) = First is null || string.Equals(First, other.First, StringComparison.Ordinal) ? (other.First ?? First, (string?)null) : (First, other.First);
        var (firstScoped, secondScoped) = FirstScoped is null ? (other.FirstScoped, (Downtime?)null) : (FirstScoped, other.FirstScoped);
        return new DowntimeReach(AllMonitors: false, first, second, firstScoped, secondScoped);
    }
}
