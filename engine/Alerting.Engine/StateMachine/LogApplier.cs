using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// The one door into state: applies durable log entries, strictly in index order, to an
/// <see cref="EngineState"/>. It reads no clock and no randomness; time moves only by
/// <see cref="Tick"/> entries. The transition events an entry causes are handed to the
/// observer after the entry is applied.
/// </summary>
public sealed class LogApplier
{
    private readonly Action<IReadOnlyList<TransitionEvent>>? _onTransitions;
    private readonly long[] _rejected = new long[RejectReasonNames.Count];

    public LogApplier(EngineState state, Action<IReadOnlyList<TransitionEvent>>? onTransitions = null)
    {
        State = state;
        _onTransitions = onTransitions;
    }

    public EngineState State { get; }

    /// <summary>Points and check runs of the last applied entry refused, by <see cref="RejectReason"/>.</summary>
    public ReadOnlySpan<long> LastEntryRejections => _rejected;

    /// <summary>Applies the entry at <paramref name="index"/>, which must follow the last applied one.</summary>
    public ApplyResult Apply(long index, ulong term, LogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var state = State;
        if (index != state.AppliedIndex + 1)
        {
            throw new InvariantViolationException(
                $"log order: entry {index} applied after {state.AppliedIndex}; the state machine applies entries contiguously");
        }

        if (term < state.Term)
        {
            throw new InvariantViolationException(
                $"terms never decrease along the log: entry {index} has term {term} after term {state.Term}");
        }

        Array.Clear(_rejected);
        var monitors = state.Monitors;
        var result = ApplyResult.Empty;
        switch (entry.BodyCase)
        {
            case LogEntry.BodyOneofCase.Tick:
                // A new primary's clock may lag the old one's: the engine's clock never goes back.
                state.TicksApplied++;
                monitors.ApplyTick(entry.Tick.UnixMs, index);
                state.Clients.Expire(state.LogicalTimeMs);
                break;
            case LogEntry.BodyOneofCase.MonitorUpserted:
                var (outcome, id, error) = monitors.UpsertMonitor(entry.MonitorUpserted.Monitor ?? new Protocol.Log.Monitor(), index);
                result = new ApplyResult { MonitorId = id, Monitor = outcome, Error = error };
                break;
            case LogEntry.BodyOneofCase.MonitorDeleted:
                var (deleted, deleteError) = monitors.DeleteMonitor(entry.MonitorDeleted.MonitorId, index);
                result = new ApplyResult { MonitorId = entry.MonitorDeleted.MonitorId, Monitor = deleted, Error = deleteError };
                break;
            case LogEntry.BodyOneofCase.DowntimeUpserted:
                monitors.UpsertDowntime(entry.DowntimeUpserted.Downtime ?? new Downtime(), index);
                break;
            case LogEntry.BodyOneofCase.DowntimeDeleted:
                monitors.DeleteDowntime(entry.DowntimeDeleted.DowntimeId, index);
                break;
            case LogEntry.BodyOneofCase.Points:
                var points = entry.Points;
                if (points.Client is { } pointsClient && DuplicateOf(pointsClient, index) is { } pointsAck)
                {
                    result = new ApplyResult { Client = pointsAck };
                    break;
                }

                monitors.ApplyPoints(points, index, _rejected);
                result = RejectionsOf(_rejected);
                if (points.Client is { } appliedPoints)
                {
                    result = RecordClient(appliedPoints, index, term, PointCount(points), result);
                }

                break;
            case LogEntry.BodyOneofCase.CheckRuns:
                var runs = entry.CheckRuns;
                if (runs.Client is { } runsClient && DuplicateOf(runsClient, index) is { } runsAck)
                {
                    result = new ApplyResult { Client = runsAck };
                    break;
                }

                monitors.ApplyCheckRuns(runs, index, _rejected);
                result = RejectionsOf(_rejected);
                if (runs.Client is { } appliedRuns)
                {
                    result = RecordClient(appliedRuns, index, term, runs.Runs.Count, result);
                }

                break;
            case LogEntry.BodyOneofCase.NotificationDelivered:
                var delivered = entry.NotificationDelivered;
                state.Deliveries.Record(delivered);
                state.History.SetPin(state.Deliveries.Pin);
                state.NotificationsDelivered += delivered.MonitorId.Length > 0 ? 1 : 0;
                break;
            case LogEntry.BodyOneofCase.EngineSettings:
                // Refused whole when a field is out of bounds (the API checks first): every replica refuses alike.
                result = state.Settings.Apply(entry.EngineSettings) is { } settingsError ? new ApplyResult { Error = settingsError } : ApplyResult.Empty;
                break;
            case LogEntry.BodyOneofCase.TermStarted:
            case LogEntry.BodyOneofCase.SnapshotMarker:
            case LogEntry.BodyOneofCase.None:
                break;
            default:
                throw new InvariantViolationException($"entry {index} has an unknown body {entry.BodyCase}");
        }

        state.AppliedIndex = index;
        state.Term = term;
        if (monitors.Events.Count > 0)
        {
            state.History.Append(monitors.Events, monitors.EventMessages, term);
            _onTransitions?.Invoke(monitors.Events);
            monitors.Events.Clear();
            monitors.EventMessages.Clear();
        }

        return result;
    }

    /// <summary>The ack of an already applied client batch part, or null. Silent sessions expire first, so a batch is judged by live sessions only.</summary>
    private ClientAck? DuplicateOf(ClientBatch client, long index)
    {
        var state = State;
        state.Clients.Expire(state.LogicalTimeMs);
        return state.Clients.TryDuplicate(client, index, state.LogicalTimeMs);
    }

    /// <summary>Records a client batch's applied part; the result carries the batch's ack so far.</summary>
    private ApplyResult RecordClient(ClientBatch client, long index, ulong term, long count, ApplyResult result)
    {
        var rejected = _rejected.AsSpan();
        var refused = 0L;
        foreach (var n in rejected)
        {
            refused += n;
        }

        var state = State;
        var ack = state.Clients.Record(client, index, term, state.LogicalTimeMs, count - refused, rejected);
        return result with { Client = ack };
    }

    private static long PointCount(PointsBatch batch)
    {
        var count = 0L;
        foreach (var series in batch.Series)
        {
            count += series.UnixMs.Count;
        }

        return count;
    }

    /// <summary>The common case (nothing refused) shares one empty result: no allocation per batch.</summary>
    private static ApplyResult RejectionsOf(long[] rejected) =>
        rejected.AsSpan().IndexOfAnyExcept(0L) >= 0 ? new ApplyResult { Rejected = (long[])rejected.Clone() } : ApplyResult.Empty;
}
