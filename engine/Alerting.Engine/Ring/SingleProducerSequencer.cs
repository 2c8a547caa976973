using System.Runtime.InteropServices;

namespace Alerting.Engine.Ring;

/// <summary>
/// Sequencer for exactly one producer thread: claims are plain arithmetic, publishing is one release store
/// of the cursor. Calling it from two threads at once corrupts the ring; use <see cref="MultiProducerSequencer"/>.
/// </summary>
public sealed class SingleProducerSequencer : ISequencer
{
    private readonly int _bufferSize;
    private readonly IWaitStrategy _waitStrategy;
    private readonly bool _signalOnPublish;
    private readonly Sequence _cursor = new();
    private Sequence[] _gatingSequences = [];

    // Written only by the producer, on lines of their own so consumers reading the fields above never miss.
    private ProducerState _producer = new() { NextValue = Sequence.InitialValue, CachedGatingValue = Sequence.InitialValue };

    /// <summary>Creates a sequencer for a ring of <paramref name="bufferSize"/> slots (a power of two).</summary>
    public SingleProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
    {
        RingInvariants.RequirePowerOfTwo(bufferSize);
        ArgumentNullException.ThrowIfNull(waitStrategy);
        _bufferSize = bufferSize;
        _waitStrategy = waitStrategy;
        _signalOnPublish = waitStrategy.IsBlockingStrategy;
    }

    /// <inheritdoc/>
    public int BufferSize => _bufferSize;

    /// <inheritdoc/>
    public long Cursor => _cursor.Value;

    /// <inheritdoc/>
    public Sequence CursorSequence => _cursor;

    /// <inheritdoc/>
    public IWaitStrategy WaitStrategy => _waitStrategy;

    /// <inheritdoc/>
    /// <remarks>Reads the producer's claim position without synchronisation: exact on the producer thread, an estimate elsewhere.</remarks>
    public long RemainingCapacity
    {
        get
        {
            var produced = Volatile.Read(ref _producer.NextValue);
            var consumed = SequenceGroup.GetMinimumSequence(Volatile.Read(ref _gatingSequences), produced);
            return _bufferSize - (produced - consumed);
        }
    }

    /// <inheritdoc/>
    public long Next() => Next(1);

    /// <inheritdoc/>
    public long Next(int n)
    {
        RingInvariants.RequireClaimSize(n, _bufferSize);
        var nextValue = _producer.NextValue;
        var nextSequence = nextValue + n;
        var wrapPoint = nextSequence - _bufferSize;
        var cachedGatingSequence = _producer.CachedGatingValue;

        if (wrapPoint > cachedGatingSequence || cachedGatingSequence > nextValue)
        {
            // Store-load fence: our earlier publishes must be visible before we read consumer progress,
            // or a consumer waiting on them and we waiting on it could both stall.
            Interlocked.MemoryBarrier();
            var spin = default(SpinWait);
            long minSequence;
            while (wrapPoint > (minSequence = SequenceGroup.GetMinimumSequence(Volatile.Read(ref _gatingSequences), nextValue)))
            {
                // Never a hard spin: on an oversubscribed machine the consumer we wait for needs this core.
                spin.SpinOnce(sleep1Threshold: -1);
            }

            _producer.CachedGatingValue = minSequence;
        }

        _producer.NextValue = nextSequence;
        return nextSequence;
    }

    /// <inheritdoc/>
    public bool TryNext(out long sequence) => TryNext(1, out sequence);

    /// <inheritdoc/>
    public bool TryNext(int n, out long hi)
    {
        RingInvariants.RequireClaimSize(n, _bufferSize);
        var nextValue = _producer.NextValue;
        var wrapPoint = nextValue + n - _bufferSize;
        var cachedGatingSequence = _producer.CachedGatingValue;

        if (wrapPoint > cachedGatingSequence || cachedGatingSequence > nextValue)
        {
            Interlocked.MemoryBarrier();
            var minSequence = SequenceGroup.GetMinimumSequence(Volatile.Read(ref _gatingSequences), nextValue);
            _producer.CachedGatingValue = minSequence;
            if (wrapPoint > minSequence)
            {
                hi = Sequence.InitialValue;
                return false;
            }
        }

        hi = nextValue + n;
        _producer.NextValue = hi;
        return true;
    }

    /// <inheritdoc/>
    public void Publish(long sequence)
    {
        Invariant.Check(sequence <= _producer.NextValue, "published a sequence that was never claimed");
        _cursor.SetValue(sequence);
        if (_signalOnPublish)
        {
            _waitStrategy.SignalAllWhenBlocking();
        }
    }

    /// <inheritdoc/>
    public void Publish(long lo, long hi)
    {
        Invariant.Check(lo <= hi, "publish range is empty or reversed");
        Publish(hi);
    }

    /// <inheritdoc/>
    public bool IsAvailable(long sequence)
    {
        var cursor = _cursor.Value;
        return sequence <= cursor && sequence > cursor - _bufferSize;
    }

    /// <inheritdoc/>
    public long GetHighestPublishedSequence(long nextSequence, long availableSequence) => availableSequence;

    /// <inheritdoc/>
    public void AddGatingSequences(params Sequence[] gatingSequences) => SequenceGroup.Add(ref _gatingSequences, _cursor, gatingSequences);

    /// <inheritdoc/>
    public SequenceBarrier NewBarrier(params Sequence[] dependents) => new(this, dependents);

    /// <summary>The producer's claim position and its cache of the slowest consumer, padded against false sharing.</summary>
    [StructLayout(LayoutKind.Explicit, Size = Sequence.PaddingBytes + (2 * sizeof(long)) + Sequence.PaddingBytes)]
    private struct ProducerState
    {
        [FieldOffset(Sequence.PaddingBytes)]
        public long NextValue;

        [FieldOffset(Sequence.PaddingBytes + sizeof(long))]
        public long CachedGatingValue;
    }
}
