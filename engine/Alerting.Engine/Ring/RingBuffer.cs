using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Alerting.Engine.Ring;

/// <summary>
/// Pre-allocated slots of <typeparamref name="T"/>, reused lap after lap; a sequence finds its slot by masking.
/// Claiming, publishing and waiting go through <see cref="Sequencer"/>.
/// </summary>
/// <remarks>
/// The slot array carries <see cref="PaddingSlotCount"/> unused slots at each end, at least
/// <see cref="PaddingBytes"/> bytes, so the first and last slots never share a cache line with the array
/// header or with whatever object the allocator put next to the array.
/// </remarks>
public sealed class RingBuffer<T>
    where T : struct
{
    /// <summary>Minimum bytes of unused slots at each end of the slot array: two cache lines, against adjacent-line prefetch.</summary>
    public const int PaddingBytes = 128;

    private readonly T[] _slots;
    private readonly int _padding;
    private readonly long _indexMask;
    private readonly ISequencer _sequencer;

    /// <summary>Creates a ring whose size is <paramref name="sequencer"/>'s buffer size.</summary>
    public RingBuffer(ISequencer sequencer)
    {
        ArgumentNullException.ThrowIfNull(sequencer);
        RingInvariants.RequirePowerOfTwo(sequencer.BufferSize);
        _sequencer = sequencer;
        _indexMask = sequencer.BufferSize - 1;
        _padding = PaddingSlotsFor(Unsafe.SizeOf<T>());
        _slots = new T[sequencer.BufferSize + (2 * _padding)];
    }

    /// <summary>The sequencer that claims and publishes this ring's slots.</summary>
    public ISequencer Sequencer => _sequencer;

    /// <summary>The number of usable slots (a power of two).</summary>
    public int BufferSize => _sequencer.BufferSize;

    /// <summary>Unused slots allocated at each end of the slot array.</summary>
    public int PaddingSlotCount => _padding;

    /// <summary>The length of the slot array including padding, for layout tests.</summary>
    internal int AllocatedSlotCount => _slots.Length;

    /// <summary>The slot for <paramref name="sequence"/>. Write it only between claim and publish; read it only once published.</summary>
    public ref T this[long sequence]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), _padding + (int)(sequence & _indexMask));
    }

    /// <summary>The first padding slot, for layout tests that measure the distance to the first usable slot.</summary>
    internal ref T PaddedStart => ref MemoryMarshal.GetArrayDataReference(_slots);

    /// <summary>The highest claimed sequence.</summary>
    public long Cursor => _sequencer.Cursor;

    /// <inheritdoc cref="ISequencer.RemainingCapacity"/>
    public long RemainingCapacity => _sequencer.RemainingCapacity;

    /// <inheritdoc cref="ISequencer.Next()"/>
    public long Next() => _sequencer.Next();

    /// <inheritdoc cref="ISequencer.Next(int)"/>
    public long Next(int n) => _sequencer.Next(n);

    /// <inheritdoc cref="ISequencer.TryNext(out long)"/>
    public bool TryNext(out long sequence) => _sequencer.TryNext(out sequence);

    /// <inheritdoc cref="ISequencer.TryNext(int, out long)"/>
    public bool TryNext(int n, out long hi) => _sequencer.TryNext(n, out hi);

    /// <inheritdoc cref="ISequencer.Publish(long)"/>
    public void Publish(long sequence) => _sequencer.Publish(sequence);

    /// <inheritdoc cref="ISequencer.Publish(long, long)"/>
    public void Publish(long lo, long hi) => _sequencer.Publish(lo, hi);

    /// <inheritdoc cref="ISequencer.AddGatingSequences"/>
    public void AddGatingSequences(params Sequence[] gatingSequences) => _sequencer.AddGatingSequences(gatingSequences);

    /// <inheritdoc cref="ISequencer.NewBarrier"/>
    public SequenceBarrier NewBarrier(params Sequence[] dependents) => _sequencer.NewBarrier(dependents);

    private static int PaddingSlotsFor(int slotSizeBytes) => (PaddingBytes + slotSizeBytes - 1) / slotSizeBytes;
}
