using System.Diagnostics;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// What applying a client write costs on the state-machine thread, learned from the entries it
/// applies: nanoseconds per point (points and check-run batches, per point or run) and per other
/// client entry (monitor, downtime, settings edits). Write admission (<see cref="WriteAdmission"/>)
/// turns a write into an estimate of the apply time it adds, so the backlog is bounded in time
/// whatever mixes it (a point into an existing series costs far less than one creating a series,
/// and the average follows the load). Each is an exponentially weighted moving average of
/// 1/<see cref="Smoothing"/>; the state-machine thread writes, any thread reads. Not replicated
/// state: it only decides when a write enters the log, never what applying it does.
/// </summary>
public sealed class ApplyCostEstimate
{
    /// <summary>Weight of the newest sample is 1/Smoothing.</summary>
    public const int Smoothing = 16;

    /// <summary>Starting guess per point before anything was applied: a point creating its series (B6: about 10 µs per new series at 100 000).</summary>
    public const double InitialNanosPerPoint = 2_000;

    /// <summary>Starting guess per other entry: a monitor create matching a step of series.</summary>
    public const double InitialNanosPerEntry = 100_000;

    /// <summary>A single sample counts at most this many times the current estimate (a GC pause or a descheduled thread is not the load).</summary>
    private const double MaxSampleGrowth = 8;

    private double _nanosPerPoint = InitialNanosPerPoint;
    private double _nanosPerEntry = InitialNanosPerEntry;

    public double NanosPerPoint => Volatile.Read(ref _nanosPerPoint);

    public double NanosPerEntry => Volatile.Read(ref _nanosPerEntry);

    /// <summary>Estimated apply time, in nanoseconds (at least 1), of <paramref name="points"/> points and <paramref name="entries"/> other client entries.</summary>
    public long Estimate(long points, int entries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(points);
        ArgumentOutOfRangeException.ThrowIfNegative(entries);
        var nanos = (points * NanosPerPoint) + (entries * NanosPerEntry);
        return Math.Max(1, (long)Math.Min(nanos, long.MaxValue / 4));
    }

    /// <summary>Client writes' units: points or check runs for a batch, 1 for another client entry, 0 for what no client writes (ticks, terms, deliveries, markers).</summary>
    public static (long Points, int Entries) UnitsOf(LogEntry entry)
    {
        switch (entry.BodyCase)
        {
            case LogEntry.BodyOneofCase.Points:
                long points = 0;
                foreach (var series in entry.Points.Series)
                {
                    points += series.Values.Count;
                }

                return (points, 0);
            case LogEntry.BodyOneofCase.CheckRuns:
                return (entry.CheckRuns.Runs.Count, 0);
            case LogEntry.BodyOneofCase.MonitorUpserted:
            case LogEntry.BodyOneofCase.MonitorDeleted:
            case LogEntry.BodyOneofCase.DowntimeUpserted:
            case LogEntry.BodyOneofCase.DowntimeDeleted:
            case LogEntry.BodyOneofCase.EngineSettings:
                return (0, 1);
            default:
                return (0, 0);
        }
    }

    /// <summary>The state-machine thread applied <paramref name="entry"/> in <paramref name="stopwatchTicks"/>.</summary>
    internal void Applied(LogEntry entry, long stopwatchTicks)
    {
        var (points, entries) = UnitsOf(entry);
        var nanos = stopwatchTicks * (1e9 / Stopwatch.Frequency);
        if (points > 0)
        {
            Volatile.Write(ref _nanosPerPoint, Next(_nanosPerPoint, nanos / points));
        }
        else if (entries > 0)
        {
            Volatile.Write(ref _nanosPerEntry, Next(_nanosPerEntry, nanos));
        }
    }

    private static double Next(double current, double sample) =>
        Math.Max(1, current + ((Math.Min(sample, current * MaxSampleGrowth) - current) / Smoothing));
}
