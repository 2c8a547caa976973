namespace Alerting.Engine.Ring;

/// <summary>
/// Blocks on a monitor until a producer publishes: no CPU while idle, a lock taken on every publish.
/// </summary>
/// <remarks>
/// The cursor is re-checked under the lock, and producers publish before they take the lock to pulse, so a
/// wake-up cannot be lost between the check and <see cref="Monitor.Wait(object)"/>. Upstream consumers do not
/// signal, so once the cursor is past the sequence the waiter backs off with <see cref="SpinWait"/> on them.
/// </remarks>
public sealed class BlockingWaitStrategy : IWaitStrategy
{
    // A plain object, not System.Threading.Lock: Monitor.Wait/PulseAll need a monitor.
    private readonly object _gate = new();

    /// <inheritdoc/>
    public bool IsBlockingStrategy => true;

    /// <inheritdoc/>
    public SequenceWaitResult WaitFor(long sequence, DependentSequenceGroup dependents, SequenceBarrier barrier)
    {
        ArgumentNullException.ThrowIfNull(dependents);
        ArgumentNullException.ThrowIfNull(barrier);
        if (dependents.CursorValue < sequence)
        {
            lock (_gate)
            {
                while (dependents.CursorValue < sequence)
                {
                    if (barrier.IsCancellationRequested)
                    {
                        return SequenceWaitResult.Cancelled;
                    }

                    Monitor.Wait(_gate);
                }
            }
        }

        var spin = default(SpinWait);
        long available;
        while ((available = dependents.Value) < sequence)
        {
            if (barrier.IsCancellationRequested)
            {
                return SequenceWaitResult.Cancelled;
            }

            spin.SpinOnce();
        }

        return SequenceWaitResult.Available(available);
    }

    /// <inheritdoc/>
    public void SignalAllWhenBlocking()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }
}
