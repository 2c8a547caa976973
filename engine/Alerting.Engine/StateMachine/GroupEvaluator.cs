using System.Runtime.InteropServices;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;
using Alerting.Engine.Timing;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// How one group evaluates, and every other way its state can change: reads the group's window
/// (or check runs) and its mute, hands them to the <see cref="StateProcessor"/>, and renders the
/// monitor's message for each transition it emits. The events of the entry being applied
/// collect in <see cref="Events"/>, with their messages at the same positions.
/// </summary>
internal sealed class GroupEvaluator
{
    private readonly WindowStores _windows;
    private readonly DowntimeBook _downtimes;
    private readonly LogicalClock _clock;
    private readonly EngineCounters _counters;
    private readonly SeriesIndex _series;
    private readonly CompositeIndex _composites;
    private readonly EditSteps _edits;

    // One per store tier, created the first time a formula monitor of that tier evaluates.
    private readonly FormulaEvaluator?[] _formulas = new FormulaEvaluator?[StoreTiers.Count];

    // One per store tier, created the first time a percentile monitor of that tier evaluates.
    private readonly PercentileEvaluator?[] _percentiles = new PercentileEvaluator?[StoreTiers.Count];

    public GroupEvaluator(WindowStores windows, DowntimeBook downtimes, LogicalClock clock, EngineCounters counters, SeriesIndex series, CompositeIndex composites, EditSteps edits)
    {
        _edits = edits;
        _series = series;
        _composites = composites;
        _windows = windows;
        _downtimes = downtimes;
        _clock = clock;
        _counters = counters;
    }

    /// <summary>Events produced by the entry being applied; the applier hands them on and clears the list.</summary>
    public List<TransitionEvent> Events { get; } = [];

    /// <summary>The monitor's message rendered for each of <see cref="Events"/>, at the same positions.</summary>
    public List<string> EventMessages { get; } = [];

    /// <summary>
    /// State changes of groups of monitors that composites use, in the order they happened during
    /// the entry being applied: what <see cref="CompositeEvaluator.Flush"/> evaluates, then clears.
    /// </summary>
    public List<(string MonitorId, string GroupKey, long TimeMs)> MemberChanges { get; } = [];

    /// <summary>
    /// Groups whose mute a downtime command refreshed, since start (not state, not in snapshots):
    /// the work downtime commands cost, which their index keeps to the monitors they can cover.
    /// </summary>
    public long MuteRefreshes { get; private set; }

    /// <summary>A group's clock: logical time, or up to <see cref="FuturePoints.ArrivalSkewMs"/> later if an on-arrival evaluation went further (up to 60 s in snapshots before format 16).</summary>
    public long GroupNow(MonitorGroup group) => Math.Max(_clock.NowMs, group.LastEvaluatedMs);

    /// <summary>A scheduled evaluation of every group of the monitor at its due instant.</summary>
    public void EvaluateMonitor(CompiledMonitor monitor, long dueMs, long logIndex)
    {
        if (monitor.Ranking is { } ranking)
        {
            RankGroups(monitor, ranking, dueMs);
        }

        foreach (var group in monitor.Groups.Values)
        {
            EvaluateGroup(monitor, group, dueMs, logIndex);
        }
    }

    /// <summary>
    /// top(): ranks every group at the window end its evaluation will use, keeping the first N
    /// in a heap of N; only those are evaluated with their value, the others as missing data.
    /// </summary>
    private void RankGroups(CompiledMonitor monitor, TopRanking ranking, long dueMs)
    {
        var formula = monitor.Formula!;
        var evaluator = _formulas[monitor.Tier] ??= new FormulaEvaluator(_windows.Evaluator(monitor.Tier));
        ranking.Clear();
        foreach (var group in monitor.Groups.Values)
        {
            group.InTop = false;
            var windowEndMs = Math.Max(dueMs, group.LastEvaluatedMs) - monitor.EvaluationDelayMs;
            if (evaluator.Rank(formula, group.FormulaSlots!, monitor.Spec, windowEndMs, out var rank))
            {
                ranking.Offer(rank, group);
            }
        }

        ranking.MarkKept();
    }

