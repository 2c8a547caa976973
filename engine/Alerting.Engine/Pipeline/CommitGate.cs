namespace Alerting.Engine.Pipeline;

/// <summary>
/// A commit index that a component publishes: the replicator publishes the highest index durable
/// on a quorum, a test holds it back and releases it. It only moves forward. <see cref="Fail"/>
/// wakes every waiter with the reason (the node lost its term, the replicator stopped), so a
/// state machine waiting on it does not hang.
/// </summary>
public sealed class CommitGate : ICommitIndex
{
    /// <summary>Spins a blocking waiter makes before parking; a quorum round trip on loopback is tens of microseconds.</summary>
    private const int WaitSpinCount = 64;

    private long _commitIndex;
    private TaskCompletionSource _advanced = NewSignal();
    private Exception? _failure;

    public CommitGate(long commitIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(commitIndex);
        _commitIndex = commitIndex;
    }

    public long CommitIndex => Volatile.Read(ref _commitIndex);

    /// <summary>Why the commit index can no longer advance, or null.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Moves the commit index to <paramref name="commitIndex"/> (an index at or below it is ignored: commit never goes back).</summary>
    public void Publish(long commitIndex)
    {
        long current = Volatile.Read(ref _commitIndex);
        while (commitIndex > current)
        {
            long seen = Interlocked.CompareExchange(ref _commitIndex, commitIndex, current);
            if (seen == current)
            {
                Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();
                return;
            }

            current = seen;
        }
    }

    /// <summary>Stops the gate: every current and later waiter below the commit index throws <see cref="InvalidOperationException"/> carrying <paramref name="reason"/>.</summary>
    public void Fail(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Interlocked.CompareExchange(ref _failure, reason, null);
        Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();
    }

    public void WaitForCommit(long index, CancellationToken cancellationToken = default)
    {
        var spinner = default(SpinWait);
        for (int i = 0; i < WaitSpinCount; i++)
        {
            if (Volatile.Read(ref _commitIndex) >= index)
            {
                return;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        while (true)
        {
            var signal = Volatile.Read(ref _advanced);
            if (Volatile.Read(ref _commitIndex) >= index)
            {
                return;
            }

            ThrowIfFailed();
            signal.Task.Wait(cancellationToken);
        }
    }

    public ValueTask WaitForCommitAsync(long index, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _commitIndex) >= index ? ValueTask.CompletedTask : WaitSlowAsync(index, cancellationToken);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async ValueTask WaitSlowAsync(long index, CancellationToken cancellationToken)
    {
        while (true)
        {
            var signal = Volatile.Read(ref _advanced);
            if (Volatile.Read(ref _commitIndex) >= index)
            {
                return;
            }

            ThrowIfFailed();
            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new InvalidOperationException($"the commit index cannot advance: {failure.Message}", failure);
        }
    }
}
