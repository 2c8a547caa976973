namespace Alerting.Engine.Timing;

/// <summary>
/// A timer's next due instant with its sort key and everything its firing needs: the record a
/// wheel slot stores and the item the <see cref="DueQueue"/> orders. Slot scans, heap moves and
/// the firing itself read these contiguous records and never the (cache-cold) pool entry.
/// </summary>
/// <param name="DueMs">Due time of this instance, unix ms.</param>
/// <param name="Sequence">Scheduling order of the timer, the tie-breaker.</param>
/// <param name="Payload">The timer's payload, handed to the handler.</param>
/// <param name="Index">Pool entry of the timer; -1 in a slot position whose record was taken out.</param>
/// <param name="PeriodMs">Period of the timer, 0 for a one-shot.</param>
/// <param name="Generation">Generation of the pool entry when the timer was scheduled (its handle's).</param>
internal readonly record struct DueInstance(long DueMs, long Sequence, long Payload, int Index, int PeriodMs, int Generation)
{
    // Non-short-circuit operators keep the comparison branch-free: heap keys are random, so a
    // branch per term would mispredict about half the time.
    public bool FiresBefore(in DueInstance other) =>
        (DueMs < other.DueMs) | ((DueMs == other.DueMs) & (Sequence < other.Sequence));
}
