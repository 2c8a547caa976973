using System.Diagnostics.CodeAnalysis;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.State;
using Alerting.Engine.Timing;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Which series feed which monitor groups, kept in step both ways through the two indexes: a
/// new series finds its monitors by its tags (<see cref="MonitorMatchIndex"/>), a new or
/// regrouped monitor finds its series by its scope (<see cref="SeriesIndex"/>). Monitors are
/// visited in slot order and series in creation order, so groups form identically on every replica.
/// </summary>
/// <remarks>
/// A new or regrouped monitor matches the existing series in steps of at most
/// <see cref="ReplicatedSettings.MatchStepSeries"/> candidates (issue 7: no entry may hold the state
/// machine for long): the first in the entry that creates it, the rest in the following ticks
/// (<see cref="ContinueMatches"/>), its groups appearing as they are matched. While it matches,
/// it is not in the scope index: series created meanwhile are appended to the postings the match
/// walks, so it reaches them in creation order too, and it is filed in the index in the step that
/// finishes, so every later series finds it. It does not evaluate until it finishes
/// (<see cref="IsMatching"/>): a group that holds only part of its series would read a partial
/// window and could alert on it.
/// <para>
/// A formula monitor reads one series selection per metric query, each filed in the scope index
/// under its own key (<see cref="MatchKey"/>). Its match walks the queries one after the other,
/// each from the first series, and files each query's scope as soon as that query's walk ends:
/// a series created later finds the query through the index, one created during the walk is
/// reached by the walk, so no query misses a series whichever query is being walked. The monitor
/// evaluates once the last query's walk ends.
/// </para>
/// <para>
/// An edit that regroups a monitor (a new scope or <c>by</c>) first lets go of the old groups, at
/// most <see cref="MaxOldGroupsPerStep"/> per entry, in key order (<see cref="FreeOld"/>): each
/// gets the edit's reset, hands its state on to the new group of its key, and leaves its series'
/// feeds and the tag index. The walk over the series starts once none is left, so every old state
/// is there to hand on before any new group forms, as if the edit had done it all at once.
/// </para>
/// </remarks>
internal sealed class SeriesMatcher
{
    internal const string NoGroupKey = "*";

    /// <summary>Old groups a regrouping edit lets go of at most per entry (the same budget as <see cref="MonitorDrain"/>'s).</summary>
    public const int MaxOldGroupsPerStep = 8_192;

    private readonly IngestLimits _limits;
    private readonly ReplicatedSettings _settings;
    private readonly MonitorRegistry _monitors;
    private readonly SeriesIndex _series;
    private readonly WindowStores _windows;
    private readonly LogicalClock _clock;
    private readonly EngineCounters _counters;
    private readonly GroupEvaluator _evaluator;
    private readonly EditSteps _edits;
    private readonly MonitorMatchIndex _scopes = new();
    private readonly List<int> _matchedSlots = [];
    private readonly List<(string Key, string[] Tags)?> _matchedGroups = [];
    private readonly List<SeriesEntry> _matchedSeries = [];
    private readonly List<MonitorGroup> _stale = [];
    private readonly List<MonitorGroup> _chunk = [];

    // Matches still going, in the order they started (the order ticks continue them), and by slot.
    private readonly List<PendingMatch> _pending = [];
    private readonly Dictionary<int, PendingMatch> _pendingBySlot = [];

    public SeriesMatcher(IngestLimits limits, ReplicatedSettings settings, MonitorRegistry monitors, SeriesIndex series, WindowStores windows, LogicalClock clock, EngineCounters counters, GroupEvaluator evaluator, EditSteps edits)
    {
        _edits = edits;
        _limits = limits;
        _settings = settings;
        _monitors = monitors;
        _series = series;
        _windows = windows;
        _clock = clock;
        _counters = counters;
        _evaluator = evaluator;
    }

    /// <summary>Every group with tags, by tag: kept here, where groups form and leave.</summary>
    public GroupTagIndex GroupTags { get; } = new();

