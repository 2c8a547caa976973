namespace Alerting.Engine.StateMachine;

/// <summary>
/// What has been delivered: per notification endpoint and group key
/// (<c>monitor id</c> + <c>group key</c>), the highest transition number whose delivery
/// finished (delivered, refused for good, or superseded by a newer event of the key). Fed by
/// <c>NotificationDelivered</c> entries, so every replica knows it, and a new primary resends
/// only what has a higher number in the history. Part of the state and its snapshots.
/// </summary>
public sealed class DeliveryLedger
{
    /// <summary>Most (endpoint, key) pairs tracked; beyond it new pairs are not added, and counted (they would be resent after a failover: at-least-once).</summary>
    public const int MaxEntries = 4_000_000;

    private readonly SortedDictionary<string, ulong> _done = new(StringComparer.Ordinal);

    /// <summary>Deliveries reported after the ledger was full (they will be resent after a failover).</summary>
    public long Overflowed { get; private set; }

    public int Count => _done.Count;

    /// <summary>The highest finished transition number of the key at the endpoint, 0 when none.</summary>
    public ulong Finished(string endpoint, string monitorId, string groupKey) =>
        _done.TryGetValue(Key(endpoint, monitorId, groupKey), out var number) ? number : 0;

    internal void Record(string endpoint, string monitorId, string groupKey, ulong transitionNumber)
    {
        var key = Key(endpoint, monitorId, groupKey);
        if (_done.TryGetValue(key, out var current))
        {
            if (transitionNumber > current)
            {
                _done[key] = transitionNumber;
            }

            return;
        }

        if (_done.Count >= MaxEntries)
        {
            Overflowed++;
            return;
        }

        _done.Add(key, transitionNumber);
    }

    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(Overflowed);
        writer.Write(_done.Count);
        foreach (var (key, number) in _done)
        {
            writer.Write(key);
            writer.Write(number);
        }
    }

    internal static DeliveryLedger ReadFrom(BinaryReader reader)
    {
        var ledger = new DeliveryLedger { Overflowed = reader.ReadInt64() };
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            ledger._done.Add(reader.ReadString(), reader.ReadUInt64());
        }

        return ledger;
    }

    // The unit separator cannot appear in endpoint names, monitor ids or tags.
    private static string Key(string endpoint, string monitorId, string groupKey) => endpoint + '\u001f' + monitorId + '\u001f' + groupKey;
}
