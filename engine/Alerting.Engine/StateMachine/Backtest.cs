using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// One candidate monitor replayed alone through a private state machine (its own
/// <see cref="EngineState"/> and <see cref="LogApplier"/>): the caller feeds it the Tick, Points and
/// CheckRuns entries of a journal or a file in order, and it keeps the events the candidate produces
/// between <see cref="FromMs"/> and <see cref="ToMs"/> (logical time), with their rendered messages.
/// Nothing here touches a live state; the replay is as deterministic as the state machine itself.
/// Entries that are not the candidate's business (other monitors, downtimes, notification records)
/// are skipped: a backtest answers "what would this definition have done with these points".
/// </summary>
public sealed class Backtest
{
    /// <summary>Id given to a candidate that has none: the private engine needs one, the live engine never sees it.</summary>
    public const string DefaultCandidateId = "backtest";

    private readonly LogApplier _applier;
    private readonly Monitor _candidate;
    private readonly int _maxEvents;
    private readonly List<BacktestEvent> _events = [];
    private long _index;
    private long _sourceIndex;

    /// <param name="candidate">A definition that passed <see cref="MonitorCompiler.Validate"/> (an id is given when it has none).</param>
    /// <param name="fromMs">First logical time whose events are kept.</param>
    /// <param name="toMs">Last logical time whose events are kept; entries past it are not applied.</param>
    /// <param name="maxEvents">Most events kept; one more is a <see cref="BacktestLimitException"/>.</param>
    /// <param name="limits">The live engine's ingest limits, so points are admitted as they were live.</param>
    public Backtest(Monitor candidate, long fromMs, long toMs, int maxEvents, IngestLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (Refusal(candidate) is { } refusal)
        {
            throw new ArgumentException(refusal, nameof(candidate));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(fromMs, toMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEvents, 1);
        _candidate = candidate.Id.Length > 0 ? candidate : WithId(candidate, DefaultCandidateId);
        FromMs = fromMs;
        ToMs = toMs;
        _maxEvents = maxEvents;
        _applier = new LogApplier(new EngineState(limits), Collect);
    }

    /// <summary>
    /// Why a valid definition cannot be backtested (field: reason), or null: a composite reads other
    /// monitors' states, which the private engine does not hold and a backtest does not replay.
    /// </summary>
    public static string? Refusal(Monitor candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return candidate.Type == "composite"
            ? "type: a composite monitor reads other monitors' states, which a backtest does not replay; backtest its members"
            : null;
    }

    public long FromMs { get; }

    public long ToMs { get; }

    /// <summary>Logical time of the first Tick replayed, null before it: points before it have no time to be judged against.</summary>
    public long? FirstTickMs { get; private set; }

    /// <summary>Logical time of the private engine (0 before the first Tick).</summary>
    public long LogicalTimeMs => _applier.State.LogicalTimeMs;

    /// <summary>Points and check runs handed to the private engine (admitted or not).</summary>
    public long PointsReplayed { get; private set; }

    /// <summary>Points and check runs the private engine refused (too old, too far ahead of logical time, over a limit), as the live engine would have.</summary>
    public long PointsRejected { get; private set; }

    /// <summary>Events of the candidate between <see cref="FromMs"/> and <see cref="ToMs"/>, in the order the engine produced them.</summary>
    public IReadOnlyList<BacktestEvent> Events => _events;

    /// <summary>True once a Tick past <see cref="ToMs"/> was seen: later entries change nothing that is kept.</summary>
    public bool Finished => LogicalTimeMs > ToMs;

    /// <summary>
    /// How long before <paramref name="fromMs"/> a replay must start for the evaluations from one
    /// interval before <c>fromMs</c> on (the one a transition at <c>fromMs</c> starts from) to see what
    /// a live monitor would have seen: the window (and a change query's shift), the evaluation delay,
    /// the new-group delay during which a new group is not evaluated, and one evaluation interval.
    /// </summary>
    public static long WarmUpMs(Monitor candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var compiled = MonitorCompiler.Compile(candidate.Id.Length > 0 ? candidate : WithId(candidate, DefaultCandidateId));
        return compiled.Spec.WindowMs + compiled.Spec.ShiftMs + compiled.EvaluationDelayMs + (candidate.Options?.NewGroupDelayMs ?? 0) + compiled.IntervalMs;
    }

    /// <summary>
    /// Applies one entry of the source at <paramref name="sourceIndex"/> (its journal index, or a
    /// position in a file; events carry it): Tick, Points and CheckRuns go to the private engine, the
    /// rest is skipped. Returns true when the entry was applied.
    /// </summary>
    /// <exception cref="BacktestLimitException">The candidate produced more than the allowed events.</exception>
    public bool Apply(long sourceIndex, LogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (Finished)
        {
            return false;
        }

        switch (entry.BodyCase)
        {
            case LogEntry.BodyOneofCase.Tick:
                _sourceIndex = sourceIndex;
                Step(entry);
                if (FirstTickMs is null)
                {
                    FirstTickMs = LogicalTimeMs;
                    Upsert();
                }

                return true;
            case LogEntry.BodyOneofCase.Points when FirstTickMs is not null:
                _sourceIndex = sourceIndex;
                foreach (var series in entry.Points.Series)
                {
                    PointsReplayed += series.Values.Count;
                }

                Step(entry);
                return true;
            case LogEntry.BodyOneofCase.CheckRuns when FirstTickMs is not null:
                _sourceIndex = sourceIndex;
                PointsReplayed += entry.CheckRuns.Runs.Count;
                Step(entry);
                return true;
            case LogEntry.BodyOneofCase.EngineSettings:
                // Series retention and step budgets decide which series the candidate still reads, as live.
                _sourceIndex = sourceIndex;
                Step(entry);
                return true;
            default:
                return false;
        }
    }

    private void Upsert()
    {
        var result = Step(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = _candidate } });
        Invariant.Check(result.Monitor == MonitorOutcome.Created, "a backtest's candidate passed validation, so its private engine creates it");
    }

    private ApplyResult Step(LogEntry entry)
    {
        var result = _applier.Apply(++_index, 1, entry);
        PointsRejected += result.RejectedTotal;
        return result;
    }

    private void Collect(IReadOnlyList<TransitionEvent> events)
    {
        var messages = _applier.State.Monitors.EventMessages;
        Invariant.Check(messages.Count == events.Count, "every transition event has its rendered message");
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.TimeMs < FromMs || e.TimeMs > ToMs)
            {
                continue;
            }

            if (_events.Count == _maxEvents)
            {
                throw new BacktestLimitException("max_transitions", _maxEvents, $"the candidate produced more than {_maxEvents} transitions between the two times; narrow the range or raise max_transitions");
            }

            _events.Add(new BacktestEvent(e, messages[i], _sourceIndex));
        }
    }

    private static Monitor WithId(Monitor monitor, string id)
    {
        var copy = monitor.Clone();
        copy.Id = id;
        return copy;
    }
}

/// <summary>One event of a backtest, its rendered message, and the index of the source entry that caused it.</summary>
public readonly record struct BacktestEvent(TransitionEvent Event, string Message, long SourceIndex);
