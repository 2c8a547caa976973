using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Engine.Timing;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// The monitor side of the state machine, as <see cref="LogApplier"/> sees it: one method per
/// entry kind, each delegating to the piece that owns the concept. Single-threaded and
/// deterministic: every collection whose order decides anything is a list in log order or
/// ordinal-sorted.
/// </summary>
/// <remarks>
/// The pieces, as Prometheus splits <c>rules/</c>: <see cref="MonitorRegistry"/> (which
/// monitors exist), <see cref="SeriesIndex"/> and <see cref="SeriesMatcher"/> (which series
/// feed which groups), <see cref="WindowStores"/> (the series windows), <see cref="PointAdmission"/>
/// (what is let in), <see cref="EvaluationSchedule"/> (when monitors evaluate),
/// <see cref="GroupEvaluator"/> (how a group evaluates and changes state),
/// <see cref="CompositeEvaluator"/> (composite monitors, over the other monitors' states) and
/// <see cref="DowntimeBook"/> (what is muted). One <see cref="LogicalClock"/>, advanced here
/// only, is read by all of them.
/// <para>
/// A point's path: <see cref="ApplyPoints"/> admits it, finds (or creates and matches) its
/// series, writes it into the series' windows, and, for <c>on_arrival</c> monitors, evaluates
/// the touched groups right away. Scheduled evaluations happen in <see cref="ApplyTick"/>: the
/// wheel fires every due evaluation instant up to the tick's time, in order, each once. A tick
/// first continues the matches of monitors whose scope reached more series than one step
/// examines; such a monitor skips its evaluations until its match finishes.
/// </para>
/// </remarks>
internal sealed partial class MonitorEngine
{
    private readonly IngestLimits _limits;
    private readonly LogicalClock _clock = new();
    private readonly MonitorRegistry _monitors = new();
    private readonly SeriesIndex _series = new();
    private readonly WindowStores _windows;
    private readonly DowntimeBook _downtimes = new();
    private readonly PointAdmission _admission;
    private readonly SeriesMatcher _matcher;
    private readonly SeriesExpiry _expiry;
    private readonly EvaluationSchedule _schedule;
    private readonly GroupEvaluator _evaluator;
    private readonly MuteRefresher _mutes;
    private readonly CompositeEvaluator _composites;
    private readonly MonitorDrain _drain;
    private readonly List<DowntimeReach> _boundaries = [];
    private readonly FuturePoints _future = new();
    private readonly EditSteps _edits;

    public MonitorEngine(IngestLimits limits)
    {
        _limits = limits;
        _windows = new WindowStores(limits);
        _admission = new PointAdmission(limits, _clock);
        Settings = new ReplicatedSettings(limits);
        var compositeIndex = new CompositeIndex();
        _edits = new EditSteps();
        _evaluator = new GroupEvaluator(_windows, _downtimes, _clock, Counters, _series, compositeIndex, _edits);
        _matcher = new SeriesMatcher(limits, Settings, _monitors, _series, _windows, _clock, Counters, _evaluator, _edits);
        _expiry = new SeriesExpiry(Settings, _series, _windows, _matcher);
        _schedule = new EvaluationSchedule(_monitors, _clock);
        _composites = new CompositeEvaluator(limits, _monitors, compositeIndex, _evaluator, Counters, _matcher);
        _mutes = new MuteRefresher(_monitors, _evaluator, _matcher);
        _drain = new MonitorDrain(_monitors, _evaluator, _matcher);
    }

    /// <summary>Events produced by the entry being applied; the applier hands them on and clears the list.</summary>
    public List<TransitionEvent> Events => _evaluator.Events;

    /// <summary>The monitor's message rendered for each of <see cref="Events"/>, at the same positions.</summary>
    public List<string> EventMessages => _evaluator.EventMessages;

    public EngineCounters Counters { get; } = new();

    /// <summary>The parameters set through <c>EngineSettings</c> entries (series retention, step budgets).</summary>
    public ReplicatedSettings Settings { get; }

    /// <summary>Logical time: the greatest tick applied (see <see cref="LogicalClock"/>).</summary>
    public long LogicalTimeMs => _clock.NowMs;

    public int MonitorCount => _monitors.Count;

    public int SeriesCount => _series.Count;

    /// <summary>The type the last points batch of a metric series carried, or null when there is no such series.</summary>
    public SeriesType? SeriesTypeOf(string metric, IList<string> tags) =>
        _series.TryGet(isCheck: false, metric, SeriesIndex.NormalizeTags(tags), out var entry) ? entry.Type : null;

    public int DowntimeCount => _downtimes.Count;

    /// <summary>Monitors still matching the series that existed before them (see <see cref="SeriesMatcher"/>).</summary>
    public int MatchesPending => _matcher.PendingCount;

