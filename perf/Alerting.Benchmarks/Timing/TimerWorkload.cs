namespace Alerting.Benchmarks.Timing;

/// <summary>
/// The B2 workload, generated once from a fixed seed so both schedulers do identical work:
/// 1 M periodic timers with whole-second intervals of 1–300 s and a random first due inside the
/// first interval, one hour of 100 ms ticks, and 10 % of the timers cancelled at random ticks.
/// </summary>
internal sealed class TimerWorkload
{
    public const int TimerCount = 1_000_000;
    public const int TickMs = 100;
    public const int TickCount = 36_000;
    public const int CancelCount = TimerCount / 10;
    public const long StartMs = 1_700_000_000_000;
    private const int Seed = 20_261_127;
    private const int MinIntervalSeconds = 1;
    private const int MaxIntervalSeconds = 300;

    private static readonly Lazy<TimerWorkload> Instance = new(() => new TimerWorkload());

    private TimerWorkload()
    {
        var random = new Random(Seed);
        IntervalMs = new long[TimerCount];
        FirstDueMs = new long[TimerCount];
        for (int i = 0; i < TimerCount; i++)
        {
            IntervalMs[i] = random.Next(MinIntervalSeconds, MaxIntervalSeconds + 1) * 1000L;
            FirstDueMs[i] = StartMs + 1 + random.NextInt64(IntervalMs[i]);
        }

        // Distinct victims (partial Fisher-Yates), each with a cancel tick; grouped by tick (CSR).
        var ids = Enumerable.Range(0, TimerCount).ToArray();
        var cancelTick = new int[CancelCount];
        for (int i = 0; i < CancelCount; i++)
        {
            int j = random.Next(i, TimerCount);
            (ids[i], ids[j]) = (ids[j], ids[i]);
            cancelTick[i] = random.Next(1, TickCount + 1);
        }

        CancelIds = ids[..CancelCount];
        Array.Sort(cancelTick, CancelIds);
        CancelStart = new int[TickCount + 2];
        foreach (int tick in cancelTick)
        {
            CancelStart[tick + 1]++;
        }

        for (int tick = 1; tick < CancelStart.Length; tick++)
        {
            CancelStart[tick] += CancelStart[tick - 1];
        }

        ExpectedFirings = CountFirings(cancelTick);
    }

    public static TimerWorkload Shared => Instance.Value;

    public long[] IntervalMs { get; }

    public long[] FirstDueMs { get; }

    /// <summary>Timers to cancel, sorted by cancel tick; those of tick t are [CancelStart[t], CancelStart[t + 1]).</summary>
    public int[] CancelIds { get; }

    public int[] CancelStart { get; }

    /// <summary>Firings of the whole hour: cancels of tick t happen before the advance to tick t.</summary>
    public long ExpectedFirings { get; }

    public static long TickTimeMs(int tick) => StartMs + ((long)tick * TickMs);

    private long CountFirings(int[] sortedCancelTicks)
    {
        var lastFiringMs = new long[TimerCount];
        Array.Fill(lastFiringMs, TickTimeMs(TickCount));
        for (int i = 0; i < CancelCount; i++)
        {
            lastFiringMs[CancelIds[i]] = TickTimeMs(sortedCancelTicks[i] - 1);
        }

        long firings = 0;
        for (int i = 0; i < TimerCount; i++)
        {
            if (FirstDueMs[i] <= lastFiringMs[i])
            {
                firings += ((lastFiringMs[i] - FirstDueMs[i]) / IntervalMs[i]) + 1;
            }
        }

        return firings;
    }
}
