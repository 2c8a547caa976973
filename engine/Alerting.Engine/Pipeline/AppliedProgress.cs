namespace Alerting.Engine.Pipeline;

/// <summary>
/// The applied log index, published by the state machine once per batch, with an awaitable
/// "applied up to N" so callers synchronise on log positions rather than on time.
/// </summary>
public sealed class AppliedProgress
{
    private long _appliedIndex;
    private TaskCompletionSource _advanced = NewSignal();

    public AppliedProgress(long appliedIndex)
    {
        _appliedIndex = appliedIndex;
    }

    public long AppliedIndex => Volatile.Read(ref _appliedIndex);

    public async Task WaitForAsync(long index, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var signal = Volatile.Read(ref _advanced);
            if (Volatile.Read(ref _appliedIndex) >= index)
            {
                return;
            }

            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal void Publish(long index)
    {
        Volatile.Write(ref _appliedIndex, index);
        Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
