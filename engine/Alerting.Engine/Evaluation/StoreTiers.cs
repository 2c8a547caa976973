namespace Alerting.Engine.Evaluation;

/// <summary>
/// Series windows come in a few retention tiers, so that a series read by 5-minute monitors
/// costs under 1 KiB (bar M6) while a week-long window (<c>last_1w</c>, with a week's change shift) is still possible. A monitor reads the
/// smallest tier whose retention covers its window + change shift + evaluation delay; a series
/// holds a window in each tier some monitor reading it needs, allocated when first needed.
/// </summary>
/// <remarks>
/// A window (T − W, T] is exact to the millisecond (see <see cref="WindowEvaluator"/>), so unless
/// T − W falls on a bucket boundary its oldest bucket is partly inside it: a tier covering a span
/// of n buckets keeps n + 1 (<see cref="Options"/>). Series are aligned across a group by these
/// buckets (space aggregation combines each series' rollup per bucket), so the ≤ 1 min tier uses
/// 15 s buckets too: hosts reporting a few seconds apart land in the same bucket.
/// </remarks>
public static class StoreTiers
{
    private static readonly (long ResolutionMs, int RetainedBuckets)[] Tiers =
    [
        (15_000, 4),            // ≤ 1 min at 15 s (one alignment interval for every window up to 5 min)
        (15_000, 20),           // ≤ 5 min at 15 s (the Agent's collection interval)
        (60_000, 60),           // ≤ 1 h at 1 min
        (15 * 60_000, 96),      // ≤ 24 h at 15 min
        (60 * 60_000, 100),     // ≤ 100 h at 1 h: 48 h windows with a 48 h change shift
        (2 * 60 * 60_000, 180), // ≤ 15 d at 2 h: last_1w with a 1 w change shift and up to 24 h of evaluation delay
    ];

    /// <summary>Tiers in snapshots before format 17, which had no 2 h tier (its windows read back empty).</summary>
    public const int CountBeforeWeekTier = 5;

    public static int Count => Tiers.Length;

    /// <summary>The longest span (window + shift + delay) any tier covers.</summary>
    public static long MaxSpanMs => Tiers[^1].ResolutionMs * Tiers[^1].RetainedBuckets;

    /// <summary>Retention of a tier in ms.</summary>
    public static long SpanOf(int tier) => Tiers[tier].ResolutionMs * Tiers[tier].RetainedBuckets;

    /// <summary>The smallest tier whose retention covers <paramref name="spanMs"/>, or −1 when none does.</summary>
    public static int For(long spanMs)
    {
        for (var tier = 0; tier < Tiers.Length; tier++)
        {
            if (spanMs <= SpanOf(tier))
            {
                return tier;
            }
        }

        return -1;
    }

    /// <summary>
    /// Store options of a tier: its span in buckets plus one for the partial oldest bucket of an
    /// exact window, and future buckets covering how far ahead of the store clock a point may
    /// enter the store (<paramref name="maxPointAheadMs"/>): a point at most that far ahead of an
    /// instant in bucket c is in bucket c + ⌈ahead / r⌉ at most.
    /// </summary>
    public static SeriesStoreOptions Options(int tier, long maxPointAheadMs, int initialCapacity)
    {
        var (resolution, retained) = Tiers[tier];
        return new SeriesStoreOptions
        {
            ResolutionMs = resolution,
            RetainedBuckets = retained + 1,
            FutureBuckets = (int)((maxPointAheadMs + resolution - 1) / resolution),
            InitialCapacity = initialCapacity,
        };
    }
}
