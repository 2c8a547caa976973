using Alerting.Protocol.Log;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// The one door into state: applies durable log entries, strictly in index order, to an
/// <see cref="EngineState"/>. It reads no clock and no randomness; time moves only by
/// <see cref="Tick"/> entries.
/// </summary>
public sealed class LogApplier
{
    public LogApplier(EngineState state)
    {
        State = state;
    }

    public EngineState State { get; }

    /// <summary>Applies the entry at <paramref name="index"/>, which must follow the last applied one.</summary>
    public void Apply(long index, ulong term, LogEntry entry)
    {
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

        switch (entry.BodyCase)
        {
            case LogEntry.BodyOneofCase.Tick:
                // A new primary's clock may lag the old one's: logical time never goes back.
                state.LogicalTimeMs = Math.Max(state.LogicalTimeMs, entry.Tick.UnixMs);
                state.TicksApplied++;
                break;
            case LogEntry.BodyOneofCase.MonitorUpserted:
                state.Monitors[entry.MonitorUpserted.Monitor.Id] = entry.MonitorUpserted.Monitor;
                break;
            case LogEntry.BodyOneofCase.MonitorDeleted:
                state.Monitors.Remove(entry.MonitorDeleted.MonitorId);
                break;
            case LogEntry.BodyOneofCase.DowntimeUpserted:
                state.Downtimes[entry.DowntimeUpserted.Downtime.Id] = entry.DowntimeUpserted.Downtime;
                break;
            case LogEntry.BodyOneofCase.DowntimeDeleted:
                state.Downtimes.Remove(entry.DowntimeDeleted.DowntimeId);
                break;
            case LogEntry.BodyOneofCase.Points:
                foreach (var series in entry.Points.Series)
                {
                    state.PointsApplied += series.Values.Count;
                }

                break;
            case LogEntry.BodyOneofCase.CheckRuns:
                state.CheckRunsApplied += entry.CheckRuns.Runs.Count;
                break;
            case LogEntry.BodyOneofCase.NotificationDelivered:
                state.NotificationsDelivered++;
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
    }
}
