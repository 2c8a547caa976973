namespace Alerting.Notifications;

/// <summary>How a delivery ended. Every accepted delivery ends in exactly one of these, unless the dispatcher is fenced first.</summary>
public enum DeliveryOutcome : byte
{
    /// <summary>The receiver answered 2xx.</summary>
    Delivered = 0,

    /// <summary>The receiver refused it for good (a 4xx other than 408 and 429): retrying would get the same answer.</summary>
    Rejected = 1,

    /// <summary>Retries ran out (<see cref="DeliveryOptions.MaxAttempts"/> or <see cref="DeliveryOptions.MaxAge"/>).</summary>
    Exhausted = 2,

    /// <summary>A newer event of the same key replaced it before it was delivered.</summary>
    Superseded = 3,
}
