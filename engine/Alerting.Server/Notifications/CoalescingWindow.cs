using Alerting.Notifications;

namespace Alerting.Server.Notifications;

/// <summary>
/// The events an endpoint's outbox has read but not yet queued, in log order (by history
/// sequence). With coalescing on, a newer event of a group already waiting here takes the older
/// one's place in the group: the older one is never sent on its own, and the newer one lists it
/// in <see cref="Notification.Replaces"/>. Used by one reader task only.
/// </summary>
internal sealed class CoalescingWindow(bool coalesce)
{
    private readonly SortedDictionary<long, Notification> _bySequence = new();
    private readonly Dictionary<string, long> _sequenceOfKey = new(StringComparer.Ordinal);

    public int Count => _bySequence.Count;

    public void Add(long sequence, Notification notification)
    {
        var key = notification.Id.Key;
        if (coalesce && _sequenceOfKey.Remove(key, out var olderSequence))
        {
            var older = _bySequence[olderSequence];
            _bySequence.Remove(olderSequence);
            // The group's final state is sent at its newest position: per-key order is what receivers rely on.
            notification = notification with { Replaces = [.. older.Replaces, older.Id, .. notification.Replaces] };
        }

        _bySequence.Add(sequence, notification);
        if (coalesce)
        {
            _sequenceOfKey[key] = sequence;
        }
    }

    public bool TryPeek(out Notification notification)
    {
        foreach (var (_, first) in _bySequence)
        {
            notification = first;
            return true;
        }

        notification = null!;
        return false;
    }

    public void RemoveFirst()
    {
        var (sequence, first) = _bySequence.First();
        _bySequence.Remove(sequence);
        if (coalesce && _sequenceOfKey.TryGetValue(first.Id.Key, out var keySequence) && keySequence == sequence)
        {
            _sequenceOfKey.Remove(first.Id.Key);
        }
    }
}