    public void EvaluateGroup(CompiledMonitor monitor, MonitorGroup group, long atMs, long logIndex)
    {
        Bring(monitor, group, logIndex);
        var nowMs = Math.Max(atMs, group.LastEvaluatedMs);
        group.LastEvaluatedMs = nowMs;
        var windowEndMs = nowMs - monitor.EvaluationDelayMs;
        EvaluationOutcome outcome;
        if (monitor.IsCheck)
        {
            outcome = group.Runs!.Evaluate(windowEndMs, monitor.CheckStalenessMs, monitor.CheckCounts);
        }
        else if (monitor.Formula is { } formula)
        {
            var operandSlots = group.FormulaSlots;
            Invariant.Check(operandSlots is not null, "a formula monitor's groups keep one slot list per query");
            var evaluator = _formulas[monitor.Tier] ??= new FormulaEvaluator(_windows.Evaluator(monitor.Tier));
            if (monitor.Ranking is not null && !group.InTop)
            {
                if (group.State.State == AlertState.Ok && !group.State.IsPending)
                {
                    // Not in the query's result and nothing to resolve: as in Datadog, where a
                    // group never ranked never appears, it is not evaluated.
                    return;
                }

                // Outside the top N a group that is not OK is missing from the query's result: no
                // value, and no point seen, so its no-data time runs from its last point in the top N.
                outcome = new EvaluationOutcome(false, double.NaN, false, long.MinValue);
            }
            else
            {
                var result = evaluator.Evaluate(formula, operandSlots!, monitor.Spec, windowEndMs);
                outcome = new EvaluationOutcome(result.HasValue, result.HasValue ? result.Value : double.NaN, result.FullWindow, evaluator.NewestPointMs(operandSlots!, windowEndMs));
            }
        }
        else if (monitor.PercentileHundredths > 0)
        {
            outcome = EvaluatePercentile(monitor, group, windowEndMs);
        }
        else
        {
            var evaluator = _windows.Evaluator(monitor.Tier);
            var slots = group.Slots.AsSpan();
            var result = evaluator.Evaluate(slots, monitor.Spec, windowEndMs, monitor.Modifiers);
            outcome = new EvaluationOutcome(result.HasValue, result.HasValue ? result.Value : double.NaN, result.FullWindow, evaluator.NewestPointMs(slots, windowEndMs));
            if (!result.HasValue && monitor.EvaluateAsZero && IsCountLike(monitor, group))
            {
                // Datadog "evaluate as zero": no count in the window is a count of 0, over the whole window.
                outcome = outcome with { HasValue = true, Value = 0, FullWindow = true };
            }
        }

        Apply(monitor, group, nowMs, outcome, logIndex);
    }

    /// <summary>
    /// A percentile group: each bucket series' window sum goes to the bound its <c>le</c> (or
    /// <c>bin_le</c>) tag carries (read from the series' tags, in group order), then the percentile is interpolated
    /// (<see cref="PercentileEvaluator"/>). O(series of the group × window buckets), 0 B.
    /// </summary>
    private EvaluationOutcome EvaluatePercentile(CompiledMonitor monitor, MonitorGroup group, long windowEndMs)
    {
        var window = _windows.Evaluator(monitor.Tier);
        var evaluator = _percentiles[monitor.Tier];
        if (evaluator is null || !ReferenceEquals(evaluator.Window, window))
        {
            // A restored snapshot replaces the tier's store and its evaluator.
            evaluator = _percentiles[monitor.Tier] = new PercentileEvaluator(window);
        }

        var slots = group.Slots.AsSpan();
        var ids = group.SeriesIds.AsSpan();
        Invariant.Check(slots.Length == ids.Length, "a group keeps one slot per series");
        evaluator.Begin(monitor.Spec.WindowMs, windowEndMs);
        for (var i = 0; i < slots.Length; i++)
        {
            var bound = PercentileEvaluator.BoundOf(_series[ids[i]].Tags, out var bin);
            evaluator.Add(slots[i], bound, bin);
        }

        var result = evaluator.Finish(monitor.PercentileHundredths / (double)PercentileQuery.HundredthsPerWhole);
        // Ingestion keeps writing zero deltas for a histogram with no traffic: only a window that holds observations is
        // data, so a drained histogram goes silent (NO DATA, timeout) rather than holding its last state.
        return result.HasValue
            ? new EvaluationOutcome(true, result.Value, result.FullWindow, window.NewestPointMs(slots, windowEndMs))
            : new EvaluationOutcome(false, double.NaN, result.FullWindow, EvaluationOutcome.NoPoint);
    }

