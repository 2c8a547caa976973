using System.Runtime.InteropServices;

namespace Alerting.Engine.Ring;

/// <summary>
/// A sequence number shared between threads: the producer cursor, a consumer's progress, a gating cache.
/// </summary>
/// <remarks>
/// The value sits alone on its cache line: <see cref="PaddingBytes"/> bytes of padding on both sides,
/// so a producer bumping its cursor never invalidates the line a consumer is spinning on (false sharing).
/// Every cross-thread access goes through <see cref="Volatile"/>: plain stores only happen to be safe on x64.
/// </remarks>
public sealed class Sequence
{
    /// <summary>Bytes of padding on each side of the value; a cache line is 64 bytes and the value takes 8.</summary>
    public const int PaddingBytes = 56;

    /// <summary>The value of a sequence before anything was claimed or consumed.</summary>
    public const long InitialValue = -1;

    // The runtime ignores StructLayout.Size on classes but honours it on structs, so the padding lives in a struct.
    private PaddedValue _padded;

    /// <summary>Creates a sequence holding <paramref name="initialValue"/>.</summary>
    public Sequence(long initialValue = InitialValue)
    {
        Volatile.Write(ref _padded.Value, initialValue);
    }

    /// <summary>The current value, read with acquire semantics.</summary>
    public long Value => Volatile.Read(ref _padded.Value);

    /// <summary>Stores <paramref name="value"/> with release semantics: every write before it is visible first.</summary>
    public void SetValue(long value) => Volatile.Write(ref _padded.Value, value);

    /// <summary>Atomically replaces <paramref name="expected"/> by <paramref name="next"/>; false when the value was not <paramref name="expected"/>.</summary>
    public bool CompareAndSet(long expected, long next) => Interlocked.CompareExchange(ref _padded.Value, next, expected) == expected;

    /// <summary>Atomically adds one and returns the new value.</summary>
    public long IncrementAndGet() => Interlocked.Increment(ref _padded.Value);

    /// <summary>Atomically adds <paramref name="increment"/> and returns the new value.</summary>
    public long AddAndGet(long increment) => Interlocked.Add(ref _padded.Value, increment);

    /// <inheritdoc/>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [StructLayout(LayoutKind.Explicit, Size = PaddingBytes + sizeof(long) + PaddingBytes)]
    private struct PaddedValue
    {
        [FieldOffset(PaddingBytes)]
        public long Value;
    }
}
