namespace Alerting.Notifications;

/// <summary>The per-key queues of one endpoint, its concurrency limit and its counters. The instance is its own lock.</summary>
internal sealed class EndpointQueue(NotificationEndpoint endpoint, int maxConcurrentRequests) : IDisposable
{
    public NotificationEndpoint Endpoint { get; } = endpoint;

    public Dictionary<string, KeyQueue> Keys { get; } = new(StringComparer.Ordinal);

    /// <summary>Deliveries waiting, retrying or in flight, over all keys.</summary>
    public int Depth { get; set; }

    /// <summary>Completed when a delivery leaves the queue; set by a caller of <c>WhenRoomAsync</c> that found it full.</summary>
    public TaskCompletionSource? RoomFreed { get; set; }

    public SemaphoreSlim Concurrency { get; } = new(maxConcurrentRequests, maxConcurrentRequests);

    public long Delivered;
    public long Retried;
    public long Failed;
    public long Superseded;
    public long Overloaded;

    public void Dispose() => Concurrency.Dispose();
}
