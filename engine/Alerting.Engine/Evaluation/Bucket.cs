namespace Alerting.Engine.Evaluation;

/// <summary>
/// The rollup of one series' points in one time bucket: everything every time aggregation
/// needs, so a point is folded in once and never kept. A copy read out of the store's columns.
/// </summary>
/// <param name="Sum">Sum of the values, added in arrival order.</param>
/// <param name="Min">Smallest value.</param>
/// <param name="Max">Largest value.</param>
/// <param name="Last">Value of the point with the greatest timestamp (ties: the later arrival).</param>
/// <param name="Count">Number of points; 0 means the bucket is empty and every other field is 0.</param>
/// <param name="LastOffsetMs">Timestamp of <paramref name="Last"/> as milliseconds after the bucket start.</param>
/// <param name="FirstOffsetMs">
/// Timestamp of the bucket's earliest point as milliseconds after the bucket start, or
/// <see cref="UnknownOffset"/> when the bucket came from a format-1 store with several points.
/// With <see cref="LastOffsetMs"/> it tells whether a window edge cuts the bucket; with at most
/// <see cref="ExactPoints"/> points it also tells which point is on which side (the earlier
/// point's value is whichever of <see cref="Min"/> and <see cref="Max"/> is not <see cref="Last"/>).
/// </param>
public readonly record struct Bucket(double Sum, double Min, double Max, double Last, int Count, int LastOffsetMs, int FirstOffsetMs)
{
    /// <summary>Bytes one bucket occupies across the store's columns (4 doubles, 3 ints).</summary>
    public const int SizeBytes = (4 * sizeof(double)) + (3 * sizeof(int));

    /// <summary>
    /// Most points a bucket can hold and still be split exactly at a window edge: its earliest and
    /// its last point are both known (offset and value), so a bucket of one or two points is
    /// exactly its points. A bucket with more points that a window edge cuts counts whole.
    /// </summary>
    public const int ExactPoints = 2;

    /// <summary><see cref="FirstOffsetMs"/> of a bucket restored from a format-1 store with several points.</summary>
    public const int UnknownOffset = -1;
}
