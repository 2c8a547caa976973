namespace Alerting.Notifications;

/// <summary>Limits and timings of notification delivery. Every queue and every retry has a limit (DESIGN invariant 7).</summary>
public sealed class DeliveryOptions
{
    /// <summary>Most deliveries waiting or in flight for one endpoint; beyond it an enqueue answers <see cref="EnqueueResult.Overloaded"/>.</summary>
    public int MaxQueuedPerEndpoint { get; init; } = 20_000;

    /// <summary>Most distinct keys (monitor id + group key) with undelivered events for one endpoint.</summary>
    public int MaxKeysPerEndpoint { get; init; } = 10_000;

    /// <summary>Most requests in flight at once to one endpoint; keys beyond it wait their turn.</summary>
    public int MaxConcurrentRequestsPerEndpoint { get; init; } = 16;

    /// <summary>Attempts (the first send included) before a delivery is given up as failed.</summary>
    public int MaxAttempts { get; init; } = 20;

    /// <summary>Age, from enqueue, after which a failing delivery is given up instead of retried.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Backoff before the first retry; it doubles per attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Cap on a receiver's Retry-After, so a bogus header cannot park a key for days.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Timeout of one request, measured on the dispatcher's <see cref="TimeProvider"/>; a timeout is retried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Coalesce a key's waiting events: a newer event of a group replaces the older ones not yet on the wire, and
    /// is sent once, listing their ids (<see cref="Notification.Replaces"/>). Off, every event is sent, in order.
    /// </summary>
    public bool Coalesce { get; init; } = true;

    /// <summary>How far ahead a firing Alertmanager alert's <c>endsAt</c> is set (see <see cref="AlertmanagerPayload"/>).</summary>
    public TimeSpan AlertmanagerFiringHorizon { get; init; } = AlertmanagerPayload.DefaultFiringHorizon;

    internal void Validate()
    {
        if (FindProblem() is { } problem)
        {
            throw new ArgumentOutOfRangeException(problem.Field, problem.Value, problem.Reason);
        }
    }

    /// <summary>
    /// The first unusable limit (its field name, value and what is wrong), or null when every limit is usable.
    /// The one list of rules: the dispatcher checks through it, and the server reports configuration through it.
    /// </summary>
    public DeliveryOptionsProblem? FindProblem() =>
        NotPositive(MaxQueuedPerEndpoint, nameof(MaxQueuedPerEndpoint))
        ?? NotPositive(MaxKeysPerEndpoint, nameof(MaxKeysPerEndpoint))
        ?? NotPositive(MaxConcurrentRequestsPerEndpoint, nameof(MaxConcurrentRequestsPerEndpoint))
        ?? NotPositive(MaxAttempts, nameof(MaxAttempts))
        ?? NotPositive(MaxAge, nameof(MaxAge))
        ?? NotPositive(InitialBackoff, nameof(InitialBackoff))
        ?? NotPositive(RequestTimeout, nameof(RequestTimeout))
        ?? NotPositive(AlertmanagerFiringHorizon, nameof(AlertmanagerFiringHorizon))
        ?? (MaxBackoff < InitialBackoff ? new DeliveryOptionsProblem(nameof(MaxBackoff), MaxBackoff, $"must be at least InitialBackoff ({InitialBackoff})") : null)
        ?? (MaxRetryAfter < TimeSpan.Zero ? new DeliveryOptionsProblem(nameof(MaxRetryAfter), MaxRetryAfter, "must not be negative") : null);

    private static DeliveryOptionsProblem? NotPositive(int value, string name) =>
        value <= 0 ? new DeliveryOptionsProblem(name, value, "must be positive") : null;

    private static DeliveryOptionsProblem? NotPositive(TimeSpan value, string name) =>
        value <= TimeSpan.Zero ? new DeliveryOptionsProblem(name, value, "must be positive") : null;
}

/// <summary>An unusable <see cref="DeliveryOptions"/> limit: the field, its value and what is wrong with it.</summary>
public sealed record DeliveryOptionsProblem(string Field, object Value, string Reason);
