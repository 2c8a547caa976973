namespace Alerting.Notifications;

/// <summary>One notification on its way to one endpoint. Mutable fields are guarded by the endpoint queue's lock.</summary>
internal sealed class Delivery(Notification notification, NotificationAction action, DateTimeOffset enqueuedAt)
{
    /// <summary>Replaced (under the lock) when older events are coalesced into it before it is sent.</summary>
    public Notification Notification { get; set; } = notification;

    public NotificationAction Action { get; } = action;

    public DateTimeOffset EnqueuedAt { get; } = enqueuedAt;

    public ulong Number => Notification.Event.TransitionNumber;

    /// <summary>Requests sent so far.</summary>
    public int Attempts { get; set; }

    /// <summary>A request for it is on the wire: it can no longer be recalled, so it cannot be superseded.</summary>
    public bool InFlight { get; set; }

    /// <summary>Taken out of its key's queue by a newer event; its worker must not send it.</summary>
    public bool Removed { get; set; }

    /// <summary>Cancels the backoff wait before its next attempt; set only while the worker waits.</summary>
    public CancellationTokenSource? RetryWait { get; set; }
}