    /// <summary>
    /// A composite group's evaluation: its expression's state over its members' (see
    /// <see cref="CompositeProgram"/>) goes through the state processor like a check's verdict
    /// (ALERT 2, WARN 1, OK 0 against critical 2 and warning 1), so renotification, downtimes,
    /// <c>for</c> and the notifications work as for any monitor. A NO DATA expression is NO DATA
    /// when the composite has <c>notify_no_data</c>; otherwise the group keeps its last known
    /// state (Datadog's rule).
    /// </summary>
    public void EvaluateComposite(CompiledMonitor composite, MonitorGroup group, AlertState expression, long atMs, long logIndex)
    {
        Invariant.Check(composite.Composite is not null, "only a composite evaluates an expression");
        var nowMs = Math.Max(atMs, group.LastEvaluatedMs);
        group.LastEvaluatedMs = nowMs;
        group.LastReportedMs = nowMs;
        var outcome = expression switch
        {
            AlertState.NoData => new EvaluationOutcome(false, double.NaN, true, nowMs, Unknown: composite.Rules.NotifyNoData),
            AlertState.Alert => EvaluationOutcome.Of(CheckStatusAdapter.CriticalLevel, nowMs),
            AlertState.Warn => EvaluationOutcome.Of(CheckStatusAdapter.WarningLevel, nowMs),
            _ => EvaluationOutcome.Of(CheckStatusAdapter.OkLevel, nowMs),
        };
        Apply(composite, group, nowMs, outcome, logIndex);
    }

    private void Apply(CompiledMonitor monitor, MonitorGroup group, long nowMs, in EvaluationOutcome outcome, long logIndex)
    {
        var mute = _downtimes.Evaluate(monitor.Id, group.Key, group.Tags, nowMs);
        var sink = new EventSink(Events);
        _counters.GroupEvaluations++;
        var before = Events.Count;
        StateProcessor.Evaluate(monitor.Rules, ref group.State, nowMs, outcome, mute, logIndex, ref sink);
        RenderMessages(monitor, group, before);
    }

    /// <summary>
    /// Whether a window without points means a count of zero: the query counts points, or every
    /// series of the group was last written as a COUNT or RATE (O(series of the group)); never for
    /// change and pct_change.
    /// </summary>
    private bool IsCountLike(CompiledMonitor monitor, MonitorGroup group)
    {
        if (monitor.Spec.IsChange)
        {
            // A change needs both windows: zero for a missing one would report the other as the change.
            return false;
        }

        if (monitor.Spec.Inner == TimeAggregation.Count)
        {
            return true;
        }

        var ids = group.SeriesIds;
        for (var i = 0; i < ids.Count; i++)
        {
            if (_series[ids[i]].Type is not (Protocol.Log.SeriesType.Count or Protocol.Log.SeriesType.Rate))
            {
                return false;
            }
        }

        return ids.Count > 0;
    }

    /// <summary>A group of a deleted monitor is freed (see <see cref="MonitorDrain"/>): its last word.</summary>
    public void OnGroupDeleted(CompiledMonitor monitor, MonitorGroup group, long logIndex)
    {
        Bring(monitor, group, logIndex);
        var sink = new EventSink(Events);
        var before = Events.Count;
        StateProcessor.OnMonitorDeleted(monitor.Rules, ref group.State, GroupNow(group), logIndex, ref sink);
        RenderMessages(monitor, group, before);
    }

