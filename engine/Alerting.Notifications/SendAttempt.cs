namespace Alerting.Notifications;

/// <summary>How one attempt to hand a notification to a receiver went.</summary>
internal enum SendOutcome : byte
{
    /// <summary>The receiver took it (HTTP 2xx, SMTP 250 after the message).</summary>
    Delivered,

    /// <summary>The receiver refused it for good (HTTP 4xx other than 408/429, SMTP 5xx), or it cannot be built.</summary>
    Rejected,

    /// <summary>Try again later (HTTP 408/429/5xx, SMTP 4xx, network errors, timeouts).</summary>
    Retry,

    /// <summary>The dispatcher stopped (fenced) while it was on the wire; it stays pending.</summary>
    Stopped,
}

/// <param name="StatusCode">The receiver's status (HTTP status, SMTP reply code), 0 when it gave none.</param>
/// <param name="RetryAfter">When the receiver asked for a delay before the next attempt.</param>
internal readonly record struct SendAttempt(SendOutcome Kind, int StatusCode, TimeSpan? RetryAfter, string? Detail);

/// <summary>What an endpoint may use for an attempt: the dispatcher's client, limits, clock and term.</summary>
internal sealed record SendContext(HttpClient Http, DeliveryOptions Options, TimeProvider Time, ulong Term)
{
    public DateTimeOffset Now => Time.GetUtcNow();
}
