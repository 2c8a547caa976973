namespace Alerting.Engine.Timing;

/// <summary>
/// The state machine's one notion of now: the greatest <c>Tick</c> time applied, in unix ms.
/// Only the engine façade advances it (on a tick entry); every other piece reads it, so no two
/// parts of the state machine can disagree about what time it is.
/// </summary>
internal sealed class LogicalClock
{
    public long NowMs { get; private set; }

    /// <summary>Moves time forward to <paramref name="unixMs"/>; time never goes back (a lagging clock's tick changes nothing).</summary>
    public void AdvanceTo(long unixMs) => NowMs = Math.Max(NowMs, unixMs);

    /// <summary>Sets the time read back from a snapshot, on a fresh clock only.</summary>
    public void Restore(long unixMs)
    {
        Invariant.Check(NowMs == 0, "a logical clock is restored only before it first advances");
        NowMs = unixMs;
    }
}
