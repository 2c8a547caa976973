namespace Alerting.Engine.Ring;

/// <summary>
/// Hands out ring sequences to producers and tells consumers which ones are published.
/// </summary>
/// <remarks>
/// A producer claims with <see cref="Next()"/> (waits for space) or <see cref="TryNext(out long)"/>
/// (never waits: false means the ring is full, the caller answers RESOURCE_EXHAUSTED and queues nothing),
/// writes the slots, then publishes exactly what it claimed. Producers are held back by the gating
/// sequences: the progress of the last consumers in the graph.
/// </remarks>
public interface ISequencer
{
    /// <summary>The number of slots in the ring (a power of two).</summary>
    int BufferSize { get; }

    /// <summary>The highest claimed sequence (single producer: the highest published).</summary>
    long Cursor { get; }

    /// <summary>The cursor sequence itself, followed by barriers that read straight from the ring.</summary>
    Sequence CursorSequence { get; }

    /// <summary>The wait strategy consumers of this ring use; publishes signal it when it blocks.</summary>
    IWaitStrategy WaitStrategy { get; }

    /// <summary>Slots free for claiming right now (an estimate while producers and consumers run).</summary>
    long RemainingCapacity { get; }

    /// <summary>Claims the next sequence, waiting while the ring is full.</summary>
    long Next();

    /// <summary>Claims the next <paramref name="n"/> sequences (1..<see cref="BufferSize"/>), waiting while the ring is full; returns the highest.</summary>
    long Next(int n);

    /// <summary>Claims the next sequence if a slot is free; false (and nothing claimed) when the ring is full.</summary>
    bool TryNext(out long sequence);

    /// <summary>Claims the next <paramref name="n"/> sequences if that many slots are free; <paramref name="hi"/> is the highest.</summary>
    bool TryNext(int n, out long hi);

    /// <summary>Makes <paramref name="sequence"/> visible to consumers.</summary>
    void Publish(long sequence);

    /// <summary>Makes <paramref name="lo"/>..<paramref name="hi"/> (inclusive) visible to consumers.</summary>
    void Publish(long lo, long hi);

    /// <summary>True when <paramref name="sequence"/> has been published and not yet overwritten by a later lap.</summary>
    bool IsAvailable(long sequence);

    /// <summary>
    /// The highest sequence in <paramref name="nextSequence"/>..<paramref name="availableSequence"/> such that every
    /// sequence up to it is published; <paramref name="nextSequence"/> - 1 when <paramref name="nextSequence"/> is not.
    /// </summary>
    long GetHighestPublishedSequence(long nextSequence, long availableSequence);

    /// <summary>Adds consumer sequences producers must not lap. Add them before publishing starts.</summary>
    void AddGatingSequences(params Sequence[] gatingSequences);

    /// <summary>A barrier for a consumer that follows the cursor (no <paramref name="dependents"/>) or the given upstream consumers.</summary>
    SequenceBarrier NewBarrier(params Sequence[] dependents);
}
