namespace Alerting.Engine.Evaluation;

/// <summary>Bucket resolution and retention of a <see cref="SeriesStore"/>.</summary>
public sealed class SeriesStoreOptions
{
    /// <summary>
    /// Default bucket width: 15 s, the Datadog Agent's default collection interval, so a
    /// typical series puts one point in each bucket; and the 21 buckets an exact 5-minute window
    /// touches keep a series under 1 KiB (bar M6).
    /// </summary>
    public const long DefaultResolutionMs = 15_000;

    /// <summary>Default retention: 21 buckets of 15 s, one exact 5-minute window (20 buckets and its partial oldest one).</summary>
    public const int DefaultRetainedBuckets = 21;

    /// <summary>Default tolerance for points ahead of the store clock: one bucket.</summary>
    public const int DefaultFutureBuckets = 1;

    /// <summary>Largest bucket width; a point's offset inside its bucket is kept in an int.</summary>
    public const long MaxResolutionMs = int.MaxValue;

    /// <summary>Largest ring (retained + future buckets) per series: 1 day of 10 s buckets.</summary>
    public const int MaxRingLength = 8_640;

    /// <summary>Width of one bucket in milliseconds.</summary>
    public long ResolutionMs { get; init; } = DefaultResolutionMs;

    /// <summary>
    /// Buckets kept up to and including the store clock's bucket: must cover the largest
    /// window plus the largest change shift (plus any evaluation delay) of the monitors reading
    /// the store, counted in buckets with <see cref="BucketsFor"/>.
    /// </summary>
    public int RetainedBuckets { get; init; } = DefaultRetainedBuckets;

    /// <summary>Buckets after the store clock's bucket that still accept points (clock skew).</summary>
    public int FutureBuckets { get; init; } = DefaultFutureBuckets;

    /// <summary>Slots allocated up front; the store doubles when full.</summary>
    public int InitialCapacity { get; init; } = 1_024;

    /// <summary>Length of each series' ring of buckets.</summary>
    public int RingLength => RetainedBuckets + FutureBuckets;

    /// <summary>Number of buckets a span of <paramref name="durationMs"/> occupies: ⌈duration / resolution⌉.</summary>
    public long BucketsFor(long durationMs) => (durationMs + ResolutionMs - 1) / ResolutionMs;

    /// <summary>Throws with a message naming the field when an option is out of range.</summary>
    public void Validate()
    {
        if (ResolutionMs < 1 || ResolutionMs > MaxResolutionMs)
        {
            throw new ArgumentOutOfRangeException(nameof(ResolutionMs), ResolutionMs, $"ResolutionMs must be in [1, {MaxResolutionMs}].");
        }

        if (RetainedBuckets < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(RetainedBuckets), RetainedBuckets, "RetainedBuckets must be at least 1.");
        }

        if (FutureBuckets < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(FutureBuckets), FutureBuckets, "FutureBuckets must not be negative.");
        }

        if ((long)RetainedBuckets + FutureBuckets > MaxRingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(RetainedBuckets), RetainedBuckets, $"RetainedBuckets + FutureBuckets must be at most {MaxRingLength}.");
        }

        if (InitialCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialCapacity), InitialCapacity, "InitialCapacity must be at least 1.");
        }
    }
}
