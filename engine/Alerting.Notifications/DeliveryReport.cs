namespace Alerting.Notifications;

/// <summary>The final outcome of one delivery, for the <c>NotificationDelivered</c> log entry and for metrics.</summary>
/// <param name="Attempts">Requests sent, 0 for a delivery superseded before its first attempt.</param>
/// <param name="StatusCode">HTTP status (SMTP reply code) of the last answer, 0 when there was none (network error, timeout, never sent).</param>
/// <param name="Detail">Why it failed or was superseded (e.g. the superseding transition id); null when delivered.</param>
public readonly record struct DeliveryReport(
    string Endpoint,
    TransitionId Id,
    NotificationAction Action,
    DeliveryOutcome Outcome,
    int Attempts,
    int StatusCode,
    string? Detail)
{
    /// <summary>Log index of the transition event.</summary>
    public long LogIndex { get; init; }

    /// <summary>Older events of the group this delivery was sent in place of (coalesced), settled with it.</summary>
    public IReadOnlyList<TransitionId> Replaces { get; init; } = [];
}
