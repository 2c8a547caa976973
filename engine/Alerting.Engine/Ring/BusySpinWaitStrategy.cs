namespace Alerting.Engine.Ring;

/// <summary>
/// Spins on the dependent sequences: the lowest latency, and one core burnt per waiting consumer.
/// Only for consumers pinned to a core of their own; on a shared machine prefer <see cref="YieldingWaitStrategy"/>.
/// </summary>
public sealed class BusySpinWaitStrategy : IWaitStrategy
{
    /// <inheritdoc/>
    public bool IsBlockingStrategy => false;

    /// <inheritdoc/>
    public SequenceWaitResult WaitFor(long sequence, DependentSequenceGroup dependents, SequenceBarrier barrier)
    {
        ArgumentNullException.ThrowIfNull(dependents);
        ArgumentNullException.ThrowIfNull(barrier);
        long available;
        while ((available = dependents.Value) < sequence)
        {
            if (barrier.IsCancellationRequested)
            {
                return SequenceWaitResult.Cancelled;
            }

            // The pause instruction keeps the spinning hyper-thread from starving its sibling.
            Thread.SpinWait(1);
        }

        return SequenceWaitResult.Available(available);
    }

    /// <inheritdoc/>
    public void SignalAllWhenBlocking()
    {
        // Spinning waiters need no wake-up.
    }
}