    /// <summary>Monitors still matching the series that existed before them.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Whether the monitor in <paramref name="slot"/> is still matching (and so does not evaluate yet).</summary>
    public bool IsMatching(int slot) => _pendingBySlot.ContainsKey(slot);

    /// <summary>Whether the monitor in <paramref name="slot"/> is still letting go of the groups it had before a regrouping edit.</summary>
    public bool IsRegrouping(int slot) => _pendingBySlot.TryGetValue(slot, out var pending) && pending.Old is not null;

    /// <summary>
    /// The state a group of <paramref name="key"/> of the monitor in <paramref name="slot"/>, which is still matching,
    /// has before its group forms: the state carried from the old group of that key (what the new group will take),
    /// else the state the old group will take when a regroup lets go of it (OK when the edit resets it); false when
    /// neither is known (two lookups).
    /// </summary>
    public bool TryStateBeforeForming(int slot, string key, out AlertState state)
    {
        state = AlertState.Ok;
        if (!_pendingBySlot.TryGetValue(slot, out var pending))
        {
            return false;
        }

        if (pending.Carried.TryGetValue(key, out var carried))
        {
            state = carried.State.State;
            return true;
        }

        if (pending.Old is { } old && old.Groups.TryGetValue(key, out var group))
        {
            // What letting go of it will leave (FreeOld): OK when the regrouping edit (or a same-selection edit the
            // group has yet to get) resets it, else its state as it stands.
            state = StateProcessor.EditResetsGroups(old.Rules, pending.EditedTo!.Rules) || _edits.ResetsPending(old, group) ? AlertState.Ok : group.State.State;
            return true;
        }

        return false;
    }

    /// <summary>Old groups regrouping edits have yet to let go of (O(matches going)).</summary>
    public int OldGroupsLeft => _pending.Sum(p => p.Old?.Groups.Count ?? 0);

    /// <summary>The matches still letting go of old groups, in the order they started (the order snapshots list them).</summary>
    public IEnumerable<PendingMatch> Regrouping => _pending.Where(p => p.Old is not null);

    /// <summary>
    /// A registered monitor starts picking up the existing series: one step now, and if more are
    /// left, in the following ticks. Until it finishes, only the metric queries already walked are in the scope index.
    /// </summary>
    public void StartMatch(CompiledMonitor monitor) =>
        StartMatch(monitor, new SortedDictionary<string, CarriedGroup>(StringComparer.Ordinal), old: null, logIndex: 0);

    /// <summary>
    /// One tick's share of the matches still going, oldest match first: at most
    /// <see cref="MaxOldGroupsPerStep"/> old groups let go of, then at most
    /// <see cref="ReplicatedSettings.MatchStepSeries"/> candidate series examined by the matches that
    /// have no old group left.
    /// </summary>
    public void ContinueMatches(long logIndex)
    {
        var groupBudget = MaxOldGroupsPerStep;
        for (var i = 0; i < _pending.Count && groupBudget > 0; i++)
        {
            if (_pending[i].Old is not null)
            {
                groupBudget -= FreeOld(_pending[i], groupBudget, logIndex);
            }
        }

        var budget = _settings.MatchStepSeries;
        Invariant.Check(budget > 0, "a match step examines at least one series");
        var at = 0;
        while (budget > 0 && at < _pending.Count)
        {
            var pending = _pending[at];
            if (pending.Old is not null)
            {
                at++;
                continue;
            }

            // A step either finishes its match (which leaves the list) or spends the whole budget.
            budget -= Step(pending, budget);
            Invariant.Check(budget >= 0, "a match step examines no more series than it was given");
        }
    }