    public long Rejected(RejectReason reason) => _admission.Rejected(reason);

    /// <summary>Groups whose mute downtime commands refreshed (see <see cref="GroupEvaluator.MuteRefreshes"/>).</summary>
    public long MuteRefreshes => _evaluator.MuteRefreshes;

    /// <summary>Deleted monitors whose groups are still being freed, in steps (see <see cref="MonitorDrain"/>).</summary>
    public int MonitorsDraining => _drain.Count;

    /// <summary>Groups of deleted monitors freed since start (see <see cref="MonitorDrain.GroupsFreed"/>).</summary>
    public long GroupsFreed => _drain.GroupsFreed;

    /// <summary>Groups of deleted monitors not freed yet.</summary>
    public int DrainingGroups => _drain.GroupsLeft;

    /// <summary>Groups that regrouping edits have yet to let go of (see <see cref="SeriesMatcher.Regroup"/>).</summary>
    public int RegroupOldGroupsLeft => _matcher.OldGroupsLeft;

    /// <summary>Old groups regrouping edits let go of since start (see <see cref="SeriesMatcher.OldGroupsFreed"/>).</summary>
    public long RegroupOldGroupsFreed => _matcher.OldGroupsFreed;

    /// <summary>Monitors whose same-selection edits still have groups to re-stamp (see <see cref="EditSteps"/>).</summary>
    public int EditsPending => _edits.Count;

    /// <summary>Groups same-selection edits have yet to re-stamp.</summary>
    public int EditGroupsLeft => _edits.GroupsLeft;

    /// <summary>Groups same-selection edits re-stamped since start (see <see cref="EditSteps.GroupsRestamped"/>).</summary>
    public long GroupsRestamped => _edits.GroupsRestamped;

    /// <summary>Edits re-stamps applied to groups since start (see <see cref="EditSteps.EditsApplied"/>).</summary>
    public long EditsApplied => _edits.EditsApplied;

    /// <summary>Whether a downtime that names monitors still has some of their groups to refresh.</summary>
    public bool MuteRefreshPending => !_mutes.IsIdle;

    /// <summary>Whether a refresh of every monitor's mute (after a downtime that names no monitor changed) is still going.</summary>
    public bool MuteSweepPending => _mutes.IsSweeping;

    /// <summary>The downtimes covering the group now, by id, as the downtime index finds them.</summary>
    internal void CollectCoveringDowntimes(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs, List<DowntimeModel> into) =>
        _downtimes.CollectCovering(monitorId, groupKey, groupTags, nowMs, into);

    public bool TryGetMonitor(string id, out Monitor? monitor)
    {
        monitor = _monitors.TryGet(id, out var compiled) ? compiled.Definition : null;
        return monitor is not null;
    }

    /// <summary>One group's state by its monitor and key (a dictionary lookup, whatever the number of groups).</summary>
    public bool TryGetGroupState(string monitorId, string groupKey, out GroupState? state)
    {
        state = _monitors.TryGet(monitorId, out var compiled) && compiled.Groups.TryGetValue(groupKey, out var group) ? group.State : null;
        return state is not null;
    }

    /// <summary>Every monitor definition, in slot order.</summary>
    public IEnumerable<Monitor> MonitorDefinitions() => _monitors.Slots.Where(m => m is not null).Select(m => m!.Definition);

    /// <summary>Every group's state, by monitor slot then group key; optionally of one monitor.</summary>
    public IEnumerable<(Monitor Monitor, GroupState State)> AllGroupStates(string? monitorId = null)
    {
        foreach (var monitor in _monitors.Slots)
        {
            if (monitor is null || (monitorId is not null && !string.Equals(monitor.Id, monitorId, StringComparison.Ordinal)))
            {
                continue;
            }

            // Decoded once per monitor, not per group: the definition is kept as bytes.
            Monitor? definition = null;
            foreach (var group in monitor.Groups.Values)
            {
                yield return (definition ??= monitor.Definition, group.State);
            }
        }
    }

