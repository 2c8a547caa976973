namespace Alerting.Engine.State;

/// <summary>
/// Downtimes filed so that a group finds the few that can select it without a scan over all of them:
/// one that names a monitor under that monitor; else one with a scope under one of its scope tags
/// (a group must carry every scope tag, so any one of them finds it; the ordinal-least is used); else
/// one that names a group under that group key; else in a short list of downtimes that select every
/// group of every monitor. A lookup reads the monitor's list, the lists of each of the group's tags,
/// the group key's list and the short list: cost proportional to the downtimes that may apply.
/// </summary>
/// <remarks>Owned by the state machine thread. The dictionaries are only looked up, never iterated, so their hash order decides nothing.</remarks>
internal sealed class DowntimeIndex
{
    private readonly Dictionary<string, DowntimeSet> _byMonitor = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DowntimeSet> _byTag = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DowntimeSet> _byGroup = new(StringComparer.Ordinal);
    private readonly DowntimeSet _everyGroup = new();

    public int Count { get; private set; }

    /// <summary>Files a downtime (its id must not be filed already).</summary>
    public void Add(DowntimeModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var set = SetOf(model, create: true)!;
        var before = set.Count;
        set.Upsert(model);
        Invariant.Check(set.Count == before + 1, "a downtime is filed once: an edit removes the old model first");
        Count++;
    }

    /// <summary>Removes the downtime filed as <paramref name="model"/> (the same filters decide where it is).</summary>
    public bool Remove(DowntimeModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var set = SetOf(model, create: false);
        if (set is null || !set.Remove(model.Id))
        {
            return false;
        }

        Count--;
        if (set.Count == 0 && !ReferenceEquals(set, _everyGroup))
        {
            DictionaryOf(model, out var key)!.Remove(key!);
        }

        return true;
    }

    /// <summary>Whether a filed downtime covers the group now (see <see cref="DowntimeSet.Evaluate"/>).</summary>
    public MuteStatus Evaluate(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs)
    {
        var status = MuteStatus.None;
        if (Count == 0)
        {
            return status;
        }

        if (_byMonitor.TryGetValue(monitorId, out var own))
        {
            status = status.Or(own.Evaluate(monitorId, groupKey, groupTags, nowMs));
        }

        foreach (var tag in groupTags)
        {
            if (_byTag.TryGetValue(tag, out var tagged))
            {
                status = status.Or(tagged.Evaluate(monitorId, groupKey, groupTags, nowMs));
            }
        }

        if (_byGroup.TryGetValue(groupKey, out var grouped))
        {
            status = status.Or(grouped.Evaluate(monitorId, groupKey, groupTags, nowMs));
        }

        return _everyGroup.Count == 0 ? status : status.Or(_everyGroup.Evaluate(monitorId, groupKey, groupTags, nowMs));
    }

    /// <summary>Whether a filed downtime selects the group (its filters, whatever the time).</summary>
    public bool AnySelects(string monitorId, string groupKey, ReadOnlySpan<string> groupTags)
    {
        if (Count == 0)
        {
            return false;
        }

        if (_byMonitor.TryGetValue(monitorId, out var own) && own.AnySelects(monitorId, groupKey, groupTags))
        {
            return true;
        }

        foreach (var tag in groupTags)
        {
            if (_byTag.TryGetValue(tag, out var tagged) && tagged.AnySelects(monitorId, groupKey, groupTags))
            {
                return true;
            }
        }

        return (_byGroup.TryGetValue(groupKey, out var grouped) && grouped.AnySelects(monitorId, groupKey, groupTags))
            || _everyGroup.AnySelects(monitorId, groupKey, groupTags);
    }

    /// <summary>Adds to <paramref name="into"/> every filed downtime covering the group now, each once, by id (ordinal).</summary>
    public void CollectCovering(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs, List<DowntimeModel> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var from = into.Count;
        if (_byMonitor.TryGetValue(monitorId, out var own))
        {
            own.CollectCovering(monitorId, groupKey, groupTags, nowMs, into);
        }

        foreach (var tag in groupTags)
        {
            if (_byTag.TryGetValue(tag, out var tagged))
            {
                tagged.CollectCovering(monitorId, groupKey, groupTags, nowMs, into);
            }
        }

        if (_byGroup.TryGetValue(groupKey, out var grouped))
        {
            grouped.CollectCovering(monitorId, groupKey, groupTags, nowMs, into);
        }

        _everyGroup.CollectCovering(monitorId, groupKey, groupTags, nowMs, into);

        // A group listing a tag twice would find a tag-filed downtime twice.
        var found = into.GetRange(from, into.Count - from);
        into.RemoveRange(from, found.Count);
        found.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        for (var i = 0; i < found.Count; i++)
        {
            if (i == 0 || !string.Equals(found[i].Id, found[i - 1].Id, StringComparison.Ordinal))
            {
                into.Add(found[i]);
            }
        }
    }

    private DowntimeSet? SetOf(DowntimeModel model, bool create)
    {
        var dictionary = DictionaryOf(model, out var key);
        if (dictionary is null)
        {
            return _everyGroup;
        }

        if (!dictionary.TryGetValue(key!, out var set) && create)
        {
            dictionary.Add(key!, set = new DowntimeSet());
        }

        return set;
    }

    private Dictionary<string, DowntimeSet>? DictionaryOf(DowntimeModel model, out string? key)
    {
        if (model.MonitorId is not null)
        {
            key = model.MonitorId;
            return _byMonitor;
        }

        if (model.Scope.Count > 0)
        {
            key = model.Scope.Min(StringComparer.Ordinal);
            return _byTag;
        }

        if (model.Group is not null)
        {
            key = model.Group;
            return _byGroup;
        }

        key = null;
        return null;
    }
}
