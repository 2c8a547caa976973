namespace Alerting.Engine.Timing;

/// <summary>
/// A timer's next due instant with its sort key: the record a wheel slot stores and the item the
/// <see cref="DueQueue"/> orders. Slot scans and heap moves read these contiguous records and
/// never chase the (cache-cold) pool entry.
/// </summary>
/// <param name="DueMs">Due time of this instance, unix ms.</param>
/// <param name="Sequence">Scheduling order of the timer, the tie-breaker.</param>
/// <param name="Index">Pool entry of the timer.</param>
/// <param name="PeriodMs">Period of the timer, 0 for a one-shot; an int so the record stays 24 B.</param>
internal readonly record struct DueInstance(long DueMs, long Sequence, int Index, int PeriodMs)
{
    // Non-short-circuit operators keep the comparison branch-free: heap keys are random, so a
    // branch per term would mispredict about half the time.
    public bool FiresBefore(in DueInstance other) =>
        (DueMs < other.DueMs) | ((DueMs == other.DueMs) & (Sequence < other.Sequence));
}