    /// <summary>
    /// Lets go of up to <paramref name="budget"/> of the groups the monitor had before its
    /// regrouping edit, in key order: each gets the edit's reset (rendered with the edited
    /// monitor), hands its state to the group of its key the walk will form (over any older
    /// state of that key, as the edit would have), and leaves its series' feeds and the tag
    /// index. Returns how many.
    /// </summary>
    private int FreeOld(PendingMatch pending, int budget, long logIndex)
    {
        var old = pending.Old!;
        Invariant.Check(_chunk.Count == 0 && budget > 0 && old.Groups.Count > 0, "a regroup step lets go of at least one old group");
        foreach (var group in old.Groups.Values)
        {
            if (_chunk.Count == budget)
            {
                break;
            }

            _chunk.Add(group);
        }

        foreach (var group in _chunk)
        {
            // A monitor whose notify_by keys the edit re-formed: the old groups' edit transitions notify no one.
            _evaluator.OnGroupEdited(old, pending.EditedTo!, group, logIndex, silently: pending.EditedTo!.NotifyKeys is not null);
            pending.Carried[group.Key] = new CarriedGroup(group.State, group.LastEvaluatedMs);
            // A carried state no new group takes is dropped with its numbers: the monitor's floor keeps them, so a
            // group of that key formed later never repeats a transition id (DESIGN invariant 6).
            var live = _monitors.Slots[pending.Slot]!;
            live.TransitionFloor = Math.Max(live.TransitionFloor, group.State.TransitionCount);
            DropGroup(old, group);
            Invariant.Check(old.Groups.Remove(group.Key), "an old group let go of was one of the old monitor's groups");
        }

        var freed = _chunk.Count;
        _chunk.Clear();
        OldGroupsFreed += freed;
        if (old.Groups.Count == 0)
        {
            pending.Old = null;
            pending.EditedTo = null;
        }

        return freed;
    }

    /// <summary>Old groups regrouping edits let go of since start (not state, not in snapshots).</summary>
    public long OldGroupsFreed { get; private set; }

    /// <summary>
    /// Detaches a monitor being deleted: its scopes leave the index (and its match stops), so no new
    /// series joins it; its groups leave their series' feeds one by one (<see cref="DropGroup"/>).
    /// Returns the monitor as it was before a regrouping edit whose old groups are not all let go
    /// of yet (the deleted monitor then has no group: its walk had not started), or null.
    /// </summary>
    public CompiledMonitor? DetachMonitor(CompiledMonitor monitor)
    {
        GroupTags.Projections?.Forget(monitor.Slot);
        if (!StopMatch(monitor.Slot, out var stopped))
        {
            RemoveScopes(monitor, monitor.Operands.Length);
            return null;
        }

        RemoveScopes(monitor, stopped.Operand);
        Invariant.Check(stopped.Old is null || monitor.Groups.Count == 0, "a regrouped monitor forms groups only once its old ones are let go of");
        return stopped.Old;
    }

    /// <summary>A deleted monitor's group is freed: it leaves the feeds of the series it reads and the tag index.</summary>
    public void DropGroup(CompiledMonitor monitor, MonitorGroup group)
    {
        for (var k = 0; k < monitor.Operands.Length; k++)
        {
            foreach (var seriesId in group.SeriesIdsOf(k))
            {
                RemoveFeed(_series[seriesId], group);
            }
        }

        GroupTags.Remove(group);
    }

    /// <summary>
    /// The match index files each metric query of a monitor under its own key: the monitor's slot
    /// times <see cref="QueryLimits.MaxFormulaOperands"/> plus the query's position, so keys sort by
    /// slot, then position, and matches keep the slot order determinism rests on.
    /// </summary>
    private static int MatchKey(int slot, int operand)
    {
        Invariant.Check(slot < int.MaxValue / QueryLimits.MaxFormulaOperands, "a monitor slot's match keys fit an int");
        return (slot * QueryLimits.MaxFormulaOperands) + operand;
    }

    /// <summary>Takes the scopes of the monitor's first <paramref name="filed"/> metric queries out of the index.</summary>
    private void RemoveScopes(CompiledMonitor monitor, int filed)
    {
        for (var k = 0; k < filed; k++)
        {
            _scopes.Remove(MatchKey(monitor.Slot, k));
        }
    }

