namespace Alerting.Engine.Timing;

/// <summary>Whether a pool entry of the <see cref="TimingWheel"/> belongs to a timer.</summary>
internal enum TimerState : byte
{
    /// <summary>On the free list (or never used).</summary>
    Free = 0,

    /// <summary>
    /// A live timer: its record is in a wheel slot (at <see cref="TimerEntry.Location"/>), or, during an
    /// Advance, in the due batch or due queue or firing. The wheel tells these apart without writing the
    /// entry on the firing path: a slot position taken out holds index -1.
    /// </summary>
    Live,
}
