namespace Alerting.Engine.Timing;

/// <summary>
/// One timer of the <see cref="TimingWheel"/> pool: a struct in an array addressed by int index,
/// so scheduling and firing allocate nothing. Due time and period live in the timer's slot record
/// (<see cref="DueInstance"/>), which is what a slot scan reads; the entry (32 B, two per cache
/// line) is touched only to fire or cancel.
/// </summary>
internal struct TimerEntry
{
    public long Payload;

    /// <summary>Stable tie-breaker assigned at Schedule: equal due times fire in scheduling order.</summary>
    public long Sequence;

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
