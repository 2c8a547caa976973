using System.Diagnostics.Metrics;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Microsoft.Extensions.Logging;

namespace Alerting.Server.Hosting;

/// <summary>
/// Copies the state machine's counters once per <see cref="SamplePeriod"/> through a
/// linearizable read, so metric callbacks (which must not block and must not touch state the
/// state-machine thread owns) read a recent copy. It also feeds the scheduling-lateness
/// histogram (<see cref="LatenessInstrument"/>) from the engine's bucket counters.
/// </summary>
public sealed class EngineCountersSampler : BackgroundService
{
    public static readonly TimeSpan SamplePeriod = TimeSpan.FromSeconds(1);

    /// <summary>The histogram of scheduled evaluations' logical lateness (tick time − due time).</summary>
    public const string LatenessInstrument = "alerting.evaluations.lateness";

    private static readonly long[] NoBuckets = new long[EngineCounters.SchedulingLatenessBoundsMs.Length + 1];

    private readonly EngineNode _node;
    private readonly Histogram<long> _lateness;
    private readonly Counter<long> _faults;
    private readonly ILogger<EngineCountersSampler> _log;
    private volatile Sample _latest = new(0, 0, 0, 0, 0, 0, 0, NoBuckets, NoBuckets);

    public EngineCountersSampler(EngineNode node, IMeterFactory meters, ILogger<EngineCountersSampler> log)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(log);
        _node = node;
        _log = log;
        var meter = meters.Create(ServerMetrics.MeterName);
        _faults = meter.CreateCounter<long>(
            "alerting.engine_counters.sample_faults",
            description: "Counter samples that failed (logged); the exported engine counters keep the last good sample");
        _lateness = meter.CreateHistogram(
            LatenessInstrument,
            unit: "ms",
            description: "Logical lateness (tick time - due time) of scheduled evaluations, from the engine's fixed buckets; counts start over with the process",
            tags: null,
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = EngineCounters.SchedulingLatenessBoundsMs });
    }

    public Sample Latest => _latest;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SamplePeriod);
        try
        {
            do
            {
                // A full ring skips this sample: metrics must not add load when the engine has none to spare.
                if (_node.TryQuery(Copy) is { } read)
                {
                    try
                    {
                        var sample = await read.ConfigureAwait(false);
                        RecordLateness(_lateness, _latest, sample);
                        _latest = sample;
                    }
                    catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
                    {
                        // A background loop must not stop the host (DESIGN invariant 9): count, log, sample again next tick.
                        _faults.Add(1);
                        _log.LogError(e, "sampling the engine counters failed; the metrics keep the last good sample");
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
        catch (ObjectDisposedException)
        {
            // The node was disposed first; nothing left to sample.
        }
    }

    /// <summary>
    /// Records into <paramref name="histogram"/> the evaluations each bucket gained between two
    /// samples, as values inside that bucket whose sum is the bucket's lateness sum, so both the
    /// exported bucket counts and the exported sum are exact. Counts that went down (a new
    /// engine instance, e.g. after a snapshot was installed) count from zero.
    /// </summary>
    internal static void RecordLateness(Histogram<long> histogram, Sample previous, Sample next)
    {
        var reset = false;
        for (var i = 0; i < next.LatenessCounts.Count; i++)
        {
            reset |= next.LatenessCounts[i] < previous.LatenessCounts[i];
        }

        for (var i = 0; i < next.LatenessCounts.Count; i++)
        {
            var count = next.LatenessCounts[i] - (reset ? 0 : previous.LatenessCounts[i]);
            var sum = next.LatenessSumsMs[i] - (reset ? 0 : previous.LatenessSumsMs[i]);
            if (count <= 0)
            {
                continue;
            }

            // r values q + 1 and count − r values q (q = floor(sum / count)) add up to sum; the
            // mean of integers in (lower, upper] lies there, so q + 1 (when r > 0) and q do too.
            var q = Math.DivRem(sum, count, out var r);
            if (r < 0)
            {
                q--;
                r += count;
            }

            for (var k = 0L; k < count; k++)
            {
                histogram.Record(k < r ? q + 1 : q);
            }
        }
    }

    private static Sample Copy(EngineState state)
    {
        var c = state.Counters;
        return new Sample(
            c.ScheduledEvaluations,
            c.CaughtUpEvaluations,
            c.ArrivalEvaluations,
            c.GroupEvaluations,
            state.MonitorCount,
            state.SeriesCount,
            state.LogicalTimeMs,
            [.. c.SchedulingLateness],
            [.. c.SchedulingLatenessSumMs])
        {
            ClientSessions = state.Clients.Count,
            ClientDuplicates = state.Clients.Duplicates,
            ClientSessionsEvicted = state.Clients.Evicted,
            ClientSessionsExpired = state.Clients.Expired,
        };
    }

    /// <summary>A copy of the counters at one log position.</summary>
    public sealed record Sample(
        long ScheduledEvaluations,
        long CaughtUpEvaluations,
        long ArrivalEvaluations,
        long GroupEvaluations,
        int Monitors,
        int Series,
        long LogicalTimeMs,
        IReadOnlyList<long> LatenessCounts,
        IReadOnlyList<long> LatenessSumsMs)
    {
        /// <summary>Client sessions remembered for idempotent retries (docs/clients.md).</summary>
        public int ClientSessions { get; init; }

        /// <summary>Client batch entries answered from a session instead of applied (retries).</summary>
        public long ClientDuplicates { get; init; }

        public long ClientSessionsEvicted { get; init; }

        public long ClientSessionsExpired { get; init; }
    }
}
