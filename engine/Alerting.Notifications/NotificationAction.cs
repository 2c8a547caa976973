namespace Alerting.Notifications;

/// <summary>What a transition asks of a notification endpoint.</summary>
public enum NotificationAction : byte
{
    /// <summary>Nothing is sent: the group is muted or flapping, or the event does not leave OK.</summary>
    None = 0,

    /// <summary>Open or refresh the alert (WARN, ALERT, NO_DATA, or a renotification).</summary>
    Trigger = 1,

    /// <summary>Close the alert (OK after a non-OK state).</summary>
    Resolve = 2,
}
