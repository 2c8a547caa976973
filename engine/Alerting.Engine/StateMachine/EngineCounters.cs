namespace Alerting.Engine.StateMachine;

/// <summary>
/// Deterministic counters of the state machine (part of its state and its snapshots), from
/// which the server derives metrics. Lateness here is logical: tick time − due time.
/// </summary>
public sealed class EngineCounters
{
    /// <summary>Upper bounds (ms) of the logical-lateness histogram buckets; the last bucket is open.</summary>
    public static readonly long[] LatenessBucketBoundsMs = [100, 1_000, 10_000, 60_000];

    /// <summary>
    /// Inclusive upper bounds (ms, as Prometheus' <c>le</c>) of the scheduling-lateness
    /// buckets; one more, open bucket (+Inf) follows the last.
    /// </summary>
    public static readonly long[] SchedulingLatenessBoundsMs = [0, 1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

    private readonly long[] _lateness = new long[5];

    // Not state: never in a snapshot (its bytes are unchanged) and never read by the state
    // machine, so it cannot make replicas differ. It counts the evaluations this instance
    // applied, replay included, and starts over with a new instance, as a Prometheus
    // histogram's counters start over with a process.
    private readonly long[] _schedulingLateness = new long[SchedulingLatenessBoundsMs.Length + 1];
    private readonly long[] _schedulingLatenessSumMs = new long[SchedulingLatenessBoundsMs.Length + 1];

    public long PointsAccepted { get; internal set; }

    public long CheckRunsAccepted { get; internal set; }

    /// <summary>Accepted points that fell outside the retention of a tier the series has (no window of it can read them).</summary>
    public long PointsOutsideTierRetention { get; internal set; }

    /// <summary>Series that a new or edited monitor could not group because of its group limit.</summary>
    public long GroupsRefused { get; internal set; }

    /// <summary>Scheduled monitor evaluations done.</summary>
    public long ScheduledEvaluations { get; internal set; }

    /// <summary>Scheduled evaluations done at least <see cref="EvaluationSchedule.CaughtUpThresholdMs"/> late: missed while time jumped, then caught up.</summary>
    public long CaughtUpEvaluations { get; internal set; }

    /// <summary><c>on_arrival</c> group evaluations.</summary>
    public long ArrivalEvaluations { get; internal set; }

    /// <summary>Group evaluations of either kind.</summary>
    public long GroupEvaluations { get; internal set; }

    /// <summary>Scheduled evaluations per lateness bucket (see <see cref="LatenessBucketBoundsMs"/>).</summary>
    public IReadOnlyList<long> LatenessHistogram => _lateness;

    /// <summary>
    /// Scheduled evaluations applied by this instance per scheduling-lateness bucket (not
    /// cumulative: bucket i counts lateness in (bound[i − 1], bound[i]], the last one above the
    /// last bound). Not state and not in snapshots; see <see cref="SchedulingLatenessBoundsMs"/>.
    /// </summary>
    public IReadOnlyList<long> SchedulingLateness => _schedulingLateness;

    /// <summary>Sum of the lateness (ms) of the evaluations in each bucket of <see cref="SchedulingLateness"/>.</summary>
    public IReadOnlyList<long> SchedulingLatenessSumMs => _schedulingLatenessSumMs;

    /// <summary>The bucket of <see cref="SchedulingLateness"/> a lateness falls in.</summary>
    public static int SchedulingLatenessBucket(long latenessMs)
    {
        var bucket = 0;
        while (bucket < SchedulingLatenessBoundsMs.Length && latenessMs > SchedulingLatenessBoundsMs[bucket])
        {
            bucket++;
        }

        return bucket;
    }

    internal void RecordEvaluation(long latenessMs, bool caughtUp)
    {
        var fine = SchedulingLatenessBucket(latenessMs);
        _schedulingLateness[fine]++;
        _schedulingLatenessSumMs[fine] += latenessMs;

        ScheduledEvaluations++;
        if (caughtUp)
        {
            CaughtUpEvaluations++;
        }

        var bucket = 0;
        while (bucket < LatenessBucketBoundsMs.Length && latenessMs >= LatenessBucketBoundsMs[bucket])
        {
            bucket++;
        }

        _lateness[bucket]++;
    }

    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(PointsAccepted);
        writer.Write(CheckRunsAccepted);
        writer.Write(PointsOutsideTierRetention);
        writer.Write(GroupsRefused);
        writer.Write(ScheduledEvaluations);
        writer.Write(CaughtUpEvaluations);
        writer.Write(ArrivalEvaluations);
        writer.Write(GroupEvaluations);
        foreach (var count in _lateness)
        {
            writer.Write(count);
        }
    }

    internal void ReadFrom(BinaryReader reader)
    {
        PointsAccepted = reader.ReadInt64();
        CheckRunsAccepted = reader.ReadInt64();
        PointsOutsideTierRetention = reader.ReadInt64();
        GroupsRefused = reader.ReadInt64();
        ScheduledEvaluations = reader.ReadInt64();
        CaughtUpEvaluations = reader.ReadInt64();
        ArrivalEvaluations = reader.ReadInt64();
        GroupEvaluations = reader.ReadInt64();
        for (var i = 0; i < _lateness.Length; i++)
        {
            _lateness[i] = reader.ReadInt64();
        }
    }
}