    /// <summary>
    /// An edit changed which series feed which group: regroups <paramref name="updated"/> from the
    /// index, keeping the state of groups whose key survives (reset by the edit when it became
    /// meaningless). The old groups are let go of in steps (<see cref="FreeOld"/>), the first in
    /// this entry, and their state is carried until a group of the same key forms.
    /// </summary>
    public void Regroup(CompiledMonitor old, CompiledMonitor updated, long logIndex)
    {
        GroupTags.Projections?.Forget(old.Slot);
        var carried = new SortedDictionary<string, CarriedGroup>(StringComparer.Ordinal);
        var previous = (Old: old, EditedTo: updated);
        if (StopMatch(old.Slot, out var stopped))
        {
            // Edited again before its first match finished: what that match had yet to hand on still
            // counts, below the groups of the monitor being replaced (FreeOld writes over it).
            carried = stopped.Carried;
            if (stopped.Old is not null)
            {
                // Still letting go of the groups of an earlier edit: it had formed none yet, and those
                // groups get that earlier edit's reset, as they would have had at that edit.
                Invariant.Check(old.Groups.Count == 0, "a regrouped monitor forms groups only once its old ones are let go of");
                previous = (stopped.Old, stopped.EditedTo!);
            }

            RemoveScopes(old, stopped.Operand);
        }
        else
        {
            RemoveScopes(old, old.Operands.Length);
        }

        StartMatch(updated, carried, previous.Old.Groups.Count > 0 ? previous : null, logIndex);
    }

    /// <summary>
    /// An edit that keeps the series selection replaced the monitor in <paramref name="updated"/>'s slot: a regroup
    /// still letting go of its old groups renders their resets, from now on, with it (the definition in force).
    /// </summary>
    public void EditedDuringRegroup(CompiledMonitor updated)
    {
        if (_pendingBySlot.TryGetValue(updated.Slot, out var pending) && pending.Old is not null)
        {
            pending.EditedTo = updated;
        }
    }

    /// <summary>The monitor a regroup in <paramref name="slot"/> is letting go of the groups of, or null.</summary>
    public CompiledMonitor? RegroupOld(int slot) => _pendingBySlot.TryGetValue(slot, out var pending) ? pending.Old : null;

    /// <summary>Gives a match read back from a snapshot the monitor before its regrouping edit, with the groups left to let go of (format 19).</summary>
    public void RestoreRegroup(int slot, CompiledMonitor old, CompiledMonitor editedTo)
    {
        Invariant.Check(
            _pendingBySlot.TryGetValue(slot, out var pending) && pending.Old is null && pending.Operand == 0 && pending.NextSeriesId == 0 && old.Groups.Count > 0,
            "a regroup letting go of old groups is a match that has not started its walk");
        pending!.Old = old;
        pending.EditedTo = editedTo;
    }

    /// <summary>Writes the matches still going, in the order they started (with the metric query each is on).</summary>
    public void WritePending(BinaryWriter writer)
    {
        writer.Write(_pending.Count);
        foreach (var pending in _pending)
        {
            pending.WriteTo(writer);
        }
    }

    /// <summary>
    /// Reads back the matches a snapshot lists, then files the scopes of every live monitor's
    /// metric queries whose walk ended: the index holds exactly those.
    /// </summary>
    /// <param name="withOperands">The snapshot records the metric query each match is on (format 9 on); before, every match was on its only one.</param>
    public void ReadPending(BinaryReader? reader, bool withOperands)
    {
        Invariant.Check(_pending.Count == 0 && _scopes.Count == 0, "pending matches are read into a matcher that has none");
        var count = reader?.ReadInt32() ?? 0;
        for (var i = 0; i < count; i++)
        {
            var pending = PendingMatch.ReadFrom(reader!, withOperands);
            Invariant.Check(_monitors.Slots[pending.Slot] is { } matching && pending.Operand < matching.Operands.Length, "a pending match belongs to a live monitor and is on one of its metric queries");
            _pending.Add(pending);
            _pendingBySlot.Add(pending.Slot, pending);
        }

        foreach (var monitor in _monitors.Slots)
        {
            if (monitor is not null)
            {
                FileScopes(monitor, _pendingBySlot.TryGetValue(monitor.Slot, out var pending) ? pending.Operand : monitor.Operands.Length);
            }
        }
    }

