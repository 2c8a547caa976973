namespace Alerting.Engine.Timing;

/// <summary>
/// Receives timer firings from <see cref="TimingWheel.Advance{THandler}(long, ref THandler)"/>.
/// Implement it on a struct so the JIT specialises and inlines the call.
/// </summary>
public interface ITimerHandler
{
    /// <summary>
    /// Called once per due instant of a timer, in ascending (<paramref name="dueMs"/>, scheduling order).
    /// The handler may call <see cref="TimingWheel.Schedule"/> and <see cref="TimingWheel.Cancel"/>
    /// (including on <paramref name="handle"/> itself) but not <see cref="TimingWheel.Advance{THandler}(long, ref THandler)"/>.
    /// </summary>
    void OnTimer(TimerHandle handle, long payload, long dueMs);
}
