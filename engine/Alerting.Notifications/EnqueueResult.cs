namespace Alerting.Notifications;

/// <summary>The answer to handing one notification to the dispatcher.</summary>
public enum EnqueueResult : byte
{
    /// <summary>Queued; its outcome will be reported to the <see cref="IDeliveryRecorder"/>.</summary>
    Accepted = 0,

    /// <summary>The transition does not notify (muted, flapping, or OK to OK); nothing is queued or recorded.</summary>
    NotNotified = 1,

    /// <summary>The endpoint's queue or key limit is reached; nothing was queued. The event stays undelivered in the log.</summary>
    Overloaded = 2,

    /// <summary>The dispatcher is fenced or stopped; nothing is sent by this node any more.</summary>
    Fenced = 3,

    /// <summary>The same transition is already queued for this endpoint (a resume overlapping live events).</summary>
    Duplicate = 4,

    /// <summary>A newer event of the same key is already queued; this one was recorded as superseded at once.</summary>
    Stale = 5,
}