    /// <summary>
    /// The series of these tags, created (with the groups it joins) if new; null, with the
    /// reason, when creating it would cross a cardinality limit.
    /// </summary>
    public SeriesEntry? FindOrCreateSeries(bool isCheck, string source, IList<string> rawTags, out RejectReason refusal)
    {
        refusal = default;

        // The boundary sends tags sorted and distinct, so finding a known series allocates nothing.
        string[]? tags = null;
        if (!SeriesIndex.IsNormalized(rawTags))
        {
            tags = SeriesIndex.NormalizeTags(rawTags);
        }

        if (_series.TryGet(isCheck, source, tags ?? rawTags, out var existing))
        {
            return existing;
        }

        tags ??= SeriesIndex.NormalizeTags(rawTags);

        var sourceKey = SeriesIndex.SourceKey(isCheck, source);
        if (_series.Count >= _limits.MaxSeriesTotal)
        {
            refusal = RejectReason.SeriesTotalLimit;
            return null;
        }

        if (_series.CountOf(sourceKey) >= _limits.MaxSeriesPerMetric)
        {
            refusal = RejectReason.SeriesPerMetricLimit;
            return null;
        }

        // Which groups would it join? Refuse the series if one of them would break a group limit.
        _scopes.Matching(sourceKey, tags, _matchedSlots);
        _matchedGroups.Clear();
        foreach (var key in _matchedSlots)
        {
            var monitor = _monitors[key / QueryLimits.MaxFormulaOperands];
            var group = GroupOf(monitor, tags);
            if (group is null)
            {
                // Datadog leaves a series without one of the monitor's `by` tags out of the monitor.
                _matchedGroups.Add(null);
                continue;
            }

            if (!monitor.Groups.ContainsKey(group.Value.Key) && monitor.Groups.Count >= _limits.MaxGroupsPerMonitor)
            {
                refusal = RejectReason.GroupsPerMonitorLimit;
                return null;
            }

            _matchedGroups.Add(group);
        }

        var entry = _series.Create(isCheck, source, tags);
        for (var i = 0; i < _matchedSlots.Count; i++)
        {
            if (_matchedGroups[i] is { } group)
            {
                var key = _matchedSlots[i];
                Join(_monitors[key / QueryLimits.MaxFormulaOperands], key % QueryLimits.MaxFormulaOperands, entry, group.Key, group.Tags);
            }
        }

        return entry;
    }

    private void StartMatch(CompiledMonitor monitor, SortedDictionary<string, CarriedGroup> carried, (CompiledMonitor Old, CompiledMonitor EditedTo)? old, long logIndex)
    {
        Invariant.Check(!IsMatching(monitor.Slot), "a monitor has one match going at a time");
        var pending = new PendingMatch(monitor.Slot, carried) { Old = old?.Old, EditedTo = old?.EditedTo };
        _pendingBySlot.Add(monitor.Slot, pending);
        if (pending.Old is not null)
        {
            FreeOld(pending, MaxOldGroupsPerStep, logIndex);
        }

        if (pending.Old is null)
        {
            Step(pending, _settings.MatchStepSeries);
        }

        if (IsMatching(monitor.Slot))
        {
            _pending.Add(pending);
        }
    }

