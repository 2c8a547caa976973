namespace Alerting.Notifications;

/// <summary>
/// The undelivered events of one key (monitor id + group key) for one endpoint, oldest first, and the
/// single worker that sends them one at a time: that is what keeps a key's deliveries in order.
/// Guarded by the endpoint queue's lock.
/// </summary>
internal sealed class KeyQueue(string key)
{
    public string Key { get; } = key;

    /// <summary>Never empty while the key is registered: the worker unregisters the key when it drains it.</summary>
    public List<Delivery> Items { get; } = new(2);

    public Task? Worker { get; set; }
}
