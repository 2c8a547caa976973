namespace Alerting.Engine.State;

/// <summary>The group states a downtime's end notifies in (Datadog v2 <c>notify_end_states</c>).</summary>
[Flags]
public enum DowntimeEndStates : byte
{
    None = 0,
    Alert = 1,
    Warn = 2,
    NoData = 4,

    /// <summary>Datadog's default: <c>[alert, no data, warn]</c>.</summary>
    All = Alert | Warn | NoData,
}

/// <summary>Reading <see cref="DowntimeEndStates"/>.</summary>
public static class DowntimeEndStatesExtensions
{
    /// <summary>Whether a group in <paramref name="state"/> is one of these states (OK never is).</summary>
    public static bool Includes(this DowntimeEndStates states, AlertState state) => state switch
    {
        AlertState.Alert => (states & DowntimeEndStates.Alert) != 0,
        AlertState.Warn => (states & DowntimeEndStates.Warn) != 0,
        AlertState.NoData => (states & DowntimeEndStates.NoData) != 0,
        _ => false,
    };
}
