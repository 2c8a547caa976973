namespace Alerting.Engine.Timing;

/// <summary>
/// Sizing of a <see cref="TimingWheel"/>. The defaults (65 536 slots of 10 ms, one revolution
/// ≈ 655 s) keep every timer with an interval up to ~11 min in its first round, and longer
/// intervals (up to 24 h) in a slot list that is scanned once per revolution.
/// </summary>
public sealed class TimingWheelOptions
{
    /// <summary>Smallest allowed <see cref="SlotCountLog2"/>: the occupancy bitmap works in 64-slot words.</summary>
    public const int MinSlotCountLog2 = 6;

    /// <summary>Largest allowed <see cref="SlotCountLog2"/> (16 M slots, 64 MiB of slot heads).</summary>
    public const int MaxSlotCountLog2 = 24;

    /// <summary>Hard ceiling of <see cref="MaxTimers"/>: the pool is indexed by int and the due queue mirrors it.</summary>
    public const int MaxTimersLimit = 1 << 28;

    /// <summary>Width of one slot in ms (the tick granularity). Timers fire at their exact due ms regardless.</summary>
    public int ResolutionMs { get; init; } = 10;

    /// <summary>log2 of the number of slots.</summary>
    public int SlotCountLog2 { get; init; } = 16;

    /// <summary>
    /// Pool entries allocated up front. The pool grows by doubling (allocating once per doubling,
    /// never per schedule or firing) until <see cref="MaxTimers"/>; set both equal for a fixed pool.
    /// </summary>
    public int InitialCapacity { get; init; } = 1024;

    /// <summary>Most live timers at once (plus cancelled ones still queued in a running Advance); Schedule beyond it throws.</summary>
    public int MaxTimers { get; init; } = 1 << 24;

    /// <summary>Longest period accepted by Schedule, at most int.MaxValue ms (~24.8 days); the engine's intervals stop at 24 h.</summary>
    public long MaxPeriodMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    internal void Validate()
    {
        if (ResolutionMs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ResolutionMs), ResolutionMs, "ResolutionMs must be at least 1.");
        }

        if (SlotCountLog2 is < MinSlotCountLog2 or > MaxSlotCountLog2)
        {
            throw new ArgumentOutOfRangeException(nameof(SlotCountLog2), SlotCountLog2, $"SlotCountLog2 must be within [{MinSlotCountLog2}, {MaxSlotCountLog2}].");
        }

        if (MaxTimers is < 1 or > MaxTimersLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTimers), MaxTimers, $"MaxTimers must be within [1, {MaxTimersLimit}].");
        }

        if (InitialCapacity < 1 || InitialCapacity > MaxTimers)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialCapacity), InitialCapacity, "InitialCapacity must be within [1, MaxTimers].");
        }

        if (MaxPeriodMs is < 1 or > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPeriodMs), MaxPeriodMs, $"MaxPeriodMs must be within [1, {int.MaxValue}].");
        }
    }
}
