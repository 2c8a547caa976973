using Alerting.Notifications;
using Alerting.Server.Hosting;

namespace Alerting.Server.Notifications;

/// <summary>
/// The <c>Notifications:Delivery</c> section: delivery limits and timings (docs/notifications.md,
/// "Delivery limits"). Defaults are the library's <see cref="DeliveryOptions"/>; durations bind
/// from <c>hh:mm:ss</c> (e.g. <c>"00:00:10"</c>).
/// </summary>
public sealed class NotificationDeliveryOptions
{
    private static readonly DeliveryOptions Defaults = new();

    /// <summary>Attempts (the first send included) before a delivery is given up and listed as failed.</summary>
    public int MaxAttempts { get; set; } = Defaults.MaxAttempts;

    /// <summary>Age, from enqueue, after which a failing delivery is given up instead of retried.</summary>
    public TimeSpan MaxAge { get; set; } = Defaults.MaxAge;

    /// <summary>Backoff before the first retry; it doubles per attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = Defaults.InitialBackoff;

    public TimeSpan MaxBackoff { get; set; } = Defaults.MaxBackoff;

    /// <summary>Cap on a receiver's Retry-After.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = Defaults.MaxRetryAfter;

    /// <summary>Timeout of one request; a timeout is retried.</summary>
    public TimeSpan RequestTimeout { get; set; } = Defaults.RequestTimeout;

    /// <summary>Deliveries queued (waiting, retrying or in flight) per endpoint; the outbox waits for room beyond it.</summary>
    public int MaxQueuedPerEndpoint { get; set; } = Defaults.MaxQueuedPerEndpoint;

    /// <summary>Groups with queued deliveries per endpoint; the outbox waits for room beyond it.</summary>
    public int MaxKeysPerEndpoint { get; set; } = Defaults.MaxKeysPerEndpoint;

    /// <summary>Requests in flight at once per endpoint.</summary>
    public int MaxConcurrentRequestsPerEndpoint { get; set; } = Defaults.MaxConcurrentRequestsPerEndpoint;

    /// <summary>Events the outbox reads ahead of the queue per endpoint (its coalescing window while the queue is full).</summary>
    public int ReadAhead { get; set; } = 10_000;

    /// <summary>Send only the newest state of a group whose older events are still waiting, listing the ids it replaces.</summary>
    public bool Coalesce { get; set; } = Defaults.Coalesce;

    /// <summary>Checks the section through the library's rules (<see cref="DeliveryOptions.FindProblem"/>); throws <see cref="ServerOptionsException"/> naming the field.</summary>
    public void Validate()
    {
        var problem = ReadAhead <= 0
            ? new DeliveryOptionsProblem(nameof(ReadAhead), ReadAhead, "must be positive")
            : ToDeliveryOptions().FindProblem();
        if (problem is not null)
        {
            throw new ServerOptionsException($"Notifications:Delivery:{problem.Field} {problem.Reason}, was {problem.Value}");
        }
    }

    /// <summary>The library's options; call after <see cref="Validate"/>.</summary>
    public DeliveryOptions ToDeliveryOptions() => new()
    {
        MaxAttempts = MaxAttempts,
        MaxAge = MaxAge,
        InitialBackoff = InitialBackoff,
        MaxBackoff = MaxBackoff,
        MaxRetryAfter = MaxRetryAfter,
        RequestTimeout = RequestTimeout,
        MaxQueuedPerEndpoint = MaxQueuedPerEndpoint,
        MaxKeysPerEndpoint = MaxKeysPerEndpoint,
        MaxConcurrentRequestsPerEndpoint = MaxConcurrentRequestsPerEndpoint,
        Coalesce = Coalesce,
    };
}
