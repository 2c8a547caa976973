namespace Alerting.Engine.Timing;

/// <summary>
/// A timer's next due instant with its sort key: the record a wheel slot stores and the item the
/// <see cref="DueQueue"/> orders. Slot scans and heap moves read these contiguous records and
/// never chase the (cache-cold) pool entry.
/// </summary>
internal readonly record struct DueInstance(long DueMs, long Sequence, int Index)
{
    public bool FiresBefore(in DueInstance other) =>
        DueMs < other.DueMs || (DueMs == other.DueMs && Sequence < other.Sequence);
}
