namespace Alerting.Engine.Ring;

/// <summary>
/// Spins for <see cref="SpinTries"/> checks, then yields the core on each further check: low latency
/// without starving other threads when cores are oversubscribed.
/// </summary>
public sealed class YieldingWaitStrategy : IWaitStrategy
{
    /// <summary>Checks made with a spin pause before the waiter starts yielding its time slice.</summary>
    public const int SpinTries = 100;

    /// <inheritdoc/>
    public bool IsBlockingStrategy => false;

    /// <inheritdoc/>
    public SequenceWaitResult WaitFor(long sequence, DependentSequenceGroup dependents, SequenceBarrier barrier)
    {
        ArgumentNullException.ThrowIfNull(dependents);
        ArgumentNullException.ThrowIfNull(barrier);
        var counter = SpinTries;
        long available;
        while ((available = dependents.Value) < sequence)
        {
            if (barrier.IsCancellationRequested)
            {
                return SequenceWaitResult.Cancelled;
            }

            if (counter > 0)
            {
                counter--;
                Thread.SpinWait(1);
            }
            else
            {
                Thread.Yield();
            }
        }

        return SequenceWaitResult.Available(available);
    }

    /// <inheritdoc/>
    public void SignalAllWhenBlocking()
    {
        // Yielding waiters poll; they need no wake-up.
    }
}
