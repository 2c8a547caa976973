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
public readonly record struct Bucket(double Sum, double Min, double Max, double Last, int Count, int LastOffsetMs)
{
    /// <summary>Bytes one bucket occupies across the store's columns (4 doubles, 2 ints).</summary>
    public const int SizeBytes = (4 * sizeof(double)) + (2 * sizeof(int));
}