    /// <summary>
    /// Examines at most <paramref name="examineLimit"/> candidate series of the match, metric query
    /// by metric query, joining the ones the query's scope matches; a query whose walk ends is
    /// filed in the scope index, and the match ends with the last one. Returns how many were examined.
    /// </summary>
    private int Step(PendingMatch pending, int examineLimit)
    {
        var monitor = _monitors[pending.Slot];
        Invariant.Check(pending.Old is null, "a match walks its series once the old groups are let go of");
        var examinedTotal = 0;
        while (true)
        {
            var operand = pending.Operand;
            Invariant.Check(operand < monitor.Operands.Length, "a pending match is on one of its monitor's metric queries");
            var selection = monitor.Operands[operand];
            var budget = examineLimit - examinedTotal;
            var next = _series.MatchingFrom(SeriesIndex.SourceKey(monitor.IsCheck, selection.Source), selection.Scope, pending.NextSeriesId, budget, _matchedSeries, out var examined);
            Invariant.Check(
                examined <= budget && (next == -1 || (next >= pending.NextSeriesId && examined == budget)),
                "a match step stays within its budget, stops short only when done, and never goes back");
            examinedTotal += examined;
            JoinMatched(monitor, operand, pending.Carried);
            if (next != -1)
            {
                pending.NextSeriesId = next;
                return examinedTotal;
            }

            // This query's walk reached its last series: later ones find it through the index.
            FileScope(monitor, operand);
            if (operand + 1 == monitor.Operands.Length)
            {
                StopMatch(pending.Slot, out _);
                return examinedTotal;
            }

            // The next query walks from the first series, in this step if budget is left.
            pending.Operand = operand + 1;
            pending.NextSeriesId = 0;
            if (examinedTotal == examineLimit)
            {
                return examinedTotal;
            }
        }
    }

    private void JoinMatched(CompiledMonitor monitor, int operand, SortedDictionary<string, CarriedGroup> carried)
    {
        foreach (var entry in _matchedSeries)
        {
            if (GroupOf(monitor, entry.Tags) is not { } group)
            {
                continue;
            }

            var (groupKey, groupTags) = group;

            if (!monitor.Groups.ContainsKey(groupKey) && monitor.Groups.Count >= _limits.MaxGroupsPerMonitor)
            {
                _counters.GroupsRefused++;
                continue;
            }

            Join(monitor, operand, entry, groupKey, groupTags, carried);
        }

        _matchedSeries.Clear();
    }

    /// <summary>Ends the match of the monitor in <paramref name="slot"/>, if one is going.</summary>
    private bool StopMatch(int slot, [MaybeNullWhen(false)] out PendingMatch stopped)
    {
        if (!_pendingBySlot.Remove(slot, out stopped))
        {
            return false;
        }

        // Bounded by the matches going, not by monitors or series (a tick finishes the first one).
        var at = _pending.IndexOf(stopped);
        if (at >= 0)
        {
            _pending.RemoveAt(at);
        }

        return true;
    }

    /// <summary>Files the scope of a metric query whose walk ended, so new series of its source find it.</summary>
    private void FileScope(CompiledMonitor monitor, int operand)
    {
        var selection = monitor.Operands[operand];
        _scopes.Add(SeriesIndex.SourceKey(monitor.IsCheck, selection.Source), selection.Scope, MatchKey(monitor.Slot, operand));
    }

    /// <summary>Files the scopes of the monitor's first <paramref name="walked"/> metric queries.</summary>
    private void FileScopes(CompiledMonitor monitor, int walked)
    {
        for (var k = 0; k < walked; k++)
        {
            FileScope(monitor, k);
        }
    }

    /// <summary>Links a group read back from a snapshot to the series its metric query <paramref name="operand"/> lists (their windows were read back too).</summary>
    public void Relink(CompiledMonitor monitor, MonitorGroup group, int operand, ReadOnlySpan<int> seriesIds)
    {
        foreach (var id in seriesIds)
        {
            var entry = _series[id];
            group.SeriesIdsOf(operand).Add(id);
            if (!monitor.IsCheck)
            {
                group.SlotsOf(operand).Add(entry.TierSlots[monitor.Tier]);
            }

            entry.Feeds.Add((monitor.Slot, group));
        }
    }

