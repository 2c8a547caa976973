namespace Alerting.Engine.Timing;

/// <summary>
/// One timer of the <see cref="TimingWheel"/> pool. A struct in an array linked by int indices,
/// so scheduling and firing allocate nothing.
/// </summary>
internal struct TimerEntry
{
    /// <summary>Due time of the next instance, unix ms.</summary>
    public long DueMs;

    /// <summary>Period in ms; 0 for a one-shot timer.</summary>
    public long PeriodMs;

    public long Payload;

    /// <summary>Stable tie-breaker assigned at Schedule: equal due times fire in scheduling order.</summary>
    public long Sequence;

    /// <summary>Next entry in the slot list, or in the free list when <see cref="State"/> is Free; -1 ends a list.</summary>
    public int Next;

    /// <summary>Previous entry in the slot list; -1 at the head.</summary>
    public int Prev;

    /// <summary>Slot the entry is linked into (not always DueMs's slot: overdue timers wait in the current slot).</summary>
    public int Slot;

    /// <summary>Bumped whenever the timer dies, which makes outstanding handles stale; never 0.</summary>
    public int Generation;

    public TimerState State;
}
