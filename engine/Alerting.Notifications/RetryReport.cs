namespace Alerting.Notifications;

/// <summary>A failed attempt that will be retried.</summary>
/// <param name="Attempts">Requests sent so far.</param>
/// <param name="StatusCode">HTTP status (SMTP reply code) of the failed attempt, 0 for a network error or timeout.</param>
/// <param name="Delay">Backoff (or honoured Retry-After) before the next attempt.</param>
/// <param name="DueAt">When the next attempt becomes due, on the dispatcher's <see cref="TimeProvider"/>.</param>
public readonly record struct RetryReport(
    string Endpoint,
    TransitionId Id,
    int Attempts,
    int StatusCode,
    TimeSpan Delay,
    DateTimeOffset DueAt,
    string Detail);
