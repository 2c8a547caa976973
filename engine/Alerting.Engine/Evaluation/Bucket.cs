using System.Runtime.InteropServices;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// The rollup of one series' points that fall in one time bucket: everything every time
/// aggregation needs, so a point is folded in once and never kept.
/// </summary>
/// <remarks>
/// 40 bytes, no padding (pinned by a layout test): the per-series memory bar (M6, ≤ 1 KiB
/// per series with a 5-minute window) is spent almost entirely on these.
/// An empty bucket is all zeros (<see cref="Count"/> = 0); that keeps snapshots canonical.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct Bucket
{
    /// <summary>Sum of the values, added in arrival order.</summary>
    public double Sum;

    /// <summary>Smallest value.</summary>
    public double Min;

    /// <summary>Largest value.</summary>
    public double Max;

    /// <summary>Value of the point with the greatest timestamp (ties: the later arrival).</summary>
    public double Last;

    /// <summary>Number of points; 0 means the bucket is empty and every other field is 0.</summary>
    public int Count;

    /// <summary>Timestamp of <see cref="Last"/> as milliseconds after the bucket start.</summary>
    public int LastOffsetMs;

    /// <summary>Folds one point into the bucket.</summary>
    public void Add(int offsetMs, double value)
    {
        if (Count == 0)
        {
            Sum = value;
            Min = value;
            Max = value;
            Last = value;
            LastOffsetMs = offsetMs;
            Count = 1;
            return;
        }

        Sum += value;
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
        // ">=": among points with the same timestamp the one that arrived last wins.
        if (offsetMs >= LastOffsetMs)
        {
            Last = value;
            LastOffsetMs = offsetMs;
        }

        Count++;
    }
}
