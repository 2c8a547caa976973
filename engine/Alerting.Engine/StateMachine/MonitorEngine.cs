using System.Globalization;
using System.Runtime.InteropServices;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;
using Alerting.Engine.Timing;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// The monitor side of the state machine: monitors and their groups, the series index, the
/// series windows, the schedule on the timing wheel, downtimes, and the state processor calls.
/// Single-threaded and deterministic: every collection whose order decides anything is either
/// a list in log order or ordinal-sorted.
/// </summary>
/// <remarks>
/// A point's path: <see cref="ApplyPoints"/> finds (or creates and indexes) its series, writes
/// it into the series' windows, and, for <c>on_arrival</c> monitors, evaluates the touched
/// groups right away. Scheduled evaluations happen in <see cref="ApplyTick"/>: the wheel fires
/// every due evaluation instant up to the tick's time, in order, each once.
/// </remarks>
internal sealed partial class MonitorEngine
{
    /// <summary>
    /// Most retired ids remembered. Past it, monitors can only be created with server-assigned
    /// ids (log indexes, unique by construction): an explicit new id is refused.
    /// </summary>
    public const int MaxRetiredIds = 1_000_000;

    /// <summary>A scheduled evaluation at least this late (logical time) counts as caught up after a pause.</summary>
    public const long CaughtUpThresholdMs = 1_000;

    private const string NoGroupKey = "*";
    private const string MissingTagValue = "N/A";

    private readonly IngestLimits _limits;
    private readonly List<CompiledMonitor?> _monitors = [];
    private readonly SortedSet<int> _freeMonitorSlots = [];
    private readonly Dictionary<string, int> _slotById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _slotsByName = new(StringComparer.Ordinal);

    /// <summary>
    /// Ids of deleted monitors. An id is never reused, so a transition id
    /// (monitor id, group key, number) can never name two different events.
    /// </summary>
    private readonly SortedSet<string> _retiredIds = new(StringComparer.Ordinal);
    private readonly MonitorMatchIndex _matchIndex = new();
    private readonly SeriesIndex _series = new();
    private readonly List<int> _matchedSlots = [];
    private readonly List<SeriesEntry> _matchedSeries = [];
    private readonly SeriesStore[] _stores;
    private readonly WindowEvaluator[] _evaluators;
    private readonly SortedDictionary<string, Downtime> _downtimeDefinitions = new(StringComparer.Ordinal);
    private readonly DowntimeSet _downtimes = new();
    private readonly long[] _rejected = new long[RejectReasonNames.Count];
    private readonly List<(int Slot, long DueMs)> _due = [];
    private readonly List<(int Slot, MonitorGroup Group)> _touched = [];
    private TimingWheel? _wheel;
    private long _logicalTimeMs;
    private long _touchStamp;

    public MonitorEngine(IngestLimits limits)
    {
        _limits = limits;
        _stores = new SeriesStore[StoreTiers.Count];
        _evaluators = new WindowEvaluator[StoreTiers.Count];
        for (var tier = 0; tier < StoreTiers.Count; tier++)
        {
            _stores[tier] = new SeriesStore(StoreTiers.Options(tier, limits.MaxPointFutureMs, initialCapacity: 64));
            _evaluators[tier] = new WindowEvaluator(_stores[tier]);
        }
    }

    /// <summary>Events produced by the entry being applied; the applier hands them on and clears the list.</summary>
    public List<TransitionEvent> Events { get; } = [];

    /// <summary>The monitor's message rendered for each of <see cref="Events"/>, at the same positions.</summary>
    public List<string> EventMessages { get; } = [];

    public EngineCounters Counters { get; } = new();

    public int MonitorCount => _slotById.Count;

    public int SeriesCount => _series.Count;

    public int DowntimeCount => _downtimeDefinitions.Count;

    public long Rejected(RejectReason reason) => _rejected[(int)reason];

    public bool TryGetMonitor(string id, out Monitor? monitor)
    {
        monitor = _slotById.TryGetValue(id, out var slot) ? _monitors[slot]!.Definition : null;
        return monitor is not null;
    }

    /// <summary>Every monitor definition, in slot order.</summary>
    public IEnumerable<Monitor> MonitorDefinitions() => _monitors.Where(m => m is not null).Select(m => m!.Definition);

