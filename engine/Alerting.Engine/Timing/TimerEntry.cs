namespace Alerting.Engine.Timing;

/// <summary>
/// One timer of the <see cref="TimingWheel"/> pool: a struct in an array addressed by int index,
/// so scheduling and firing allocate nothing. The due time lives in the timer's slot record
/// (<see cref="DueInstance"/>), which is what a slot scan reads; the entry is touched only to fire.
/// </summary>
internal struct TimerEntry
{
    public long Payload;

    /// <summary>Stable tie-breaker assigned at Schedule: equal due times fire in scheduling order.</summary>
    public long Sequence;

    /// <summary>Period in ms; 0 for a one-shot timer.</summary>
    public long PeriodMs;

    /// <summary>
    /// While <see cref="State"/> is InWheel: position of the timer's record in the slot record pool.
    /// While Free: the next free entry, -1 ending the list.
    /// </summary>
    public int Location;

    /// <summary>Slot whose record list holds the timer (not always its due slot: overdue timers wait in the current one).</summary>
    public int Slot;

    /// <summary>Bumped whenever the timer dies, which makes outstanding handles stale; never 0.</summary>
    public int Generation;

    public TimerState State;
}
