using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Alerting.Engine.Ring;

/// <summary>
/// Sequencer for any number of producer threads (the gRPC handlers writing to the input ring).
/// </summary>
/// <remarks>
/// <see cref="Next(int)"/> claims with one <see cref="Interlocked.Add(ref long, long)"/> on the cursor, so the
/// cursor is the highest <em>claimed</em> sequence. Producers publish out of order, so each slot carries an
/// availability flag: the lap number (sequence / size) of the last sequence published into it. Consumers scan
/// the flags for the highest contiguous published sequence. The minimum consumer position is cached in its
/// own padded <see cref="Sequence"/> so a claim scans the consumers only when the cache says the ring may be full.
/// </remarks>
public sealed class MultiProducerSequencer : ISequencer
{
    private readonly int _bufferSize;
    private readonly int _indexMask;
    private readonly int _indexShift;
    private readonly int[] _availableBuffer;
    private readonly IWaitStrategy _waitStrategy;
    private readonly bool _signalOnPublish;
    private readonly Sequence _cursor = new();
    private readonly Sequence _gatingSequenceCache = new();
    private Sequence[] _gatingSequences = [];

    /// <summary>Creates a sequencer for a ring of <paramref name="bufferSize"/> slots (a power of two).</summary>
    public MultiProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
    {
        RingInvariants.RequirePowerOfTwo(bufferSize);
        ArgumentNullException.ThrowIfNull(waitStrategy);
        _bufferSize = bufferSize;
        _indexMask = bufferSize - 1;
        _indexShift = BitOperations.Log2((uint)bufferSize);
        _waitStrategy = waitStrategy;
        _signalOnPublish = waitStrategy.IsBlockingStrategy;
        _availableBuffer = new int[bufferSize];

        // Lap -1: nothing published yet, and sequence 0 (lap 0) must read as unavailable.
        _availableBuffer.AsSpan().Fill(-1);
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
    public long RemainingCapacity
    {
        get
        {
            var produced = _cursor.Value;
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
        var next = _cursor.AddAndGet(n);
        var current = next - n;
        var wrapPoint = next - _bufferSize;
        var cachedGatingSequence = _gatingSequenceCache.Value;

        if (wrapPoint > cachedGatingSequence || cachedGatingSequence > current)
        {
            var spin = default(SpinWait);
            long gatingSequence;
            while (wrapPoint > (gatingSequence = SequenceGroup.GetMinimumSequence(Volatile.Read(ref _gatingSequences), current)))
            {
                // Never a hard spin: with more producers than cores the consumer we wait for needs this core.
                spin.SpinOnce(sleep1Threshold: -1);
            }

            _gatingSequenceCache.SetValue(gatingSequence);
        }

        return next;
    }

    /// <inheritdoc/>
    public bool TryNext(out long sequence) => TryNext(1, out sequence);

    /// <inheritdoc/>
    /// <remarks>A compare-and-set loop rather than one add: a claim that finds the ring full must leave the cursor untouched.</remarks>
    public bool TryNext(int n, out long hi)
    {
        RingInvariants.RequireClaimSize(n, _bufferSize);
        long current;
        long next;
        do
        {
            current = _cursor.Value;
            next = current + n;
            if (!HasAvailableCapacity(n, current))
            {
                hi = Sequence.InitialValue;
                return false;
            }
        }
        while (!_cursor.CompareAndSet(current, next));

        hi = next;
        return true;
    }

    /// <inheritdoc/>
    public void Publish(long sequence)
    {
        SetAvailable(sequence);
        if (_signalOnPublish)
        {
            _waitStrategy.SignalAllWhenBlocking();
        }
    }

    /// <inheritdoc/>
    public void Publish(long lo, long hi)
    {
        Invariant.Check(lo <= hi, "publish range is empty or reversed");
        for (var sequence = lo; sequence <= hi; sequence++)
        {
            SetAvailable(sequence);
        }

        if (_signalOnPublish)
        {
            _waitStrategy.SignalAllWhenBlocking();
        }
    }

    /// <inheritdoc/>
    public bool IsAvailable(long sequence)
    {
        ref var flag = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_availableBuffer), (int)(sequence & _indexMask));
        return Volatile.Read(ref flag) == LapOf(sequence);
    }

    /// <inheritdoc/>
    public long GetHighestPublishedSequence(long nextSequence, long availableSequence)
    {
        for (var sequence = nextSequence; sequence <= availableSequence; sequence++)
        {
            if (!IsAvailable(sequence))
            {
                return sequence - 1;
            }
        }

        return availableSequence;
    }

    /// <inheritdoc/>
    public void AddGatingSequences(params Sequence[] gatingSequences) => SequenceGroup.Add(ref _gatingSequences, _cursor, gatingSequences);

    /// <inheritdoc/>
    public SequenceBarrier NewBarrier(params Sequence[] dependents) => new(this, dependents);

    private bool HasAvailableCapacity(int n, long cursorValue)
    {
        var wrapPoint = cursorValue + n - _bufferSize;
        var cachedGatingSequence = _gatingSequenceCache.Value;
        if (wrapPoint > cachedGatingSequence || cachedGatingSequence > cursorValue)
        {
            var minSequence = SequenceGroup.GetMinimumSequence(Volatile.Read(ref _gatingSequences), cursorValue);
            _gatingSequenceCache.SetValue(minSequence);
            if (wrapPoint > minSequence)
            {
                return false;
            }
        }

        return true;
    }

    private void SetAvailable(long sequence)
    {
        Invariant.Check(sequence <= _cursor.Value, "published a sequence that was never claimed");
        ref var flag = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_availableBuffer), (int)(sequence & _indexMask));

        // Release store: the slot's contents, written before, are visible to whoever sees the new lap.
        Volatile.Write(ref flag, LapOf(sequence));
    }

    private int LapOf(long sequence) => (int)(sequence >>> _indexShift);
}
