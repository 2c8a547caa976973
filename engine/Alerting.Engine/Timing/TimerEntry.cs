namespace Alerting.Engine.Timing;

/// <summary>
/// One timer of the <see cref="TimingWheel"/> pool: a struct in an array addressed by int index,
/// so scheduling and firing allocate nothing. Payload, due time, period, sequence and generation
/// travel in the timer's record (<see cref="DueInstance"/>), so a firing reads no entry; the entry
/// is written when the timer is re-armed into a slot (where its record now is) and read by Cancel.
/// </summary>
internal struct TimerEntry
{
    /// <summary>
    /// While live: position of the timer's record in the slot record pool, when it is in a slot
    /// (valid only if that position still holds this entry's index). While Free: the next free
    /// entry, -1 ending the list.
    /// </summary>
    public int Location;

    /// <summary>Slot whose record list holds the timer (not always its due slot: overdue timers wait in the current one).</summary>
    public int Slot;

    /// <summary>Bumped whenever the timer dies, which makes outstanding handles stale; never 0.</summary>
    public int Generation;

    public TimerState State;
}