    /// <summary>
    /// Copies into <paramref name="page"/> up to <paramref name="pageSize"/> groups (of one monitor,
    /// or of all) that <paramref name="keep"/> accepts, by monitor slot then group key, starting at
    /// <paramref name="from"/>; examines at most <paramref name="examineLimit"/> slots and groups, so
    /// a page may come back short. Returns where the next page starts, or null when none is left.
    /// Resuming inside a monitor walks its groups up to the key (a <see cref="SortedDictionary{TKey, TValue}"/>
    /// cannot seek): that walk is bounded by <see cref="IngestLimits.MaxGroupsPerMonitor"/>.
    /// </summary>
    public ListPosition? PageGroupStates(
        string? monitorId, Func<GroupState, bool>? keep, ListPosition from, int pageSize, int examineLimit, List<(Monitor Monitor, GroupState State)> page)
    {
        Invariant.Check(pageSize > 0 && examineLimit > 0 && from.Slot >= 0, "a page holds and examines at least one item, from a real slot");
        var slots = _monitors.Slots;
        var slot = from.Slot;
        var after = from.AfterKey;
        var end = slots.Count;
        if (monitorId is not null)
        {
            if (!_monitors.TryGet(monitorId, out var only) || only.Slot < slot)
            {
                return null;
            }

            after = only.Slot == slot ? after : null;
            slot = only.Slot;
            end = slot + 1;
        }

        // Counted after each group and slot is looked at, so a call always gets past something before it stops.
        var examined = 0;
        for (; slot < end; slot++, after = null, examined++)
        {
            if (examined >= examineLimit)
            {
                return new ListPosition(slot, after);
            }

            var monitor = slots[slot];
            if (monitor is null)
            {
                continue;
            }

            var previous = after;
            Monitor? definition = null;
            foreach (var (key, group) in monitor.Groups)
            {
                if (after is not null && string.CompareOrdinal(key, after) <= 0)
                {
                    continue;
                }

                if (examined >= examineLimit)
                {
                    return new ListPosition(slot, previous);
                }

                examined++;
                if (keep is null || keep(group.State))
                {
                    if (page.Count == pageSize)
                    {
                        return new ListPosition(slot, previous);
                    }

                    page.Add((definition ??= monitor.Definition, group.State));
                }

                previous = key;
            }
        }

        return null;
    }

    /// <summary>
    /// Copies into <paramref name="page"/> up to <paramref name="pageSize"/> monitors, in slot order
    /// from <paramref name="fromSlot"/>, that <paramref name="keep"/> accepts and (when
    /// <paramref name="withGroupIn"/> is set) have a group in that state; examines at most about
    /// <paramref name="examineLimit"/> slots and groups (one monitor's groups are looked through
    /// whole, at most <see cref="IngestLimits.MaxGroupsPerMonitor"/>); the page stops before a monitor
    /// that would take its encoded definitions past <paramref name="byteLimit"/> (it always holds
    /// one). Returns the slot the next page starts at, or null when none is left.
    /// </summary>
    public int? PageMonitors(Func<Monitor, bool> keep, AlertState? withGroupIn, int fromSlot, int pageSize, int examineLimit, long byteLimit, List<Monitor> page)
    {
        Invariant.Check(pageSize > 0 && examineLimit > 0 && fromSlot >= 0, "a page holds and examines at least one monitor, from a real slot");
        var slots = _monitors.Slots;
        var examined = 0;
        var bytes = 0L;
        for (var slot = fromSlot; slot < slots.Count; slot++)
        {
            if (examined++ >= examineLimit)
            {
                return slot;
            }

            var monitor = slots[slot];
            if (monitor is null)
            {
                continue;
            }

            var definition = monitor.Definition;
            if (!keep(definition))
            {
                continue;
            }

            if (withGroupIn is { } wanted)
            {
                var found = false;
                foreach (var group in monitor.Groups.Values)
                {
                    examined++;
                    if (group.State.State == wanted)
                    {
                        found = true;
                        break;
                    }
                }

                if (!found)
                {
                    continue;
                }
            }

            var size = monitor.DefinitionBytes.Length;
            if (page.Count == pageSize || (page.Count > 0 && bytes + size > byteLimit))
            {
                return slot;
            }

            bytes += size;
            page.Add(definition);
        }

        return null;
    }

    /// <summary>
    /// Which series feed each group, by monitor slot, group key, then metric query (one for a
    /// monitor that is not a formula; series ids in creation order).
    /// </summary>
    internal IEnumerable<(string MonitorId, string GroupKey, int Operand, IReadOnlyList<int> SeriesIds)> GroupMembers()
    {
        foreach (var monitor in _monitors.Slots)
        {
            if (monitor is null)
            {
                continue;
            }

            foreach (var group in monitor.Groups.Values)
            {
                for (var k = 0; k < monitor.Operands.Length; k++)
                {
                    yield return (monitor.Id, group.Key, k, group.SeriesIdsOf(k));
                }
            }
        }
    }

    /// <summary>When the group last reported (see <see cref="MonitorGroup.LastReportedMs"/>), or null when the monitor has no such group.</summary>
    internal long? GroupLastReportedMs(string monitorId, string groupKey) => Group(monitorId, groupKey)?.LastReportedMs;

    /// <summary>When the group last evaluated, or null when the monitor has no such group.</summary>
    internal long? GroupLastEvaluatedMs(string monitorId, string groupKey) => Group(monitorId, groupKey)?.LastEvaluatedMs;