    private void Join(CompiledMonitor monitor, int operand, SeriesEntry entry, string groupKey, string[] groupTags, SortedDictionary<string, CarriedGroup>? carried = null)
    {
        if (!monitor.Groups.TryGetValue(groupKey, out var group))
        {
            var operands = monitor.Formula?.OperandCount ?? 0;
            if (carried is not null && carried.Remove(groupKey, out var previous))
            {
                group = new MonitorGroup(groupKey, groupTags, previous.State, monitor.CheckRuns, operands) { LastEvaluatedMs = previous.LastEvaluatedMs };
            }
            else
            {
                var state = GroupState.Create(groupKey, _clock.NowMs);
                state.TransitionCount = monitor.TransitionFloor;
                group = new MonitorGroup(groupKey, groupTags, state, monitor.CheckRuns, operands);
            }

            // A group that forms gets a whole retention period, even from a series that went quiet.
            group.LastReportedMs = _clock.NowMs;

            // It forms under the definition in force: it has every same-selection edit of the monitor (EditSteps).
            group.EditMark = _edits.MarkForNewGroup(monitor);

            monitor.AddGroup(groupKey, group);
            GroupTags.Add(monitor.Slot, group);

            // A carried group keeps its state: it counts under its notify key from now on.
            monitor.NotifyKeys?.Enter(group);
        }

        // A group's query lists its series in creation order: new series are the newest and a
        // matching query scans in order, so they append; only a series rejoining after group
        // retention dropped its group can come back behind one that joined since, and is inserted.
        var seriesIds = group.SeriesIdsOf(operand);
        var at = seriesIds.Count;
        if (at > 0 && seriesIds[^1] >= entry.Id)
        {
            at = seriesIds.BinarySearch(entry.Id);
            Invariant.Check(at < 0, "a series joins a group's query once");
            at = ~at;
        }

        seriesIds.Insert(at, entry.Id);
        if (!monitor.IsCheck)
        {
            group.SlotsOf(operand).Insert(at, _windows.SlotOf(entry, monitor.Tier));
        }

        entry.Feeds.Add((monitor.Slot, group));
    }

    /// <summary>
    /// Group retention (<see cref="MonitorRules.GroupRetentionMs"/>): drops the monitor's groups
    /// none of whose series reported for the retention period before <paramref name="atMs"/>,
    /// without a transition (Datadog drops them from the monitor state; see docs/state-processor.md).
    /// Called at a scheduled evaluation, so it looks at the groups the evaluation reads anyway
    /// (at most <see cref="IngestLimits.MaxGroupsPerMonitor"/>) and their series. The series stay;
    /// each is marked so that its next point rejoins it (<see cref="Rejoin"/>).
    /// </summary>
    public void DropStaleGroups(CompiledMonitor monitor, long atMs, long logIndex)
    {
        var retentionMs = monitor.Rules.GroupRetentionMs;
        if (retentionMs == 0)
        {
            return;
        }

        Invariant.Check(_stale.Count == 0, "the stale groups of the previous monitor were dropped and cleared");
        foreach (var group in monitor.Groups.Values)
        {
            if (atMs - group.LastReportedMs >= retentionMs)
            {
                _stale.Add(group);
            }
        }

        foreach (var group in _stale)
        {
            // A group an edit has yet to reach gets it first, as the edit done at once gave it (EditSteps).
            _evaluator.Bring(monitor, group, logIndex);
            monitor.TransitionFloor = Math.Max(monitor.TransitionFloor, group.State.TransitionCount);
            for (var k = 0; k < monitor.Operands.Length; k++)
            {
                foreach (var seriesId in group.SeriesIdsOf(k))
                {
                    var entry = _series[seriesId];
                    RemoveFeed(entry, group);
                    entry.LeftGroups = true;
                }
            }

            var removed = monitor.Groups.Remove(group.Key);
            Invariant.Check(removed, "a stale group is one of the monitor's groups");
            monitor.NotifyKeys?.Leave(group);
            GroupTags.Remove(group);
        }

        _stale.Clear();
    }

