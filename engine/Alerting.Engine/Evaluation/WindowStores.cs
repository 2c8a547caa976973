using Alerting.Engine.Monitors;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// The series windows of every retention tier (<see cref="StoreTiers"/>), one store and its
/// evaluator per tier. A series gets a window in a tier when the first monitor reading that
/// tier takes it; a point goes to each window its series has.
/// </summary>
internal sealed class WindowStores
{
    private readonly SeriesStore[] _stores;
    private readonly WindowEvaluator[] _evaluators;

    public WindowStores(IngestLimits limits)
    {
        _stores = new SeriesStore[StoreTiers.Count];
        _evaluators = new WindowEvaluator[StoreTiers.Count];
        for (var tier = 0; tier < StoreTiers.Count; tier++)
        {
            // Points further ahead of logical time wait in FuturePoints until their time comes.
            _stores[tier] = new SeriesStore(StoreTiers.Options(tier, StateMachine.FuturePoints.ArrivalSkewMs, initialCapacity: 64));
            _evaluators[tier] = new WindowEvaluator(_stores[tier]);
        }
    }

    /// <summary>The evaluator of a tier's windows.</summary>
    public WindowEvaluator Evaluator(int tier) => _evaluators[tier];

    public void AdvanceClock(long nowMs)
    {
        foreach (var store in _stores)
        {
            store.AdvanceClock(nowMs);
        }
    }

    /// <summary>The series' window in <paramref name="tier"/>, allocated on first use.</summary>
    public int SlotOf(SeriesEntry entry, int tier)
    {
        if (entry.TierSlots[tier] < 0)
        {
            entry.TierSlots[tier] = _stores[tier].Add();
            _stores[tier].SetType(entry.TierSlots[tier], entry.Type);
        }

        Invariant.Check(_stores[tier].IsLive(entry.TierSlots[tier]), "a series' tier slot is a live window of that tier");
        return entry.TierSlots[tier];
    }

    /// <summary>Copies the series' metric type to each of its windows (after a batch set it, or a snapshot was read).</summary>
    public void SetType(SeriesEntry entry)
    {
        for (var tier = 0; tier < entry.TierSlots.Length; tier++)
        {
            if (entry.TierSlots[tier] >= 0)
            {
                _stores[tier].SetType(entry.TierSlots[tier], entry.Type);
            }
        }
    }

    /// <summary>
    /// Frees the windows of an expired series (each store clears the slot and puts it on its free
    /// list, whose last-in first-out order every replica follows).
    /// </summary>
    public void Release(SeriesEntry entry)
    {
        for (var tier = 0; tier < entry.TierSlots.Length; tier++)
        {
            if (entry.TierSlots[tier] >= 0)
            {
                _stores[tier].Remove(entry.TierSlots[tier]);
                entry.TierSlots[tier] = -1;
            }
        }
    }

    /// <summary>
    /// The longest a point of this series stays in one of its windows after the entry that
    /// brought it: the span of the longest tier it has a window in, plus the accepted clock skew
    /// (a point may be stamped that far ahead of logical time). Zero when it has no window.
    /// </summary>
    public long LongestHoldMs(SeriesEntry entry)
    {
        for (var tier = entry.TierSlots.Length - 1; tier >= 0; tier--)
        {
            if (entry.TierSlots[tier] >= 0)
            {
                var options = _stores[tier].Options;
                return options.RingLength * options.ResolutionMs;
            }
        }

        return 0;
    }

    /// <summary>Writes an admitted point into every window of the series; returns how many tiers could not keep it.</summary>
    public int AddPoint(SeriesEntry entry, long unixMs, double value)
    {
        var outside = 0;
        for (var tier = 0; tier < entry.TierSlots.Length; tier++)
        {
            if (entry.TierSlots[tier] >= 0 && _stores[tier].AddPoint(entry.TierSlots[tier], unixMs, value) != PointResult.Accepted)
            {
                // Older than this tier keeps (or ahead of it): no window of the tier can read it.
                outside++;
            }
        }

        return outside;
    }

    /// <summary>Writes the stores of tiers <paramref name="from"/> … <paramref name="to"/> − 1.</summary>
    public void WriteTiers(BinaryWriter writer, int from, int to)
    {
        for (var tier = from; tier < to; tier++)
        {
            _stores[tier].WriteTo(writer);
        }
    }

    /// <summary>
    /// Tiers <paramref name="from"/> … <paramref name="to"/> − 1 of a snapshot that had none (before
    /// format 17): left empty, their clock where the first tier's is, as if they had always existed.
    /// </summary>
    public void StartEmpty(int from, int to)
    {
        for (var tier = from; tier < to; tier++)
        {
            _stores[tier].AdvanceClock(_stores[0].NowMs);
        }
    }

    /// <summary>
    /// Reads the stores of tiers <paramref name="from"/> … <paramref name="to"/> − 1 written by
    /// <see cref="WriteTiers"/>. A store written with another layout than its tier's today (before
    /// exact windows and 15 s alignment: 1 s buckets up to 1 min, 60 s of future buckets) is
    /// re-bucketed into today's (<see cref="SeriesStore.Relayout"/>), so a restored node aligns
    /// series as one that started empty does.
    /// </summary>
    public void ReadTiers(BinaryReader reader, int from, int to)
    {
        for (var tier = from; tier < to; tier++)
        {
            var store = SeriesStore.ReadFrom(reader);
            var layout = _stores[tier].Options;
            _stores[tier] = store.HasLayout(layout) ? store : store.Relayout(layout) ?? store;
            _evaluators[tier] = new WindowEvaluator(_stores[tier]);
        }
    }
}