    private MonitorGroup? Group(string monitorId, string groupKey) =>
        _monitors.TryGet(monitorId, out var monitor) && monitor.Groups.TryGetValue(groupKey, out var group) ? group : null;

    /// <summary>The groups filed under a tag in the group tag index, with their monitor ids (for tests).</summary>
    internal IEnumerable<(string MonitorId, string GroupKey)> GroupsTagged(string tag) =>
        _matcher.GroupTags.Postings(tag).Select(p => (_monitors[p.Slot].Id, p.Group.Key));

    /// <summary>Every group's monitor id, key and tags, by monitor slot then group key (for tests).</summary>
    internal IEnumerable<(string MonitorId, string GroupKey, string[] Tags)> AllGroupTags() =>
        _monitors.Slots.Where(m => m is not null).SelectMany(m => m!.Groups.Values.Select(g => (m.Id, g.Key, g.Tags)));

    /// <summary>Every live series, in creation order.</summary>
    internal IEnumerable<SeriesEntry> AllSeries => _series.All;

    /// <summary>The next series id the expiry sweep examines (see <see cref="SeriesExpiry"/>).</summary>
    internal int SeriesSweepCursor => _expiry.Cursor;

    /// <summary>The id of the live monitor of that name (the one in the lowest slot), or null.</summary>
    public string? MonitorIdOfName(string name) => _monitors.IdOfName(name);

    /// <summary>Downtime definitions, by id.</summary>
    public IEnumerable<Downtime> DowntimeDefinitions() => _downtimes.Definitions;

    /// <summary>Composite member changes queued and not yet fully evaluated (see <see cref="CompositeEvaluator"/>).</summary>
    internal int CompositeChangesPending => _composites.Pending;

    /// <summary>Composite group evaluations (and composites visited) spent on member changes since start (not state; for tests).</summary>
    internal long CompositeStepWork => _composites.StepWork;

    /// <summary>Writes the composite member changes still queued (snapshot format 21, after everything else).</summary>
    internal void WriteCompositeQueueTo(BinaryWriter writer) => _composites.WriteQueueTo(writer);

    /// <summary>Reads what <see cref="WriteCompositeQueueTo"/> wrote.</summary>
    internal void ReadCompositeQueueFrom(BinaryReader reader) => _composites.ReadQueueFrom(reader);

    /// <summary>Current state of every group of a monitor, in group-key order.</summary>
    public IReadOnlyList<GroupState> GroupStates(string monitorId) =>
        _monitors.TryGet(monitorId, out var monitor)
            ? monitor.Groups.Values.Select(g => g.State).ToList()
            : [];

    /// <summary>The notify_by keys of a live monitor (null when it has none, or no such monitor).</summary>
    internal NotifyKeyTable? NotifyKeysOf(string monitorId) =>
        _monitors.TryGet(monitorId, out var monitor) ? monitor.NotifyKeys : null;

    // ---- Time -----------------------------------------------------------------------------

    public void ApplyTick(long tickMs, long logIndex)
    {
        Tick(tickMs, logIndex);

        // Composites whose members changed state at this tick, after every member evaluation it fired.
        _composites.Flush(logIndex);
    }

    private void Tick(long tickMs, long logIndex)
    {
        if (tickMs <= _clock.NowMs && _schedule.IsStarted)
        {
            return;
        }

        // Before time moves: groups a step forms are first seen at the previous tick's time, so
        // they are never younger than the due instants this tick fires (all after that time).
        _matcher.ContinueMatches(logIndex);
        if (_drain.Count > 0)
        {
            _drain.Step(logIndex);
        }

        if (_edits.Count > 0)
        {
            _edits.Step(_evaluator, logIndex);
        }

        _clock.AdvanceTo(tickMs);
        _windows.AdvanceClock(_clock.NowMs);
        if (!_schedule.IsStarted)
        {
            // The first tick starts the schedule: before it there is no time to be late against.
            _schedule.Start();
            _downtimes.StartCalendar(_clock.NowMs);
            ReleaseFuturePoints(logIndex);
            return;
        }

        // Series not seen for the retention leave, a bounded step per tick (see SeriesExpiry).
        _expiry.Sweep(_clock.NowMs);

        // Downtime boundaries take effect at this tick, before the evaluations it fires.
        _boundaries.Clear();
        _downtimes.AdvanceCalendar(_clock.NowMs, _boundaries);
        foreach (var reach in _boundaries)
        {
            _mutes.Request(reach);
        }

        if (!_mutes.IsIdle)
        {
            StepMutes(logIndex);
        }

        // Points whose time came, after the mutes and before the due evaluations, which see them.
        ReleaseFuturePoints(logIndex);
        foreach (var (slot, dueMs) in _schedule.CollectDue())
        {
            if (_matcher.IsMatching(slot))
            {
                continue;
            }

            var lateness = _clock.NowMs - dueMs;
            Counters.RecordEvaluation(lateness, lateness >= EvaluationSchedule.CaughtUpThresholdMs);
            var monitor = _monitors[slot];
            if (monitor.Composite is not null)
            {
                _composites.EvaluateAll(monitor, dueMs, logIndex);
                continue;
            }

            _matcher.DropStaleGroups(monitor, dueMs, logIndex);
            _evaluator.EvaluateMonitor(monitor, dueMs, logIndex);
        }
    }

