namespace Alerting.Engine.Ring;

/// <summary>
/// What a consumer waits on: the producer cursor, or the upstream consumers it is gated on, so stages form a
/// graph (journaler and replicator both on the cursor, the state machine behind both).
/// </summary>
/// <remarks>
/// Shutdown goes through <see cref="CancelProcessing"/>: waits return <see cref="SequenceWaitResult.Cancelled"/>
/// instead of throwing, and blocked waiters are woken.
/// </remarks>
public sealed class SequenceBarrier
{
    private readonly ISequencer _sequencer;
    private readonly IWaitStrategy _waitStrategy;
    private readonly DependentSequenceGroup _dependents;
    private volatile bool _cancellationRequested;

    /// <summary>Creates a barrier on <paramref name="sequencer"/>'s cursor, or on <paramref name="dependents"/> when given.</summary>
    public SequenceBarrier(ISequencer sequencer, params Sequence[] dependents)
    {
        ArgumentNullException.ThrowIfNull(sequencer);
        _sequencer = sequencer;
        _waitStrategy = sequencer.WaitStrategy;
        _dependents = new DependentSequenceGroup(sequencer.CursorSequence, dependents);
    }

    /// <summary>The sequences this barrier waits on.</summary>
    public DependentSequenceGroup Dependents => _dependents;

    /// <summary>True once <see cref="CancelProcessing"/> was called; wait strategies poll it.</summary>
    public bool IsCancellationRequested => _cancellationRequested;

    /// <summary>
    /// Waits until <paramref name="sequence"/> may be consumed. The result may be below <paramref name="sequence"/>
    /// when another producer claimed it but has not published yet: call again.
    /// </summary>
    /// <returns>The highest sequence that is published and past every upstream stage, or cancelled.</returns>
    public SequenceWaitResult WaitFor(long sequence) => WaitFor(sequence, long.MaxValue);

    /// <summary>
    /// As <see cref="WaitFor(long)"/>, but looks no further than <paramref name="maxSequence"/>: a consumer that
    /// takes bounded batches need not scan the availability flags of a whole ring of backlog on every wait.
    /// </summary>
    public SequenceWaitResult WaitFor(long sequence, long maxSequence)
    {
        Invariant.Check(maxSequence >= sequence, "the scan limit must not be below the sequence waited for");
        if (_cancellationRequested)
        {
            return SequenceWaitResult.Cancelled;
        }

        var result = _waitStrategy.WaitFor(sequence, _dependents, this);
        if (result.IsCancelled || result.Value < sequence)
        {
            return result;
        }

        return SequenceWaitResult.Available(_sequencer.GetHighestPublishedSequence(sequence, Math.Min(result.Value, maxSequence)));
    }

    /// <summary>Makes current and future waits return cancelled, waking waiters that block. It cannot be undone.</summary>
    public void CancelProcessing()
    {
        _cancellationRequested = true;
        _waitStrategy.SignalAllWhenBlocking();
    }
}
