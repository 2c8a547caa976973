namespace Alerting.Engine.Timing;

/// <summary>
/// Identifies one scheduled timer in a <see cref="TimingWheel"/>. The generation makes a handle
/// stale once its timer is cancelled or has fired for the last time, so a stale handle can never
/// cancel a later timer that reuses the same pool slot. <c>default</c> is never a live handle.
/// </summary>
public readonly record struct TimerHandle
{
    internal TimerHandle(int index, int generation)
    {
        Index = index;
        Generation = generation;
    }

    /// <summary>Index of the timer's entry in the wheel's pool.</summary>
    public int Index { get; }

    /// <summary>Generation of the pool entry when the timer was scheduled; never 0 for a real handle.</summary>
    public int Generation { get; }
}
