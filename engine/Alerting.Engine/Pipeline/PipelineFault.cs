namespace Alerting.Engine.Pipeline;

/// <summary>
/// The node's first pipeline failure, shared by its stages. A stage that fails records it here
/// instead of throwing out of its loop, so the ring keeps moving: later writes are completed with
/// the fault rather than left hanging, and reads keep running on the state-machine thread.
/// Recording cancels <see cref="Token"/>, which wakes a state machine parked on the commit index;
/// so does <see cref="StopWaiting"/>, when a node stops with entries a commit gate never reached.
/// </summary>
internal sealed class PipelineFault : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private EngineFaultedException? _fault;
    private volatile bool _stopped;

    /// <summary>The recorded fault, or null while the pipeline is healthy.</summary>
    public EngineFaultedException? Current => Volatile.Read(ref _fault);

    /// <summary>Cancelled once a fault is recorded or <see cref="StopWaiting"/> is called.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>True once <see cref="StopWaiting"/> was called.</summary>
    public bool Stopped => _stopped;

    /// <summary>The node is stopping: entries not yet committed are failed instead of waited for. Not a fault.</summary>
    public void StopWaiting()
    {
        _stopped = true;
        _cancel.Cancel();
    }

    /// <summary>Records <paramref name="failure"/> of <paramref name="stage"/> unless a fault is already recorded; returns the fault in force.</summary>
    public EngineFaultedException Record(string stage, Exception failure)
    {
        var fault = new EngineFaultedException(
            $"the engine's {stage} stage failed: {failure.GetBaseException().Message}; the node takes no more writes (reads of the last applied state still work); restart it once the cause is fixed",
            failure);
        if (Interlocked.CompareExchange(ref _fault, fault, null) is { } earlier)
        {
            return earlier;
        }

        _cancel.Cancel();
        return fault;
    }

    public void Dispose() => _cancel.Dispose();
}
