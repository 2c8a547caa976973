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
                break;
            case LogEntry.BodyOneofCase.MonitorUpserted:
                var (outcome, id, error) = monitors.UpsertMonitor(entry.MonitorUpserted.Monitor ?? new Protocol.Log.Monitor(), index);
                result = new ApplyResult { MonitorId = id, Monitor = outcome, Error = error };
                break;
            case LogEntry.BodyOneofCase.MonitorDeleted:
                result = new ApplyResult { MonitorId = entry.MonitorDeleted.MonitorId, Monitor = monitors.DeleteMonitor(entry.MonitorDeleted.MonitorId, index) };
                break;
            case LogEntry.BodyOneofCase.DowntimeUpserted:
                monitors.UpsertDowntime(entry.DowntimeUpserted.Downtime ?? new Downtime(), index);
                break;
            case LogEntry.BodyOneofCase.DowntimeDeleted:
                monitors.DeleteDowntime(entry.DowntimeDeleted.DowntimeId, index);
                break;
            case LogEntry.BodyOneofCase.Points:
                monitors.ApplyPoints(entry.Points, index, _rejected);
                result = RejectionsOf(_rejected);
                break;
            case LogEntry.BodyOneofCase.CheckRuns:
                monitors.ApplyCheckRuns(entry.CheckRuns, index, _rejected);
                result = RejectionsOf(_rejected);
                break;
            case LogEntry.BodyOneofCase.NotificationDelivered:
                var delivered = entry.NotificationDelivered;
                state.Deliveries.Record(delivered);
                state.History.SetPin(state.Deliveries.Pin);
                state.NotificationsDelivered += delivered.MonitorId.Length > 0 ? 1 : 0;
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

    /// <summary>The common case (nothing refused) shares one empty result: no allocation per batch.</summary>
    private static ApplyResult RejectionsOf(long[] rejected) =>
        rejected.AsSpan().IndexOfAnyExcept(0L) >= 0 ? new ApplyResult { Rejected = (long[])rejected.Clone() } : ApplyResult.Empty;
}