    /// <summary>The monitor is being edited: each group's state under the new rules.</summary>
    public void OnMonitorEdited(CompiledMonitor old, CompiledMonitor updated, long logIndex)
    {
        foreach (var group in old.Groups.Values)
        {
            OnGroupEdited(old, updated, group, logIndex);
        }
    }

    /// <summary>
    /// Re-stamps the group with the same-selection edits of <paramref name="holder"/> it does not have yet (see
    /// <see cref="EditSteps"/>), before anything reads or changes its state. O(1) when no edit is going.
    /// </summary>
    public void Bring(CompiledMonitor holder, MonitorGroup group, long logIndex)
    {
        if (_edits.Count > 0 && _edits.TryGet(holder, out var chain) && group.EditMark < chain.LastIndex)
        {
            Restamp(chain, group, logIndex);
        }
    }

    /// <summary>
    /// Applies to the group, oldest first, the edits of the chain it does not have, each as the edit done at once
    /// would have (its old and new rules, the group's clock at the edit); the events come out in this entry,
    /// rendered with the chain's own definition, its newest edit (notifying no one when that notifies per notify_by key).
    /// </summary>
    public void Restamp(EditChain chain, MonitorGroup group, long logIndex)
    {
        Invariant.Check(group.EditMark < chain.LastIndex, "a group is re-stamped only when it lacks an edit of its chain");
        var sink = new EventSink(Events);
        var before = Events.Count;
        var applied = 0;
        foreach (var edit in chain.Edits)
        {
            if (edit.LogIndex > group.EditMark)
            {
                applied++;
                StateProcessor.OnMonitorEdited(edit.From.Rules, edit.To.Rules, ref group.State, Math.Max(edit.AtMs, group.LastEvaluatedMs), logIndex, ref sink);
            }
        }

        group.EditMark = chain.LastIndex;

        // The chain's own definition (its newest edit; the live monitor unless a regroup is letting go of the groups or
        // they are drained): a later edit applied at once finishes the chain before it is in force, and a regroup's
        // target (notify_by or a new message) is not what these resets come from.
        RenderMessages(chain.Holder, group, before, applyKeys: false);
        if (chain.Holder.NotifiesPerKey)
        {
            Silence(before);
        }

        _edits.Restamped(chain, applied);
    }

    /// <summary>The events from <paramref name="from"/> on notify no one (they are still recorded and delivered to subscribers).</summary>
    public void Silence(int from)
    {
        for (var i = from; i < Events.Count; i++)
        {
            Events[i] = Events[i] with { Notify = false };
        }
    }

    /// <summary>
    /// One group of <paramref name="old"/> under the edit to <paramref name="updated"/> (a regroup lets go of its
    /// old groups in steps, see <see cref="SeriesMatcher"/>). <paramref name="silently"/>: the edit re-forms the
    /// monitor's notify_by keys, so the group's edit transitions notify no one and do not count in the keys.
    /// </summary>
    public void OnGroupEdited(CompiledMonitor old, CompiledMonitor updated, MonitorGroup group, long logIndex, bool silently = false)
    {
        Bring(old, group, logIndex);
        var sink = new EventSink(Events);
        var before = Events.Count;
        StateProcessor.OnMonitorEdited(old.Rules, updated.Rules, ref group.State, GroupNow(group), logIndex, ref sink);
        RenderMessages(updated, group, before, applyKeys: !silently);
        if (silently)
        {
            Silence(before);
        }
    }

    /// <summary>A downtime command changed: the group's mute as of now.</summary>
    public void UpdateMute(CompiledMonitor monitor, MonitorGroup group, long logIndex)
    {
        MuteRefreshes++;
        Bring(monitor, group, logIndex);
        var sink = new EventSink(Events);
        var nowMs = GroupNow(group);
        var mute = _downtimes.Evaluate(monitor.Id, group.Key, group.Tags, nowMs);
        var before = Events.Count;
        StateProcessor.UpdateMute(monitor.Rules, ref group.State, nowMs, mute, logIndex, ref sink);
        RenderMessages(monitor, group, before);
    }

