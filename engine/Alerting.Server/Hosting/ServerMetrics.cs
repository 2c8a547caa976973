using System.Diagnostics.Metrics;
using Alerting.Engine.Monitors;
using Alerting.Engine.Pipeline;

namespace Alerting.Server.Hosting;

/// <summary>
/// The "Alerting" meter: ingest counters counted at the API, and the node's positions read
/// from its volatile fields when scraped, and the state machine's counters from a periodic copy.
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Alerting";

    private readonly Meter _meter;
    private readonly Counter<long> _pointsAccepted;
    private readonly Counter<long> _pointsRejected;
    private readonly KeyValuePair<string, object?>[] _reasonTags;

    public ServerMetrics(IMeterFactory meters, EngineNode node, EngineCountersSampler counters, Api.SubscriptionSlots subscriptions, Api.IngestStreamSlots writeStreams, LatencyHistograms latency)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(subscriptions);
        ArgumentNullException.ThrowIfNull(writeStreams);
        ArgumentNullException.ThrowIfNull(latency);
        _meter = meters.Create(MeterName);
        latency.Attach(_meter);
        _pointsAccepted = _meter.CreateCounter<long>("alerting.ingest.accepted", description: "Points and check runs accepted by the state machine");
        _pointsRejected = _meter.CreateCounter<long>("alerting.ingest.rejected", description: "Points and check runs refused by the state machine, by reason");
        _reasonTags = Enumerable.Range(0, RejectReasonNames.Count)
            .Select(i => new KeyValuePair<string, object?>("reason", RejectReasonNames.Of((RejectReason)i)))
            .ToArray();
        var admission = node.Admission;
        _meter.CreateObservableGauge("alerting.ingest.apply_backlog", () => admission.BacklogNanos / 1e9, unit: "s", description: "Estimated state-machine time of the client writes admitted and not yet applied (bounded by ApplyBacklogBudgetMs)");
        _meter.CreateObservableGauge("alerting.ingest.admission.waiting", () => admission.Waiting, description: "Client writes waiting for admission");
        _meter.CreateObservableCounter("alerting.ingest.admission.refused", () => new[]
        {
            new Measurement<long>(admission.RefusedQueueFull, new KeyValuePair<string, object?>("reason", "queue_full")),
            new Measurement<long>(admission.RefusedTimedOut, new KeyValuePair<string, object?>("reason", "timed_out")),
        }, description: "Client writes refused admission (RESOURCE_EXHAUSTED, nothing written), by reason");
        _meter.CreateObservableGauge("alerting.ring.free_slots", () => node.InputRingFree, description: "Free input ring slots");
        _meter.CreateObservableGauge("alerting.log.last_index", () => node.LastIndex, description: "Last appended log index");
        _meter.CreateObservableGauge("alerting.log.durable_index", () => node.DurableIndex, description: "Durable (committed) log index");
        _meter.CreateObservableGauge("alerting.log.applied_index", () => node.Progress.AppliedIndex, description: "Applied log index");
        _meter.CreateObservableGauge("alerting.snapshots.written", () => node.SnapshotsWritten, description: "Snapshots written since start");
        _meter.CreateObservableCounter("alerting.snapshots.failed", () => node.SnapshotFailures, description: "Snapshot writes that failed since start");
        _meter.CreateObservableCounter("alerting.evaluations.scheduled", () => counters.Latest.ScheduledEvaluations, description: "Scheduled monitor evaluations");
        _meter.CreateObservableCounter("alerting.evaluations.caught_up", () => counters.Latest.CaughtUpEvaluations, description: "Scheduled evaluations done late after a time jump");
        _meter.CreateObservableCounter("alerting.evaluations.on_arrival", () => counters.Latest.ArrivalEvaluations, description: "on_arrival group evaluations");
        _meter.CreateObservableCounter("alerting.evaluations.groups", () => counters.Latest.GroupEvaluations, description: "Group evaluations of either kind");
        _meter.CreateObservableGauge("alerting.subscriptions.open", () => subscriptions.Slots.Open, description: "Open Alerts.Subscribe streams");
        _meter.CreateObservableGauge("alerting.write_streams.open", () => writeStreams.Slots.Open, description: "Open Ingest.Write streams");
        _meter.CreateObservableGauge("alerting.monitors", () => counters.Latest.Monitors, description: "Monitors defined");
        _meter.CreateObservableGauge("alerting.series", () => counters.Latest.Series, description: "Series held");
        _meter.CreateObservableGauge("alerting.client_sessions", () => counters.Latest.ClientSessions, description: "Writers remembered for idempotent retries");
        _meter.CreateObservableCounter("alerting.client_batches.duplicates", () => counters.Latest.ClientDuplicates, description: "Client batch entries answered from the writer's session instead of applied (retries)");
        _meter.CreateObservableCounter("alerting.client_sessions.evicted", () => counters.Latest.ClientSessionsEvicted, description: "Writer sessions dropped at the cap (least recently written)");
        _meter.CreateObservableCounter("alerting.client_sessions.expired", () => counters.Latest.ClientSessionsExpired, description: "Writer sessions dropped after a day of logical time without a batch");
        _meter.CreateObservableGauge("alerting.logical_time_ms", () => counters.Latest.LogicalTimeMs, unit: "ms", description: "Logical time (unix ms) of the last applied tick");
    }

    /// <summary>Counts one acknowledged write.</summary>
    public void Acknowledged(long accepted, long[] rejectedByReason)
    {
        ArgumentNullException.ThrowIfNull(rejectedByReason);
        _pointsAccepted.Add(accepted);
        for (var i = 0; i < rejectedByReason.Length; i++)
        {
            if (rejectedByReason[i] != 0)
            {
                _pointsRejected.Add(rejectedByReason[i], _reasonTags[i]);
            }
        }
    }

    public void Dispose() => _meter.Dispose();
}
