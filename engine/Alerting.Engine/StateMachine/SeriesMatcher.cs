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
internal sealed class SeriesMatcher
{
    private const string NoGroupKey = "*";

    private readonly IngestLimits _limits;
    private readonly MonitorRegistry _monitors;
    private readonly SeriesIndex _series;
    private readonly WindowStores _windows;
    private readonly LogicalClock _clock;
    private readonly EngineCounters _counters;
    private readonly MonitorMatchIndex _scopes = new();
    private readonly List<int> _matchedSlots = [];
    private readonly List<(string Key, string[] Tags)?> _matchedGroups = [];
    private readonly List<SeriesEntry> _matchedSeries = [];

    public SeriesMatcher(IngestLimits limits, MonitorRegistry monitors, SeriesIndex series, WindowStores windows, LogicalClock clock, EngineCounters counters)
    {
        _limits = limits;
        _monitors = monitors;
        _series = series;
        _windows = windows;
        _clock = clock;
        _counters = counters;
    }

    /// <summary>Files a registered monitor's scopes (one per metric query), so new series of their sources find it.</summary>
    public void AddMonitor(CompiledMonitor monitor)
    {
        for (var k = 0; k < monitor.Operands.Length; k++)
        {
            var operand = monitor.Operands[k];
            _scopes.Add(SeriesIndex.SourceKey(monitor.IsCheck, operand.Source), operand.Scope, MatchKey(monitor.Slot, k));
        }
    }

    /// <summary>Detaches a monitor being deleted: its groups leave their series' feeds, its scopes the index.</summary>
    public void RemoveMonitor(CompiledMonitor monitor)
    {
        Unlink(monitor);
        RemoveScopes(monitor);
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

    private void RemoveScopes(CompiledMonitor monitor)
    {
        for (var k = 0; k < monitor.Operands.Length; k++)
        {
            _scopes.Remove(MatchKey(monitor.Slot, k));
        }
    }

    /// <summary>
    /// An edit changed which series feed which group: regroups <paramref name="updated"/> from the
    /// index, keeping the state of groups whose key survives (already reset by the edit when it
    /// became meaningless).
    /// </summary>
    public void Regroup(CompiledMonitor old, CompiledMonitor updated)
    {
        Unlink(old);
        RemoveScopes(old);
        AddMonitor(updated);
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

    /// <summary>
    /// The series of these tags, created (with the groups it joins) if new; null, with the
    /// reason, when creating it would cross a cardinality limit.
    /// </summary>
    public SeriesEntry? FindOrCreateSeries(bool isCheck, string source, IList<string> rawTags, out RejectReason refusal)
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

    /// <summary>A new or regrouped monitor picks up the series that already exist, query by query, in creation order.</summary>
    public void MatchExistingSeries(CompiledMonitor monitor)
    {
        for (var k = 0; k < monitor.Operands.Length; k++)
        {
            MatchExistingSeries(monitor, k);
        }
    }

    private void MatchExistingSeries(CompiledMonitor monitor, int operand)
    {
        var selection = monitor.Operands[operand];
        _series.Matching(SeriesIndex.SourceKey(monitor.IsCheck, selection.Source), selection.Scope, _matchedSeries);
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

            Join(monitor, operand, entry, groupKey, groupTags);
        }

        _matchedSeries.Clear();
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

    private void Join(CompiledMonitor monitor, int operand, SeriesEntry entry, string groupKey, string[] groupTags)
    {
        if (!monitor.Groups.TryGetValue(groupKey, out var group))
        {
            group = new MonitorGroup(groupKey, groupTags, GroupState.Create(groupKey, _clock.NowMs), monitor.CheckRuns, monitor.Formula?.OperandCount ?? 0);
            monitor.Groups.Add(groupKey, group);
        }

        // Series join in creation order (new series are the newest; a matching monitor scans in
        // order), so this also says a series joins a group's query at most once.
        var seriesIds = group.SeriesIdsOf(operand);
        Invariant.Check(seriesIds.Count == 0 || seriesIds[^1] < entry.Id, "a series joins a group's query once, in creation order");
        seriesIds.Add(entry.Id);
        if (!monitor.IsCheck)
        {
            group.SlotsOf(operand).Add(_windows.SlotOf(entry, monitor.Tier));
        }

        entry.Feeds.Add((monitor.Slot, group));
    }

    /// <summary>Removes the monitor's groups from the feeds of the series they read.</summary>
    private void Unlink(CompiledMonitor monitor)
    {
        foreach (var group in monitor.Groups.Values)
        {
            for (var k = 0; k < monitor.Operands.Length; k++)
            {
                foreach (var seriesId in group.SeriesIdsOf(k))
                {
                    _series[seriesId].Feeds.RemoveAll(f => f.Group == group);
                }
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
            string? value = null;
            foreach (var tag in sortedTags)
            {
                if (tag.Length > name.Length && tag[name.Length] == ':' && tag.StartsWith(name, StringComparison.Ordinal))
                {
                    value = tag[(name.Length + 1)..];
                    break;
                }
            }

            if (value is null)
            {
                return null;
            }

            tags[i] = name + ":" + value;
        }

        return (string.Join(',', tags), tags);
    }
}