    /// <summary>
    /// Renders the monitor's message for the events emitted since <paramref name="from"/> (a pure function of
    /// the event and the monitor). For a monitor with <c>notify_by</c>, the group's events notify no one
    /// themselves: each goes through the monitor's <see cref="NotifyKeyTable"/>, and the key's events (its
    /// state changes and renotifications) follow the group's, carrying the notification.
    /// </summary>
    private void RenderMessages(CompiledMonitor monitor, MonitorGroup group, int from, bool applyKeys = true)
    {
        var end = Events.Count;
        for (var i = from; i < end; i++)
        {
            var e = Events[i];
            // A deleted monitor is never a composite's member (its delete is refused while one uses it),
            // but a draining monitor can share a retired id with a live member: its last words are not member changes.
            if (e.ChangesState && e.Reason != TransitionReason.MonitorDeleted && _composites.IsUsed(monitor.Id))
            {
                MemberChanges.Add((monitor.Id, group.Key, e.TimeMs));
            }

            EventMessages.Add(Render(monitor, group.Key, group.Tags, e));
        }

        if (applyKeys && monitor.NotifyKeys is { } keys)
        {
            for (var i = from; i < end; i++)
            {
                var e = Events[i];
                if (e.Notify)
                {
                    Events[i] = e with { Notify = false };
                }

                if (keys.Apply(group.Tags, e, monitor.Rules.RenotifyIntervalMs) is { } change)
                {
                    var keyEvent = e with
                    {
                        GroupKey = change.Key,
                        TransitionNumber = change.TransitionNumber,
                        Previous = change.Previous,
                        Next = change.Next,
                        Flags = e.Flags | GroupFlags.NotifyKey,
                        IsRenotification = change.Renotification,
                    };
                    Events.Add(keyEvent);
                    EventMessages.Add(Render(monitor, change.Key, keys.TagsOf(group.Tags), keyEvent));
                }
            }
        }
        else if (monitor.NotifiesPerKey && monitor.NotifyKeys is null)
        {
            // The keys were dropped (a regrouping edit): the groups' events were never notified one by one.
            Silence(from);
        }

        Invariant.Check(EventMessages.Count == Events.Count, "every transition event has its rendered message at the same position");
    }

    private static string Render(CompiledMonitor monitor, string groupKey, string[] groupTags, in TransitionEvent e)
    {
        var context = new TemplateContext
        {
            MonitorId = monitor.Id,
            MonitorName = monitor.Name,
            GroupKey = groupKey,
            GroupTags = groupTags,
            Value = e.Value,
            // Datadog's {{threshold}} is the monitor's alert threshold whatever the event; an event no
            // threshold decided (a renotification, no data) carries NaN, so a metric monitor falls back to it.
            Threshold = double.IsNaN(e.Threshold) && !monitor.IsCheck && monitor.Composite is null ? monitor.Rules.Critical : e.Threshold,
            WarningThreshold = monitor.Rules.Warning,
            State = e.Next,
            PreviousState = e.Previous,
            IsRenotify = e.IsRenotification,
            IsMuted = (e.Flags & GroupFlags.Muted) != 0,
            TimeMs = e.TimeMs,
            Comparator = monitor.IsCheck ? null : QueryFormatter.Symbol(monitor.Rules.Comparator),
            OkThreshold = monitor.IsCheck
                ? (monitor.CheckCounts.IsSet ? monitor.CheckCounts.Ok : null)
                : monitor.Rules.CriticalRecovery,
            Priority = monitor.DefinedPriority,
            IsCheck = monitor.IsCheck,
        };

        // Datadog sends the escalation message with every renotification, the message following it.
        return e.IsRenotification && monitor.EscalationMessage is { } escalation
            ? MessageTemplate.RenderEscalation(escalation, monitor.Message, context)
            : monitor.Message.Render(context);
    }

    private readonly struct EventSink : ITransitionSink
    {
        private readonly List<TransitionEvent> _events;

        public EventSink(List<TransitionEvent> events)
        {
            _events = events;
        }

        public void Emit(in TransitionEvent transition) => _events.Add(transition);
    }
}
