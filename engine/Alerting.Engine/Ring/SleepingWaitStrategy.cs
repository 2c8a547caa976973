namespace Alerting.Engine.Ring;

/// <summary>
/// Spins, then yields, then sleeps <see cref="SleepMilliseconds"/> between checks: little CPU while idle,
/// at the price of up to a scheduler tick of latency after a quiet period.
/// </summary>
public sealed class SleepingWaitStrategy : IWaitStrategy
{
    /// <summary>Checks made with a spin pause before yielding starts.</summary>
    public const int SpinTries = 100;

    /// <summary>Checks made with a yield before sleeping starts.</summary>
    public const int YieldTries = 100;

    /// <summary>How long a waiter sleeps between checks once spinning and yielding found nothing.</summary>
    public const int SleepMilliseconds = 1;

    /// <inheritdoc/>
    public bool IsBlockingStrategy => false;

    /// <inheritdoc/>
    public SequenceWaitResult WaitFor(long sequence, DependentSequenceGroup dependents, SequenceBarrier barrier)
    {
        ArgumentNullException.ThrowIfNull(dependents);
        ArgumentNullException.ThrowIfNull(barrier);
        var counter = SpinTries + YieldTries;
        long available;
        while ((available = dependents.Value) < sequence)
        {
            if (barrier.IsCancellationRequested)
            {
                return SequenceWaitResult.Cancelled;
            }

            if (counter > YieldTries)
            {
                counter--;
                Thread.SpinWait(1);
            }
            else if (counter > 0)
            {
                counter--;
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(SleepMilliseconds);
            }
        }

        return SequenceWaitResult.Available(available);
    }

    /// <inheritdoc/>
    public void SignalAllWhenBlocking()
    {
        // Sleeping waiters poll; they need no wake-up.
    }
}
