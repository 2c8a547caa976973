namespace Alerting.Notifications;

/// <summary>A snapshot of one endpoint's delivery counters, for metrics.</summary>
/// <param name="QueueDepth">Deliveries waiting, retrying or in flight now.</param>
/// <param name="Keys">Keys with undelivered events now.</param>
/// <param name="Delivered">Deliveries answered 2xx, since start.</param>
/// <param name="Retried">Failed attempts that were scheduled for a retry, since start.</param>
/// <param name="Failed">Deliveries rejected or exhausted, since start.</param>
/// <param name="Superseded">Deliveries replaced by a newer event of their key, since start.</param>
/// <param name="Overloaded">Enqueues refused by a limit, since start.</param>
public readonly record struct DeliveryCounters(
    string Endpoint,
    int QueueDepth,
    int Keys,
    long Delivered,
    long Retried,
    long Failed,
    long Superseded,
    long Overloaded);
