using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Alerting.Server.Hosting;

/// <summary>
/// The latency histograms on <c>/metrics</c> (in seconds, Prometheus's unit): ingest ack latency
/// (<c>alerting_ingest_ack_latency_seconds</c>: from a write request's publication, after its admission wait, to its ack,
/// durable and applied, for every protocol) and journal group commit latency
/// (<c>alerting_journal_commit_latency_seconds</c>: one FasterLog commit, fsync included) and
/// write admission's wait (<c>alerting_ingest_admission_wait_seconds</c>). The
/// journal commits from the moment the node opens, before the meter exists: commits until
/// <see cref="Attach"/> are not recorded. Recording is a lock-free histogram update; it never throws.
/// </summary>
public sealed class LatencyHistograms
{
    /// <summary>Bucket upper bounds in seconds: 0.5 ms to 10 s, covering a local fsync (about 1 ms) up to a stalled disk.</summary>
    public static readonly IReadOnlyList<double> BoundsSeconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public const string AckInstrument = "alerting.ingest.ack_latency";

    public const string CommitInstrument = "alerting.journal.commit_latency";

    private Histogram<double>? _ack;
    private Histogram<double>? _commit;
    private Histogram<double>? _admission;

    public const string AdmissionWaitInstrument = "alerting.ingest.admission_wait";

    /// <summary>Creates the instruments on the server's meter; until then nothing is recorded.</summary>
    internal void Attach(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = BoundsSeconds };
        Volatile.Write(ref _ack, meter.CreateHistogram(AckInstrument, "s", "Time from publishing a write request (after its admission wait, which alerting.ingest.admission_wait measures) to its ack (durable and applied), any protocol", tags: null, advice));
        Volatile.Write(ref _admission, meter.CreateHistogram(AdmissionWaitInstrument, "s", "Time a client write waited for admission (the engine's apply backlog over its budget); 0 when admitted at once", tags: null, advice));
        Volatile.Write(ref _commit, meter.CreateHistogram(CommitInstrument, "s", "Duration of one journal group commit (FasterLog commit, fsync included)", tags: null, advice));
    }

    /// <summary>A write published at <paramref name="publishedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>) was acknowledged now.</summary>
    public void Acknowledged(long publishedTimestamp) =>
        Volatile.Read(ref _ack)?.Record(Stopwatch.GetElapsedTime(publishedTimestamp).TotalSeconds);

    /// <summary>A client write was admitted after waiting <paramref name="waited"/> (zero: at once).</summary>
    public void Admitted(TimeSpan waited) =>
        Volatile.Read(ref _admission)?.Record(waited.TotalSeconds);

    /// <summary>The journal's commit observer (<see cref="Engine.Pipeline.EngineOptions.OnJournalCommit"/>): one commit took <paramref name="stopwatchTicks"/>.</summary>
    public void Committed(long stopwatchTicks, long entries) =>
        Volatile.Read(ref _commit)?.Record((double)stopwatchTicks / Stopwatch.Frequency);
}