    // ---- Monitors -------------------------------------------------------------------------

    /// <summary>
    /// Creates or updates a monitor. A definition without an id is an upsert by name: it
    /// updates the monitor of that name (the lowest slot if several share it), or creates one
    /// whose id is this entry's log index, so ids are never reused.
    /// </summary>
    public (MonitorOutcome Outcome, string? Id, string? Error) UpsertMonitor(Monitor definition, long logIndex)
    {
        if (definition.Id.Length == 0)
        {
            if (definition.Name.Length == 0)
            {
                _admission.RejectCommand();
                return (MonitorOutcome.Rejected, null, "name: an upsert by name needs a name");
            }

            definition = definition.Clone();
            definition.Id = _monitors.IdOfName(definition.Name) ?? _monitors.FreshId(logIndex);
        }
        else if (!_monitors.Contains(definition.Id))
        {
            if (_monitors.IsRetired(definition.Id))
            {
                _admission.RejectCommand();
                return (MonitorOutcome.Rejected, definition.Id, $"id: \"{definition.Id}\" belonged to a deleted monitor; ids are never reused, so that transition ids stay unique");
            }

            if (_monitors.RetiredIds.Count >= MonitorRegistry.MaxRetiredIds)
            {
                _admission.RejectCommand();
                return (MonitorOutcome.Rejected, definition.Id, $"id: explicit ids are refused once {MonitorRegistry.MaxRetiredIds} monitors were deleted; create by name to get a server-assigned id");
            }
        }

        if (_monitors.TryGet(definition.Id, out var existing) && existing.Definition.Equals(definition))
        {
            return (MonitorOutcome.Unchanged, definition.Id, null);
        }

        CompiledMonitor compiled;
        try
        {
            compiled = MonitorCompiler.Compile(definition);
        }
        catch (MonitorValidationException e)
        {
            // The boundary validates with the same compiler; an entry that still fails (an
            // older version wrote it) is refused the same way on every replica, and counted.
            _admission.RejectCommand();
            return (MonitorOutcome.Rejected, definition.Id, e.Message);
        }

        if (CompositeError(existing, compiled) is { } compositeError)
        {
            _admission.RejectCommand();
            return (MonitorOutcome.Rejected, definition.Id, compositeError);
        }

        if (existing is null && _monitors.Count >= _limits.MaxMonitors)
        {
            // Before any work for the monitor: a refused upsert changes nothing.
            _admission.RejectCommand();
            return (MonitorOutcome.Rejected, definition.Id, $"the engine holds its limit of {_limits.MaxMonitors} monitors");
        }

        if (compiled.Composite is { } program)
        {
            // A composite reads its members' groups: each has every edit of its monitor before it does.
            foreach (var member in program.Members)
            {
                _edits.FinishAll(member, _evaluator, logIndex);
            }
        }

        if (existing is not null)
        {
            Replace(existing, compiled, logIndex);
            if (compiled.Composite is not null)
            {
                _composites.Index.Remove(existing);
                _composites.Index.Add(compiled);
                _composites.EvaluateAll(compiled, _clock.NowMs, logIndex);
            }

            _composites.Flush(logIndex);
            return (MonitorOutcome.Updated, definition.Id, null);
        }

        _monitors.Register(compiled);
        _schedule.Schedule(compiled);
        if (compiled.Composite is not null)
        {
            // A composite reads no series: its groups are the ones its members share now.
            _composites.Index.Add(compiled);
            _composites.EvaluateAll(compiled, _clock.NowMs, logIndex);
        }
        else
        {
            _matcher.StartMatch(compiled);
        }

        return (MonitorOutcome.Created, definition.Id, null);
    }

    /// <summary>
    /// Why the definition cannot take effect given the composites (null when it can): a composite's
    /// members must exist, not be composites, and have group-bys that nest (each a subset of the finest one's); a monitor composites use
    /// must stay a valid member of each; no monitor changes to or from a composite (its groups
    /// come from elsewhere). Bounded by the composites that use the monitor.
    /// </summary>
    private string? CompositeError(CompiledMonitor? existing, CompiledMonitor compiled)
    {
        if (existing is not null && (existing.Composite is null) != (compiled.Composite is null))
        {
            return $"type: a monitor cannot change between composite and \"{(compiled.Composite is null ? compiled.Definition.Type : existing.Definition.Type)}\"; delete it and create a new one";
        }

        if (compiled.Composite is not null)
        {
            return _composites.MembersError(compiled, replacing: null);
        }

        foreach (var composite in _composites.Index.Using(compiled.Id))
        {
            if (_composites.MembersError(composite, replacing: compiled) is { } error)
            {
                return $"monitor \"{compiled.Id}\" is a member of composite \"{composite.Id}\", which would then be invalid: {error}";
            }
        }

        return null;
    }

