using Alerting.Engine.State;

namespace Alerting.Notifications;

/// <summary>Which transitions notify, and how severe they are.</summary>
public static class NotificationPolicy
{
    /// <summary>
    /// <see cref="TransitionEvent.Notify"/> false (muted or flapping) sends nothing; WARN, ALERT and NO_DATA
    /// trigger (a renotification triggers again); OK after a non-OK state resolves.
    /// </summary>
    public static NotificationAction ActionOf(in TransitionEvent transition)
    {
        if (!transition.Notify)
        {
            return NotificationAction.None;
        }

        if (transition.Next != AlertState.Ok)
        {
            return NotificationAction.Trigger;
        }

        return transition.Previous != AlertState.Ok ? NotificationAction.Resolve : NotificationAction.None;
    }

    /// <summary>
    /// The severity of a state, in PagerDuty's vocabulary (also the Alertmanager <c>severity</c> label).
    /// NO_DATA is a warning: the monitor cannot tell whether the condition holds.
    /// </summary>
    public static string SeverityOf(AlertState state) => state switch
    {
        AlertState.Alert => "critical",
        AlertState.Warn => "warning",
        AlertState.NoData => "warning",
        AlertState.Ok => "info",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "unknown alert state"),
    };

    /// <summary>The state's name as it appears in payloads.</summary>
    public static string NameOf(AlertState state) => state switch
    {
        AlertState.Ok => "OK",
        AlertState.Warn => "WARN",
        AlertState.Alert => "ALERT",
        AlertState.NoData => "NO_DATA",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "unknown alert state"),
    };
}