    /// <summary>Every group's state, by monitor slot then group key; optionally of one monitor.</summary>
    public IEnumerable<(Monitor Monitor, GroupState State)> AllGroupStates(string? monitorId = null)
    {
        foreach (var monitor in _monitors)
        {
            if (monitor is null || (monitorId is not null && !string.Equals(monitor.Id, monitorId, StringComparison.Ordinal)))
            {
                continue;
            }

            foreach (var group in monitor.Groups.Values)
            {
                yield return (monitor.Definition, group.State);
            }
        }
    }

    /// <summary>Downtime definitions, by id.</summary>
    public IEnumerable<Downtime> DowntimeDefinitions() => _downtimeDefinitions.Values;

    /// <summary>Current state of every group of a monitor, in group-key order.</summary>
    public IReadOnlyList<GroupState> GroupStates(string monitorId) =>
        _slotById.TryGetValue(monitorId, out var slot)
            ? _monitors[slot]!.Groups.Values.Select(g => g.State).ToList()
            : [];

    // ---- Time -----------------------------------------------------------------------------

    public void ApplyTick(long tickMs, long logIndex)
    {
        if (tickMs <= _logicalTimeMs && _wheel is not null)
        {
            return;
        }

        _logicalTimeMs = Math.Max(_logicalTimeMs, tickMs);
        foreach (var store in _stores)
        {
            store.AdvanceClock(_logicalTimeMs);
        }

        if (_wheel is null)
        {
            // The first tick starts the schedule: before it there is no time to be late against.
            StartWheel();
            return;
        }

        var collector = new DueCollector(_due);
        _wheel.Advance(_logicalTimeMs, ref collector);
        if (_due.Count == 0)
        {
            return;
        }

        // Under load, the most important monitors go first; within a priority, due order.
        var span = CollectionsMarshal.AsSpan(_due);
        span.Sort(new DueOrder(_monitors));
        foreach (var (slot, dueMs) in span)
        {
            var monitor = _monitors[slot]!;
            var lateness = _logicalTimeMs - dueMs;
            Counters.RecordEvaluation(lateness, lateness >= CaughtUpThresholdMs);
            EvaluateMonitor(monitor, dueMs, logIndex);
        }

        _due.Clear();
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
                _rejected[(int)RejectReason.InvalidCommand]++;
                return (MonitorOutcome.Rejected, null, "name: an upsert by name needs a name");
            }

