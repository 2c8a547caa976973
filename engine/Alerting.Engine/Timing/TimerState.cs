namespace Alerting.Engine.Timing;

/// <summary>Where a pool entry of the <see cref="TimingWheel"/> currently lives.</summary>
internal enum TimerState : byte
{
    /// <summary>On the free list (or never used).</summary>
    Free = 0,

    /// <summary>Has a record in a wheel slot; due later than the wheel has processed (or overdue, waiting for the next Advance).</summary>
    InWheel,

    /// <summary>In the due queue of the running Advance, waiting to fire.</summary>
    InDueQueue,

    /// <summary>Cancelled while in the due queue; returns to the free list when the queue pops it.</summary>
    CancelledInDueQueue,

    /// <summary>Its handler callback is running right now.</summary>
    Firing,
}
