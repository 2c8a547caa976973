namespace Alerting.Engine.Evaluation;

/// <summary>
/// The buckets a window of exact edges reads: the points stamped in [<c>StartMs</c>, <c>EndMs</c>]
/// lie in buckets <see cref="First"/> … <see cref="Last"/>; the edges cut the first bucket at
/// <see cref="StartOffsetMs"/> and the last at <see cref="EndOffsetMs"/> (offsets inside the bucket).
/// </summary>
public readonly record struct WindowRange
{
    private WindowRange(long first, long last, int startOffsetMs, int endOffsetMs)
    {
        First = first;
        Last = last;
        StartOffsetMs = startOffsetMs;
        EndOffsetMs = endOffsetMs;
    }

    /// <summary>Bucket of the window's oldest instant.</summary>
    public long First { get; }

    /// <summary>Bucket of the window's newest instant (the evaluation instant).</summary>
    public long Last { get; }

    /// <summary>Number of buckets the window touches.</summary>
    public int Count => (int)(Last - First + 1);

    /// <summary>Offset in <see cref="First"/> of the window's oldest instant: earlier points there are out.</summary>
    public int StartOffsetMs { get; }

    /// <summary>Offset in <see cref="Last"/> of the window's newest instant: later points there are out.</summary>
    public int EndOffsetMs { get; }

    /// <summary>The window of the points stamped in [<paramref name="startMs"/>, <paramref name="endMs"/>] (both inclusive).</summary>
    public static WindowRange Of(SeriesStore store, long startMs, long endMs)
    {
        ArgumentNullException.ThrowIfNull(store);
        Invariant.Check(startMs <= endMs, "a window starts no later than it ends");
        var first = store.BucketOf(startMs);
        var last = store.BucketOf(endMs);
        return new WindowRange(first, last, (int)(startMs - (first * store.ResolutionMs)), (int)(endMs - (last * store.ResolutionMs)));
    }

    /// <summary>
    /// The most buckets a window of <paramref name="windowMs"/> touches at resolution
    /// <paramref name="resolutionMs"/>: ⌈(W − 1) / r⌉ + 1, its first and last instants being W − 1 ms
    /// apart (so a 5-minute window touches up to 21 buckets of 15 s, its oldest one partly).
    /// </summary>
    public static long MaxBuckets(long windowMs, long resolutionMs) => ((windowMs - 1 + resolutionMs - 1) / resolutionMs) + 1;
}
