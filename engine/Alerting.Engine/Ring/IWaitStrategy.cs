namespace Alerting.Engine.Ring;

/// <summary>
/// How a consumer waits for a sequence to become available: the trade between latency and CPU.
/// </summary>
public interface IWaitStrategy
{
    /// <summary>
    /// True when waiters sleep on a lock and need <see cref="SignalAllWhenBlocking"/> on every publish;
    /// producers skip the call otherwise.
    /// </summary>
    bool IsBlockingStrategy { get; }

    /// <summary>
    /// Waits until <paramref name="dependents"/> reach <paramref name="sequence"/> or <paramref name="barrier"/> is asked to stop processing.
    /// </summary>
    /// <returns>The lowest dependent value (at least <paramref name="sequence"/>), or <see cref="SequenceWaitResult.Cancelled"/>.</returns>
    SequenceWaitResult WaitFor(long sequence, DependentSequenceGroup dependents, SequenceBarrier barrier);

    /// <summary>Wakes every waiter blocked in <see cref="WaitFor"/>; called after a publish and on cancellation.</summary>
    void SignalAllWhenBlocking();
}