            definition = definition.Clone();
            definition.Id = _slotsByName.TryGetValue(definition.Name, out var named) && named.Count > 0
                ? _monitors[named[0]]!.Id
                : FreshId(logIndex);
        }
        else if (!_slotById.ContainsKey(definition.Id))
        {
            if (_retiredIds.Contains(definition.Id))
            {
                _rejected[(int)RejectReason.InvalidCommand]++;
                return (MonitorOutcome.Rejected, definition.Id, $"id: \"{definition.Id}\" belonged to a deleted monitor; ids are never reused, so that transition ids stay unique");
            }

            if (_retiredIds.Count >= MaxRetiredIds)
            {
                _rejected[(int)RejectReason.InvalidCommand]++;
                return (MonitorOutcome.Rejected, definition.Id, $"id: explicit ids are refused once {MaxRetiredIds} monitors were deleted; create by name to get a server-assigned id");
            }
        }

        if (_slotById.TryGetValue(definition.Id, out var existingSlot) && _monitors[existingSlot]!.Definition.Equals(definition))
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
            _rejected[(int)RejectReason.InvalidCommand]++;
            return (MonitorOutcome.Rejected, definition.Id, e.Message);
        }

        if (_slotById.TryGetValue(definition.Id, out var slot))
        {
            Replace(_monitors[slot]!, compiled, logIndex);
            return (MonitorOutcome.Updated, definition.Id, null);
        }

        if (_slotById.Count >= _limits.MaxMonitors)
        {
            _rejected[(int)RejectReason.InvalidCommand]++;
            return (MonitorOutcome.Rejected, definition.Id, $"the engine holds its limit of {_limits.MaxMonitors} monitors");
        }

        Register(compiled);
        MatchExistingSeries(compiled);
        Schedule(compiled);
        return (MonitorOutcome.Created, definition.Id, null);
    }

    /// <summary>An id for a new monitor: the log index, made unique against explicit ids that took that text.</summary>
    private string FreshId(long logIndex)
    {
        var id = logIndex.ToString(CultureInfo.InvariantCulture);
        for (var n = 1; _slotById.ContainsKey(id) || _retiredIds.Contains(id); n++)
        {
            id = string.Create(CultureInfo.InvariantCulture, $"{logIndex}-{n}");
        }

        return id;
    }

    public MonitorOutcome DeleteMonitor(string id, long logIndex)
    {
        if (!_slotById.TryGetValue(id, out var slot))
        {
            return MonitorOutcome.NotFound;
        }

        var monitor = _monitors[slot]!;
        var sink = new EventSink(Events);
        foreach (var group in monitor.Groups.Values)
        {
            var before = Events.Count;
            StateProcessor.OnMonitorDeleted(monitor.Rules, ref group.State, GroupNow(group), logIndex, ref sink);
            RenderMessages(monitor, group, before);
        }

        Unlink(monitor);
        _wheel?.Cancel(monitor.Timer);
        _monitors[slot] = null;
        _freeMonitorSlots.Add(slot);
        _slotById.Remove(id);
        if (_retiredIds.Count < MaxRetiredIds)
        {
            _retiredIds.Add(id);
        }

        RemoveFromIndex(_slotsByName, monitor.Definition.Name, slot);
        _matchIndex.Remove(slot);
        return MonitorOutcome.Deleted;
    }

    private void StartWheel()
    {
        _wheel = new TimingWheel(new TimingWheelOptions(), _logicalTimeMs);
        foreach (var monitor in _monitors)
        {
            if (monitor is not null)
            {
                Schedule(monitor);
            }
        }
    }

    /// <summary>Registers a new monitor in the lowest free slot (a rule a snapshot can rebuild).</summary>
    private void Register(CompiledMonitor monitor)
    {
        int slot;
        if (_freeMonitorSlots.Count > 0)
        {
            slot = _freeMonitorSlots.Min;
            _freeMonitorSlots.Remove(slot);
        }
        else
        {
            slot = _monitors.Count;
            _monitors.Add(null);
        }

        RegisterAt(monitor, slot);
    }

    private void RegisterAt(CompiledMonitor monitor, int slot)
    {
        _monitors[slot] = monitor;
        monitor.Slot = slot;
        _slotById.Add(monitor.Id, slot);
        AddName(monitor.Definition.Name, slot);
        _matchIndex.Add(SeriesIndex.SourceKey(monitor.IsCheck, monitor.Source), monitor.Scope, slot);
    }

    /// <summary>Removes a slot from an index list, and the list once empty, so churn leaves nothing behind.</summary>
    private static void RemoveFromIndex(Dictionary<string, List<int>> index, string key, int slot)
    {
        var slots = index[key];
        slots.Remove(slot);
        if (slots.Count == 0)
        {
            index.Remove(key);
        }
    }

    private void AddName(string name, int slot)
    {
        if (!_slotsByName.TryGetValue(name, out var slots))
        {
            _slotsByName.Add(name, slots = []);
        }

        slots.Insert(~slots.BinarySearch(slot), slot);
    }

    private void Replace(CompiledMonitor old, CompiledMonitor updated, long logIndex)
    {
        var sink = new EventSink(Events);
        foreach (var group in old.Groups.Values)
        {
            var before = Events.Count;
            StateProcessor.OnMonitorEdited(old.Rules, updated.Rules, ref group.State, GroupNow(group), logIndex, ref sink);
            RenderMessages(updated, group, before);
        }

        var slot = old.Slot;
        updated.Slot = slot;
        _monitors[slot] = updated;
        if (!string.Equals(old.Definition.Name, updated.Definition.Name, StringComparison.Ordinal))
        {
            RemoveFromIndex(_slotsByName, old.Definition.Name, slot);
            AddName(updated.Definition.Name, slot);
        }

        if (updated.SameSeriesSelection(old))
        {
            foreach (var (key, group) in old.Groups)
            {
                updated.Groups.Add(key, group);
            }
        }
        else
        {
            // Which series feed which group changed: regroup from the index, keeping the state
            // (already reset above when it became meaningless) of groups whose key survives.
            Unlink(old);
            _matchIndex.Remove(slot);
            _matchIndex.Add(SeriesIndex.SourceKey(updated.IsCheck, updated.Source), updated.Scope, slot);
            MatchExistingSeries(updated);
            foreach (var (groupKey, group) in updated.Groups)
            {
                if (old.Groups.TryGetValue(groupKey, out var previous))
                {
                    group.State = previous.State;
                    group.LastEvaluatedMs = previous.LastEvaluatedMs;
                }
            }
        }

        if (old.IntervalMs != updated.IntervalMs || old.OffsetMs != updated.OffsetMs)
        {
            _wheel?.Cancel(old.Timer);
            Schedule(updated);
        }
        else
        {
            updated.Timer = old.Timer;
        }
    }

    /// <summary>Removes the monitor's groups from the feeds of the series they read.</summary>
    private void Unlink(CompiledMonitor monitor)
    {
        foreach (var group in monitor.Groups.Values)
        {
            foreach (var seriesId in group.SeriesIds)
            {
                _series[seriesId].Feeds.RemoveAll(f => f.Group == group);
            }
        }
    }

    private void Schedule(CompiledMonitor monitor)
    {
        if (_wheel is null)
        {
            return;
        }

        monitor.Timer = _wheel.Schedule(NextDue(monitor, _logicalTimeMs), monitor.IntervalMs, monitor.Slot);
    }

    /// <summary>The first evaluation instant after <paramref name="afterMs"/>: instants are offset + k × interval.</summary>
    internal static long NextDue(CompiledMonitor monitor, long afterMs)
    {
        var phase = ((afterMs - monitor.OffsetMs) % monitor.IntervalMs + monitor.IntervalMs) % monitor.IntervalMs;
        return afterMs - phase + monitor.IntervalMs;
    }

    // ---- Evaluation -----------------------------------------------------------------------

    private void EvaluateMonitor(CompiledMonitor monitor, long dueMs, long logIndex)
    {
        foreach (var group in monitor.Groups.Values)
        {
            EvaluateGroup(monitor, group, dueMs, logIndex);
        }
    }

    /// <summary>A group's clock: logical time, or later if an on-arrival evaluation already went further.</summary>
    private long GroupNow(MonitorGroup group) => Math.Max(_logicalTimeMs, group.LastEvaluatedMs);

    private void EvaluateGroup(CompiledMonitor monitor, MonitorGroup group, long atMs, long logIndex)
    {
        var nowMs = Math.Max(atMs, group.LastEvaluatedMs);
        group.LastEvaluatedMs = nowMs;
        var windowEndMs = nowMs - monitor.EvaluationDelayMs;
        EvaluationOutcome outcome;
        if (monitor.IsCheck)
        {
            outcome = group.Runs!.Evaluate(windowEndMs, monitor.CheckStalenessMs);
        }
        else
        {
            var result = _evaluators[monitor.Tier].Evaluate(CollectionsMarshal.AsSpan(group.Slots), monitor.Spec, windowEndMs);
            outcome = new EvaluationOutcome(result.HasValue, result.HasValue ? result.Value : double.NaN, result.FullWindow);
        }

        var mute = _downtimes.Evaluate(monitor.Id, group.Key, group.Tags, nowMs);
        var sink = new EventSink(Events);
        Counters.GroupEvaluations++;
        var before = Events.Count;
        StateProcessor.Evaluate(monitor.Rules, ref group.State, nowMs, outcome, mute, logIndex, ref sink);
        RenderMessages(monitor, group, before);
    }

    /// <summary>Renders the monitor's message for the events emitted since <paramref name="from"/> (a pure function of the event and the monitor).</summary>
    private void RenderMessages(CompiledMonitor monitor, MonitorGroup group, int from)
    {
        for (var i = from; i < Events.Count; i++)
        {
            var e = Events[i];
            EventMessages.Add(monitor.Message.Render(new TemplateContext
            {
                MonitorId = monitor.Id,
                MonitorName = monitor.Definition.Name,
                GroupKey = group.Key,
                GroupTags = group.Tags,
                Value = e.Value,
                Threshold = e.Threshold,
                WarningThreshold = monitor.Rules.Warning,
                State = e.Next,
                PreviousState = e.Previous,
                IsRenotify = e.IsRenotification,
                IsMuted = (e.Flags & GroupFlags.Muted) != 0,
                TimeMs = e.TimeMs,
            }));
        }
    }

    // ---- Points and check runs ------------------------------------------------------------

    public void ApplyPoints(PointsBatch batch, long logIndex, Span<long> rejectedByReason)
    {
        _touchStamp++;
        foreach (var series in batch.Series)
        {
            var count = Math.Min(series.UnixMs.Count, series.Values.Count);
            if (series.UnixMs.Count != series.Values.Count || series.Metric.Length == 0)
            {
                Reject(RejectReason.Malformed, Math.Max(series.UnixMs.Count, series.Values.Count), rejectedByReason);
                continue;
            }

            // Admission before creation: a series none of whose points would be admitted is not
            // created (nor counted against the series limits), so refused points leave no trace.
            if (!AnyAdmissible(series, count))
            {
                for (var i = 0; i < count; i++)
                {
                    Invariant.Check(!Admit(series.UnixMs[i], series.Values[i], rejectedByReason), "a point found inadmissible is refused");
                }

                continue;
            }

            var entry = FindOrCreateSeries(isCheck: false, series.Metric, series.Tags, out var refusal);
            if (entry is null)
            {
                Reject(refusal, count, rejectedByReason);
                continue;
            }

            var newestMs = long.MinValue;
            for (var i = 0; i < count; i++)
            {
                var unixMs = series.UnixMs[i];
                var value = series.Values[i];
                if (!Admit(unixMs, value, rejectedByReason))
                {
                    continue;
                }

                Counters.PointsAccepted++;
                newestMs = Math.Max(newestMs, unixMs);
                for (var tier = 0; tier < entry.TierSlots.Length; tier++)
                {
                    if (entry.TierSlots[tier] >= 0 && _stores[tier].AddPoint(entry.TierSlots[tier], unixMs, value) != PointResult.Accepted)
                    {
                        // Older than this tier keeps (or ahead of it): no window of the tier can read it.
                        Counters.PointsOutsideTierRetention++;
                    }
                }
            }

            if (newestMs != long.MinValue)
            {
                Touch(entry, newestMs);
            }
        }

        EvaluateTouched(logIndex);
    }

    public void ApplyCheckRuns(CheckRunsBatch batch, long logIndex, Span<long> rejectedByReason)
    {
        _touchStamp++;
        foreach (var run in batch.Runs)
        {
            if (run.Check.Length == 0 || !Enum.IsDefined(run.Status))
            {
                Reject(RejectReason.Malformed, 1, rejectedByReason);
                continue;
            }

            if (!AdmitTime(run.UnixMs, rejectedByReason))
            {
                continue;
            }

            var entry = FindOrCreateSeries(isCheck: true, run.Check, run.Tags, out var refusal);
            if (entry is null)
            {
                Reject(refusal, 1, rejectedByReason);
                continue;
            }

            Counters.CheckRunsAccepted++;
            foreach (var (_, group) in entry.Feeds)
            {
                group.Runs!.Add(run.UnixMs, run.Status);
            }

            Touch(entry, run.UnixMs);
        }

        EvaluateTouched(logIndex);
    }

    private void Touch(SeriesEntry entry, long newestMs)
    {
        foreach (var (monitorSlot, group) in entry.Feeds)
        {
            if (!_monitors[monitorSlot]!.OnArrival)
            {
                continue;
            }

            if (group.TouchStamp != _touchStamp)
            {
                group.TouchStamp = _touchStamp;
                group.TouchedNewestMs = newestMs;
                _touched.Add((monitorSlot, group));
            }
            else
            {
                group.TouchedNewestMs = Math.Max(group.TouchedNewestMs, newestMs);
            }
        }
    }

    /// <summary>
    /// <c>on_arrival</c>: evaluates the groups the batch touched, at the later of logical time
    /// and the group's newest point in the batch, so the window holds the point that arrived.
    /// </summary>
    private void EvaluateTouched(long logIndex)
    {
        if (_touched.Count == 0 || _wheel is null)
        {
            _touched.Clear();
            return;
        }

        var span = CollectionsMarshal.AsSpan(_touched);
        span.Sort(new TouchedOrder(_monitors));
        foreach (var (slot, group) in span)
        {
            Counters.ArrivalEvaluations++;
            EvaluateGroup(_monitors[slot]!, group, Math.Max(_logicalTimeMs, group.TouchedNewestMs), logIndex);
        }

        _touched.Clear();
    }

    /// <summary>Whether any of the first <paramref name="count"/> points would be admitted (counts nothing).</summary>
    private bool AnyAdmissible(SeriesPoints series, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (IsAdmissible(series.UnixMs[i], series.Values[i]))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsAdmissible(long unixMs, double value) =>
        double.IsFinite(value) && IsAdmissibleTime(unixMs);

    private bool IsAdmissibleTime(long unixMs) =>
        unixMs >= _logicalTimeMs - _limits.MaxPointAgeMs && unixMs <= _logicalTimeMs + _limits.MaxPointFutureMs;

    private bool Admit(long unixMs, double value, Span<long> rejectedByReason)
    {
        if (!double.IsFinite(value))
        {
            Reject(RejectReason.NotFinite, 1, rejectedByReason);
            return false;
        }

        return AdmitTime(unixMs, rejectedByReason);
    }

    private bool AdmitTime(long unixMs, Span<long> rejectedByReason)
    {
        if (unixMs < _logicalTimeMs - _limits.MaxPointAgeMs)
        {
            Reject(RejectReason.TooOld, 1, rejectedByReason);
            return false;
        }

        if (unixMs > _logicalTimeMs + _limits.MaxPointFutureMs)
        {
            Reject(RejectReason.TooFarInFuture, 1, rejectedByReason);
            return false;
        }

        return true;
    }

    private void Reject(RejectReason reason, long count, Span<long> rejectedByReason)
    {
        _rejected[(int)reason] += count;
        if (!rejectedByReason.IsEmpty)
        {
            rejectedByReason[(int)reason] += count;
        }
    }

    // ---- Series index ---------------------------------------------------------------------

    private SeriesEntry? FindOrCreateSeries(bool isCheck, string source, IList<string> rawTags, out RejectReason refusal)
    {
        refusal = default;
        var tags = SeriesIndex.NormalizeTags(rawTags);
        if (_series.TryGet(SeriesIndex.SeriesKey(isCheck, source, tags), out var existing))
        {
            return existing;
        }

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
        _matchIndex.Matching(sourceKey, tags, _matchedSlots);
        var matches = new (string GroupKey, string[] GroupTags)[_matchedSlots.Count];
        for (var i = 0; i < matches.Length; i++)
        {
            var monitor = _monitors[_matchedSlots[i]]!;
            var (groupKey, groupTags) = GroupOf(monitor, tags);
            if (!monitor.Groups.ContainsKey(groupKey) && monitor.Groups.Count >= _limits.MaxGroupsPerMonitor)
            {
                refusal = RejectReason.GroupsPerMonitorLimit;
                return null;
            }

            matches[i] = (groupKey, groupTags);
        }

        var entry = _series.Create(isCheck, source, tags);
        for (var i = 0; i < matches.Length; i++)
        {
            Join(_monitors[_matchedSlots[i]]!, entry, matches[i].GroupKey, matches[i].GroupTags);
        }

        return entry;
    }

    /// <summary>A new or regrouped monitor picks up the series that already exist, in creation order.</summary>
    private void MatchExistingSeries(CompiledMonitor monitor)
    {
        _series.Matching(SeriesIndex.SourceKey(monitor.IsCheck, monitor.Source), monitor.Scope, _matchedSeries);
        foreach (var entry in _matchedSeries)
        {
            var (groupKey, groupTags) = GroupOf(monitor, entry.Tags);
            if (!monitor.Groups.ContainsKey(groupKey) && monitor.Groups.Count >= _limits.MaxGroupsPerMonitor)
            {
                Counters.GroupsRefused++;
                continue;
            }

            Join(monitor, entry, groupKey, groupTags);
        }

        _matchedSeries.Clear();
    }

    private void Join(CompiledMonitor monitor, SeriesEntry entry, string groupKey, string[] groupTags)
    {
        if (!monitor.Groups.TryGetValue(groupKey, out var group))
        {
            group = new MonitorGroup(groupKey, groupTags, GroupState.Create(groupKey, _logicalTimeMs), monitor.CheckRuns);
            monitor.Groups.Add(groupKey, group);
        }

        group.SeriesIds.Add(entry.Id);
        if (!monitor.IsCheck)
        {
            group.Slots.Add(TierSlot(entry, monitor.Tier));
        }

        entry.Feeds.Add((monitor.Slot, group));
    }

    private int TierSlot(SeriesEntry entry, int tier)
    {
        if (entry.TierSlots[tier] < 0)
        {
            entry.TierSlots[tier] = _stores[tier].Add();
        }

        return entry.TierSlots[tier];
    }

    private static (string Key, string[] Tags) GroupOf(CompiledMonitor monitor, string[] sortedTags)
    {
        if (monitor.GroupBy.IsDefaultOrEmpty)
        {
            return (NoGroupKey, []);
        }

        var tags = new string[monitor.GroupBy.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            var name = monitor.GroupBy[i];
            var value = MissingTagValue;
            foreach (var tag in sortedTags)
            {
                if (tag.Length > name.Length && tag[name.Length] == ':' && tag.StartsWith(name, StringComparison.Ordinal))
                {
                    value = tag[(name.Length + 1)..];
                    break;
                }
            }

            tags[i] = name + ":" + value;
        }

        return (string.Join(',', tags), tags);
    }

    // ---- Downtimes ------------------------------------------------------------------------

    public void UpsertDowntime(Downtime downtime, long logIndex)
    {
        DowntimeModel model;
        try
        {
            model = DowntimeModel.FromProto(downtime);
        }
        catch (OptionValidationException)
        {
            _rejected[(int)RejectReason.InvalidCommand]++;
            return;
        }

        if (!_downtimeDefinitions.ContainsKey(downtime.Id) && _downtimeDefinitions.Count >= DowntimeSet.MaxDowntimes)
        {
            _rejected[(int)RejectReason.InvalidCommand]++;
            return;
        }

        _downtimes.Upsert(model);
        _downtimeDefinitions[downtime.Id] = downtime;
        if (logIndex > 0)
        {
            RefreshMutes(logIndex);
        }
    }

    public void DeleteDowntime(string id, long logIndex)
    {
        _downtimes.Remove(id);
        if (_downtimeDefinitions.Remove(id))
        {
            RefreshMutes(logIndex);
        }
    }

    /// <summary>
    /// A downtime command changes which groups are muted now, not at their next evaluation:
    /// a group whose downtime was deleted while it alerts gets its end notification at once.
    /// (Downtimes that start or end on their own are picked up at the group's evaluations.)
    /// </summary>
    private void RefreshMutes(long logIndex)
    {
        var sink = new EventSink(Events);
        foreach (var monitor in _monitors)
        {
            if (monitor is null)
            {
                continue;
            }

            foreach (var group in monitor.Groups.Values)
            {
                var nowMs = GroupNow(group);
                var mute = _downtimes.Evaluate(monitor.Id, group.Key, group.Tags, nowMs);
                var before = Events.Count;
                StateProcessor.UpdateMute(monitor.Rules, ref group.State, nowMs, mute, logIndex, ref sink);
                RenderMessages(monitor, group, before);
            }
        }
    }

    // ---- Orders ---------------------------------------------------------------------------

    private struct DueCollector : ITimerHandler
    {
        private readonly List<(int Slot, long DueMs)> _due;

        public DueCollector(List<(int Slot, long DueMs)> due)
        {
            _due = due;
        }

        public readonly void OnTimer(TimerHandle handle, long payload, long dueMs) => _due.Add(((int)payload, dueMs));
    }

    private readonly struct DueOrder : IComparer<(int Slot, long DueMs)>
    {
        private readonly List<CompiledMonitor?> _monitors;

        public DueOrder(List<CompiledMonitor?> monitors)
        {
            _monitors = monitors;
        }

        public int Compare((int Slot, long DueMs) x, (int Slot, long DueMs) y)
        {
            var byPriority = _monitors[x.Slot]!.Priority.CompareTo(_monitors[y.Slot]!.Priority);
            if (byPriority != 0)
            {
                return byPriority;
            }

            var byDue = x.DueMs.CompareTo(y.DueMs);
            return byDue != 0 ? byDue : x.Slot.CompareTo(y.Slot);
        }
    }

    private readonly struct TouchedOrder : IComparer<(int Slot, MonitorGroup Group)>
    {
        private readonly List<CompiledMonitor?> _monitors;

        public TouchedOrder(List<CompiledMonitor?> monitors)
        {
            _monitors = monitors;
        }

        public int Compare((int Slot, MonitorGroup Group) x, (int Slot, MonitorGroup Group) y)
        {
            var byPriority = _monitors[x.Slot]!.Priority.CompareTo(_monitors[y.Slot]!.Priority);
            if (byPriority != 0)
            {
                return byPriority;
            }

            var bySlot = x.Slot.CompareTo(y.Slot);
            return bySlot != 0 ? bySlot : string.CompareOrdinal(x.Group.Key, y.Group.Key);
        }
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