    /// <summary>Deletes a monitor; refused (<see cref="MonitorOutcome.InUse"/>, naming them) while composites use it.</summary>
    public (MonitorOutcome Outcome, string? Error) DeleteMonitor(string id, long logIndex)
    {
        if (!_monitors.TryGet(id, out var monitor))
        {
            return (MonitorOutcome.NotFound, null);
        }

        var users = _composites.Index.Using(id);
        if (users.Count > 0)
        {
            return (MonitorOutcome.InUse, $"monitor \"{id}\" is used by composite monitor{(users.Count == 1 ? "" : "s")} {string.Join(", ", users.Select(c => $"\"{c.Id}\""))}; edit or delete {(users.Count == 1 ? "it" : "them")} first");
        }

        if (monitor.Composite is not null)
        {
            _composites.Index.Remove(monitor);
        }

        // Out of every read now; its groups go in bounded steps, the first one in this entry. Deleted
        // while letting go of the groups it had before a regrouping edit: those are the ones left,
        // and they get their last word from the monitor they belonged to.
        var beforeEdit = _matcher.DetachMonitor(monitor);
        _schedule.Cancel(monitor);
        _monitors.Detach(monitor);
        if (beforeEdit is not null)
        {
            _monitors.HandOverDraining(monitor, beforeEdit);
            monitor = beforeEdit;
        }

        _drain.Enqueue(monitor);
        _drain.Step(logIndex);
        Invariant.Check(_evaluator.MemberChanges.Count == 0, "a delete changes no composite member's state (member changes are not in snapshots, so none may outlive an entry)");
        return (MonitorOutcome.Deleted, null);
    }

    /// <remarks>
    /// notify_by: an edit that keeps the series selection and the notify_by grouping keeps the keys (the edit's
    /// transitions notify through them). Otherwise the keys are re-formed, silently, from the groups' states as
    /// they stand after the edit: at once when the groups stay, or as each carried group rejoins after a
    /// regroup; their event numbers continue above the old keys', and the edit's own transitions notify no one.
    /// </remarks>
    private void Replace(CompiledMonitor old, CompiledMonitor updated, long logIndex)
    {
        var fresh = updated.NotifyKeys;
        var sameSelection = updated.SameSeriesSelection(old);
        var keepKeys = sameSelection && old.NotifyKeys is { } kept && kept.SameGrouping(fresh);
        updated.TransitionFloor = old.TransitionFloor;
        if (!keepKeys && old.NotifyKeys is { } dropped)
        {
            // The monitor's transition floor (in snapshots, carried across edits) keeps the numbers its keys reached, so
            // a key that comes back, now or after notify_by is set again, never repeats an id (DESIGN invariant 6).
            updated.TransitionFloor = Math.Max(updated.TransitionFloor, dropped.MaxNumber);
        }

        if (!sameSelection)
        {
            // The old groups go in steps (SeriesMatcher.FreeOld), silently or per group as the edit notifies; the old
            // keys are dropped (their numbers are under the floor), so no event of an old group counts in them.
            old.NotifyKeys = null;
        }

        var steppable = sameSelection && old.NotifyKeys is null && fresh is null && !old.NotifiesPerKey && old.Composite is null && _composites.Index.Using(old.Id).Count == 0;
        if (sameSelection && !steppable)
        {
            // notify_by keys and composites read every group: the edit applies at once, after any edit still going,
            // which finishes first, while its own definition is in force (its resets notify as it does, with its message).
            _edits.Finish(old, _evaluator, logIndex);
        }

        _monitors.Replace(old, updated);
        var stepped = false;
        if (sameSelection)
        {
            // The groups stay: each gets the edit now, through the kept keys, or notifying no one when the keys are re-formed.
            updated.NotifyKeys = keepKeys ? old.NotifyKeys : null;
            _matcher.EditedDuringRegroup(updated);
            if (steppable)
            {
                // In bounded steps (EditSteps): the table moves whole, each group gets the edit before it is next read.
                updated.TakeGroups(old);
                _edits.Edited(old, updated, _clock.NowMs, logIndex);
                stepped = true;
                if (_edits.TryGet(updated, out var chain) && chain.Edits.Count >= EditSteps.MaxChainEdits)
                {
                    // A full chain finishes in this entry (like an edit applied at once, amortised over the edits it
                    // holds): a re-stamp never applies more than the cap, and each edit restarting the walk cannot
                    // leave the last groups behind for good.
                    _edits.Finish(updated, _evaluator, logIndex);
                }
            }
            else
            {
                var editEvents = _evaluator.Events.Count;
                _evaluator.OnMonitorEdited(old, updated, logIndex);
                if (!keepKeys && fresh is not null)
                {
                    _evaluator.Silence(editEvents);
                }

                foreach (var (key, group) in old.Groups)
                {
                    updated.AddGroup(key, group);
                }
            }
        }

        if (!keepKeys && fresh is not null)
        {
            fresh.RaiseFloor(updated.TransitionFloor);
            updated.NotifyKeys = fresh;
        }

        if (sameSelection)
        {
            if (!keepKeys)
            {
                updated.NotifyKeys?.Rebuild(updated.Groups.Values);
            }
        }
        else
        {
            // The old groups get the edit's reset as they are let go of, in bounded steps (silently when the
            // keys are re-formed: see SeriesMatcher.FreeOld); the keys fill as the new groups form.
            _matcher.Regroup(old, updated, logIndex);
        }

        _schedule.Carry(old, updated);
        if (stepped && _edits.Count > 0)
        {
            // The first step in the edit's own entry.
            _edits.Step(_evaluator, logIndex);
        }
    }

    // ---- Points and check runs ------------------------------------------------------------

    public void ApplyPoints(PointsBatch batch, long logIndex, Span<long> rejectedByReason)
    {
        _schedule.BeginBatch();

        // By index: a repeated field's enumerator is an object, and this loop allocates nothing for known series.
        for (var s = 0; s < batch.Series.Count; s++)
        {
            var series = batch.Series[s];
            var count = Math.Min(series.UnixMs.Count, series.Values.Count);
            if (series.UnixMs.Count != series.Values.Count || series.Metric.Length == 0)
            {
                _admission.Reject(RejectReason.Malformed, Math.Max(series.UnixMs.Count, series.Values.Count), rejectedByReason);
                continue;
            }

            // Admission before creation: a series none of whose points would be admitted is not
            // created (nor counted against the series limits), so refused points leave no trace.
            if (!_admission.AnyAdmissible(series, count))
            {
                for (var i = 0; i < count; i++)
                {
                    Invariant.Check(!_admission.Admit(series.UnixMs[i], series.Values[i], rejectedByReason), "a point found inadmissible is refused");
                }

                continue;
            }

            var entry = _matcher.FindOrCreateSeries(isCheck: false, series.Metric, series.Tags, out var refusal);
            if (entry is null)
            {
                _admission.Reject(refusal, count, rejectedByReason);
                continue;
            }

            if (entry.Type != series.Type)
            {
                entry.Type = series.Type;
                _windows.SetType(entry);
            }
            var newestMs = long.MinValue;
            for (var i = 0; i < count; i++)
            {
                var unixMs = series.UnixMs[i];
                var value = series.Values[i];
                if (!_admission.Admit(unixMs, value, rejectedByReason))
                {
                    continue;
                }

                Counters.PointsAccepted++;
                if (unixMs > _clock.NowMs + FuturePoints.ArrivalSkewMs)
                {
                    // Ahead of logical time: it waits for its time (see FuturePoints). The series
                    // was seen now, so series expiry (which reads LastSeenMs) keeps it meanwhile.
                    entry.LastSeenMs = _clock.NowMs;
                    _future.AddPoint(entry, unixMs, value);
                    continue;
                }

                newestMs = Math.Max(newestMs, unixMs);
                Counters.PointsOutsideTierRetention += _windows.AddPoint(entry, unixMs, value);
            }

            if (newestMs != long.MinValue)
            {
                Reported(entry, newestMs);
                _schedule.Touch(entry, newestMs);
            }
        }

        EvaluateTouched(logIndex);
    }

    public void ApplyCheckRuns(CheckRunsBatch batch, long logIndex, Span<long> rejectedByReason)
    {
        _schedule.BeginBatch();
        foreach (var run in batch.Runs)
        {
            if (run.Check.Length == 0 || !Enum.IsDefined(run.Status))
            {
                _admission.Reject(RejectReason.Malformed, 1, rejectedByReason);
                continue;
            }

            if (!_admission.AdmitTime(run.UnixMs, rejectedByReason))
            {
                continue;
            }

            var entry = _matcher.FindOrCreateSeries(isCheck: true, run.Check, run.Tags, out var refusal);
            if (entry is null)
            {
                _admission.Reject(refusal, 1, rejectedByReason);
                continue;
            }

            Counters.CheckRunsAccepted++;
            if (run.UnixMs > _clock.NowMs + FuturePoints.ArrivalSkewMs)
            {
                entry.LastSeenMs = _clock.NowMs;
                _future.AddRun(entry, run.UnixMs, run.Status);
                continue;
            }

            AddRun(entry, run.UnixMs, run.Status);
        }

        EvaluateTouched(logIndex);
    }

    private void AddRun(SeriesEntry entry, long unixMs, CheckStatus status)
    {
        Reported(entry, unixMs);
        foreach (var (_, group) in entry.Feeds)
        {
            group.Runs!.Add(entry.Id, unixMs, status);
        }

        _schedule.Touch(entry, unixMs);
    }

    /// <summary>
    /// Points and runs stamped ahead of logical time whose time has come enter their windows now,
    /// as a batch of their own: their <c>on_arrival</c> groups evaluate at this tick.
    /// </summary>
    private void ReleaseFuturePoints(long logIndex)
    {
        if (_future.NextDueMs > _clock.NowMs)
        {
            return;
        }

        _schedule.BeginBatch();
        while (_future.TryTakeDue(_clock.NowMs, out var pending))
        {
            var entry = pending.Entry;
            if (entry.IsCheck)
            {
                AddRun(entry, pending.UnixMs, pending.Status);
                continue;
            }

            Counters.PointsOutsideTierRetention += _windows.AddPoint(entry, pending.UnixMs, pending.Value);
            Reported(entry, pending.UnixMs);
            _schedule.Touch(entry, pending.UnixMs);
        }

        EvaluateTouched(logIndex);
    }

    /// <summary>
    /// The series brought data as new as <paramref name="newestMs"/>: it was seen now (log time,
    /// for series expiry), it rejoins the groups group
    /// retention dropped, and each group it feeds counts as reporting (see <see cref="MonitorGroup.LastReportedMs"/>).
    /// </summary>
    private void Reported(SeriesEntry entry, long newestMs)
    {
        entry.LastSeenMs = _clock.NowMs;
        if (entry.LeftGroups)
        {
            _matcher.Rejoin(entry);
        }

        var feeds = entry.Feeds;
        for (var i = 0; i < feeds.Count; i++)
        {
            var group = feeds[i].Group;
            group.LastReportedMs = Math.Max(group.LastReportedMs, newestMs);
        }
    }

    /// <summary>
    /// <c>on_arrival</c>: evaluates the groups the batch touched, at the later of logical time
    /// and the group's newest point in the batch, so the window holds the point that arrived.
    /// That is at most <see cref="FuturePoints.ArrivalSkewMs"/> ahead of logical time: later
    /// points wait in <see cref="FuturePoints"/>.
    /// </summary>
    private void EvaluateTouched(long logIndex)
    {
        foreach (var (slot, group) in _schedule.Touched())
        {
            if (_matcher.IsMatching(slot))
            {
                continue;
            }

            Counters.ArrivalEvaluations++;
            Invariant.Check(group.TouchedNewestMs <= _clock.NowMs + FuturePoints.ArrivalSkewMs, "a batch touches a group only with points within the arrival skew of logical time");
            _evaluator.EvaluateGroup(_monitors[slot], group, Math.Max(_clock.NowMs, group.TouchedNewestMs), logIndex);
        }

        _schedule.EndBatch();
        _composites.Flush(logIndex);
    }

    // ---- Downtimes ------------------------------------------------------------------------

    public void UpsertDowntime(Downtime downtime, long logIndex)
    {
        if (!_downtimes.TryUpsert(downtime, out var reach))
        {
            _admission.RejectCommand();
            return;
        }

        RefreshMutes(reach, logIndex);
    }

    public void DeleteDowntime(string id, long logIndex)
    {
        if (_downtimes.Remove(id, out var reach))
        {
            RefreshMutes(reach, logIndex);
        }
    }

    /// <summary>
    /// A downtime command changes which groups are muted now, not at their next evaluation: a
    /// group whose downtime was deleted while it alerts gets its end notification at once. Only
    /// the monitors the downtime names (before and after the command) are refreshed; a downtime
    /// that names no monitor starts a sweep in bounded steps (see <see cref="MuteRefresher"/>).
    /// Boundaries (start, end, recurrences) come from the downtime calendar at each tick.
    /// </summary>
    private void RefreshMutes(DowntimeReach reach, long logIndex)
    {
        _mutes.Request(reach);
        StepMutes(logIndex);
    }

    /// <summary>One bounded mute-refresh step; once none is left, every group a canceled downtime selected has seen its end.</summary>
    private void StepMutes(long logIndex)
    {
        _mutes.Step(logIndex);
        if (_mutes.IsIdle && _downtimes.CanceledCount > 0)
        {
            _downtimes.ForgetCanceled();
        }
    }
}