    /// <summary>
    /// A series that left groups (group retention dropped them) reported again: it rejoins, through
    /// the scope index, every filed metric query it matches and no longer feeds, recreating the
    /// group with a fresh state. Costs what matching a new series costs. A monitor still matching
    /// is left to its walk, which reaches every series.
    /// </summary>
    public void Rejoin(SeriesEntry entry)
    {
        Invariant.Check(entry.LeftGroups, "only a series that left groups rejoins");
        entry.LeftGroups = false;
        _scopes.Matching(SeriesIndex.SourceKey(entry.IsCheck, entry.Source), entry.Tags, _matchedSlots);
        foreach (var key in _matchedSlots)
        {
            var slot = key / QueryLimits.MaxFormulaOperands;
            var operand = key % QueryLimits.MaxFormulaOperands;
            var monitor = _monitors[slot];
            if (IsMatching(slot) || FeedsQuery(entry, slot, operand) || GroupOf(monitor, entry.Tags) is not { } group)
            {
                continue;
            }

            if (!monitor.Groups.ContainsKey(group.Key) && monitor.Groups.Count >= _limits.MaxGroupsPerMonitor)
            {
                _counters.GroupsRefused++;
                continue;
            }

            Join(monitor, operand, entry, group.Key, group.Tags);
        }
    }

    /// <summary>
    /// Drops an expired series (see <see cref="SeriesExpiry"/>): it leaves every group it feeds
    /// (its id and window slot leave each query's lists, its check runs the group's windows), its
    /// windows return to their stores' free lists, and its id becomes a gap in the index. A group
    /// left without series stays until group retention drops it, as any group that stops reporting.
    /// Costs the groups it feeds and its tags, not the monitors or series it does not touch.
    /// </summary>
    public void Expire(SeriesEntry entry)
    {
        foreach (var (_, group) in entry.Feeds)
        {
            // Live, deleted with its groups still being freed, or an old group of a regrouping edit
            // (its slot then holds the edited monitor): the group's own lists say what it reads.
            var operands = group.FormulaSeriesIds?.Length ?? 1;
            for (var k = 0; k < operands; k++)
            {
                var ids = group.SeriesIdsOf(k);
                var at = ids.BinarySearch(entry.Id);
                if (at < 0)
                {
                    continue;
                }

                // A check group keeps no window slots; a metric group one per series.
                var slots = group.SlotsOf(k);
                if (slots.Count == ids.Count)
                {
                    slots.RemoveAt(at);
                }

                ids.RemoveAt(at);
            }

            group.Runs?.Remove(entry.Id);
        }

        entry.Feeds.Clear();
        _windows.Release(entry);
        _series.Remove(entry);
    }

    /// <summary>Whether the series feeds metric query <paramref name="operand"/> of a group of the monitor in <paramref name="slot"/>.</summary>
    private static bool FeedsQuery(SeriesEntry entry, int slot, int operand)
    {
        foreach (var (monitorSlot, group) in entry.Feeds)
        {
            if (monitorSlot == slot && group.SeriesIdsOf(operand).BinarySearch(entry.Id) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static void RemoveFeed(SeriesEntry entry, MonitorGroup group)
    {
        var feeds = entry.Feeds;
        for (var i = feeds.Count - 1; i >= 0; i--)
        {
            if (feeds[i].Group == group)
            {
                feeds.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// The group a series with these tags feeds: its <c>by</c> tags in query order. Null when the
    /// series lacks one of them: as in Datadog, such a series is left out of the monitor rather
    /// than grouped under a made-up value.
    /// </summary>
    private static (string Key, string[] Tags)? GroupOf(CompiledMonitor monitor, string[] sortedTags)
    {
        if (monitor.GroupBy.IsDefaultOrEmpty)
        {
            return (NoGroupKey, []);
        }

        var tags = new string[monitor.GroupBy.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            var name = monitor.GroupBy[i];
            string? found = null;
            foreach (var tag in sortedTags)
            {
                if (tag.Length > name.Length && tag[name.Length] == ':' && tag.StartsWith(name, StringComparison.Ordinal))
                {
                    // The series' own tag string is the group's tag: no copy per group.
                    found = tag;
                    break;
                }
            }

            if (found is null)
            {
                return null;
            }

            tags[i] = found;
        }

        return (string.Join(',', tags), tags);
    }
}
