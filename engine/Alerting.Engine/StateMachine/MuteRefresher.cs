using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Brings groups' mute up to date after a downtime changed (a command, or a boundary from the
/// calendar), in bounded deterministic steps. A downtime that names a monitor needs only that
/// monitor's groups: they are queued by monitor and refreshed in key order, in the same step as
/// far as the budget allows; a monitor with more groups than that goes on from the next group key
/// at the following ticks (a new request for it while it is being refreshed starts it again from
/// its first group). A downtime that names none but has a scope reaches the groups that carry its scope
/// through the <see cref="GroupTagIndex"/>: when its shortest scope tag lists no more groups than
/// the entry's budget has left, they are refreshed in the same entry (by slot, then group key), and
/// nothing else is looked at. Otherwise, and for a downtime with no scope (none, or only a group
/// key), any monitor's group may be covered: it starts (or extends) a
/// sweep that walks the monitors in slot order from slot 0; a request that comes while a sweep
/// runs extends it to wrap round to where it stood, so it ends once round after the latest request; each step refreshes about
/// <see cref="MaxGroupsPerStep"/> groups, stopping inside a monitor when it has more (it goes on from the
/// next group key), and the sweep goes on at the following ticks. A group the
/// sweep has not reached yet still reads the right mute at its own evaluations (the index is
/// current), so a sweep only decides when its flag and end notification show, never whether.
/// </summary>
/// <remarks>Its queue and cursors are state: they are in snapshots (format 10; the cursor inside the sweep's monitor from format 17, the one inside the first queued monitor from format 19), so a replica restored mid-sweep continues it the same way.</remarks>
internal sealed class MuteRefresher
{
    /// <summary>Groups (plus one per monitor looked at) a step refreshes at most, through the tag index, the queue and the sweep together.</summary>
    public const int MaxGroupsPerStep = 8_192;

    private readonly MonitorRegistry _monitors;
    private readonly GroupEvaluator _evaluator;
    private readonly GroupTagIndex _groupTags;
    private readonly SeriesMatcher _matcher;

    // Groups scoped downtimes reached through the tag index, refreshed by the Step of the same
    // entry, so empty between entries (not state); and what is left of the entry's budget for them.
    private readonly List<(int Slot, MonitorGroup Group)> _scoped = [];
    private int _scopedBudget = MaxGroupsPerStep;
    private readonly Queue<string> _named = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private bool _sweeping;
    private bool _wrapped;
    private int _cursor;
    private int _stop;

    // Inside the monitor at the cursor: the key of the last group the sweep refreshed there (null
    // at a monitor's start), so a monitor with more groups than a step is refreshed over several.
    private string? _afterKey;

    // Inside the first queued monitor: the key of the last group refreshed there (null at its start).
    private string? _namedAfterKey;

    public MuteRefresher(MonitorRegistry monitors, GroupEvaluator evaluator, SeriesMatcher matcher)
    {
        _monitors = monitors;
        _evaluator = evaluator;
        _matcher = matcher;
        _groupTags = matcher.GroupTags;
    }

    /// <summary>True when no refresh is waiting.</summary>
    public bool IsIdle => _named.Count == 0 && !_sweeping && _scoped.Count == 0;

    /// <summary>Whether a sweep over every monitor is under way.</summary>
    public bool IsSweeping => _sweeping;

    /// <summary>Queues the refresh a downtime change needs (it runs at the next <see cref="Step"/>, which the same entry calls).</summary>
    public void Request(DowntimeReach reach)
    {
        if (reach.AllMonitors || !TryReach(reach.FirstScoped) || !TryReach(reach.SecondScoped))
        {
            // A full round from here: every group is refreshed at least once after this request
            // (the monitor the sweep is inside of included, from its first group, in the next round).
            _sweeping = true;
            _wrapped = false;
            _stop = _afterKey is null ? _cursor : _cursor + 1;
            return;
        }

        Enqueue(reach.First);
        Enqueue(reach.Second);
    }

    /// <summary>
    /// Refreshes up to about <see cref="MaxGroupsPerStep"/> groups: the groups scoped downtimes
    /// reached in this entry first, then queued monitors, then the sweep.
    /// </summary>
    public void Step(long logIndex)
    {
        var budget = MaxGroupsPerStep - RefreshScoped(logIndex);
        while (budget > 0 && _named.TryPeek(out var id))
        {
            if (_namedAfterKey is null)
            {
                // The monitor looked at.
                budget--;
            }

            if (_monitors.TryGet(id, out var monitor) && !RefreshFrom(monitor, ref _namedAfterKey, ref budget, logIndex))
            {
                Invariant.Check(budget <= 0, "a step stops inside a queued monitor only when its budget is spent");
                break;
            }

            _named.Dequeue();
            _queued.Remove(id);
            _namedAfterKey = null;
        }

        var slots = _monitors.Slots;
        while (budget > 0 && _sweeping)
        {
            if (_cursor >= slots.Count)
            {
                if (_wrapped)
                {
                    FinishSweep();
                    break;
                }

                _cursor = 0;
                _wrapped = true;
            }

            if (_wrapped && _cursor >= _stop)
            {
                FinishSweep();
                break;
            }

            var monitor = slots[_cursor];
            if (_afterKey is null)
            {
                // The slot looked at.
                budget--;
            }

            if (monitor is null || RefreshFrom(monitor, ref _afterKey, ref budget, logIndex))
            {
                _cursor++;
                _afterKey = null;
            }
        }
    }

    /// <summary>Format 17: where the sweep stands inside the monitor at its cursor (after <see cref="WriteTo"/>'s part, at the end of the monitor section).</summary>
    public void WriteGroupCursor(BinaryWriter writer)
    {
        writer.Write(_afterKey is not null);
        if (_afterKey is not null)
        {
            writer.Write(_afterKey);
        }
    }

    /// <summary>Reads what <see cref="WriteGroupCursor"/> wrote; null (a snapshot before format 17) leaves the sweep at a monitor's start.</summary>
    public void ReadGroupCursor(BinaryReader? reader)
    {
        _afterKey = reader is not null && reader.ReadBoolean() ? reader.ReadString() : null;
        Invariant.Check(_afterKey is null || _sweeping, "only a sweep under way stands inside a monitor");
    }

    /// <summary>Format 19: where the refresh stands inside the first queued monitor (with the other parts of format 19, at the end of the snapshot).</summary>
    public void WriteNamedCursor(BinaryWriter writer)
    {
        writer.Write(_namedAfterKey is not null);
        if (_namedAfterKey is not null)
        {
            writer.Write(_namedAfterKey);
        }
    }

    /// <summary>Reads what <see cref="WriteNamedCursor"/> wrote; null (a snapshot before format 19) leaves the first queued monitor at its start.</summary>
    public void ReadNamedCursor(BinaryReader? reader)
    {
        _namedAfterKey = reader is not null && reader.ReadBoolean() ? reader.ReadString() : null;
        Invariant.Check(_namedAfterKey is null || _named.Count > 0, "only a queued monitor is refreshed part way");
    }

    public void WriteTo(BinaryWriter writer)
    {
        Invariant.Check(_scoped.Count == 0 && _scopedBudget == MaxGroupsPerStep, "groups reached through the tag index are refreshed in the entry that reached them");
        writer.Write(_named.Count);
        foreach (var id in _named)
        {
            writer.Write(id);
        }

        writer.Write(_sweeping);
        writer.Write(_wrapped);
        writer.Write(_cursor);
        writer.Write(_stop);
    }

    /// <summary>Reads the state <see cref="WriteTo"/> wrote; null (a snapshot before format 10) leaves nothing pending.</summary>
    public void ReadFrom(BinaryReader? reader)
    {
        Invariant.Check(IsIdle, "a mute refresher is restored before it is used");
        if (reader is null)
        {
            return;
        }

        var named = reader.ReadInt32();
        for (var i = 0; i < named; i++)
        {
            Enqueue(reader.ReadString());
        }

        _sweeping = reader.ReadBoolean();
        _wrapped = reader.ReadBoolean();
        _cursor = reader.ReadInt32();
        _stop = reader.ReadInt32();
        Invariant.Check(_cursor >= 0 && _stop >= 0, "a sweep cursor is a slot number");
    }

    /// <summary>An idle refresher has one state (slot 0, not wrapped), so equal histories write equal snapshots.</summary>
    private void FinishSweep()
    {
        _sweeping = false;
        _wrapped = false;
        _cursor = 0;
        _stop = 0;
        _afterKey = null;
    }

    /// <summary>
    /// Collects the groups a scoped downtime selects when its shortest scope tag lists no more
    /// groups than the entry's budget has left; false when it lists more (a sweep covers it then).
    /// </summary>
    private bool TryReach(Downtime? scoped)
    {
        if (scoped is null)
        {
            return true;
        }

        var before = _scoped.Count;
        if (!_groupTags.TryCollect(scoped, _scopedBudget, _scoped))
        {
            return false;
        }

        _scopedBudget -= _scoped.Count - before;
        Invariant.Check(_scopedBudget >= 0, "scoped downtimes reach no more groups in an entry than its budget");
        return true;
    }

    /// <summary>Refreshes the groups reached through the tag index, each once, by slot then group key; returns how many.</summary>
    private int RefreshScoped(long logIndex)
    {
        _scopedBudget = MaxGroupsPerStep;
        if (_scoped.Count == 0)
        {
            return 0;
        }

        // The postings are hash sets: this order, not theirs, is the one every replica uses.
        _scoped.Sort(static (a, b) => a.Slot != b.Slot ? a.Slot.CompareTo(b.Slot) : string.CompareOrdinal(a.Group.Key, b.Group.Key));
        var refreshed = 0;
        for (var i = 0; i < _scoped.Count; i++)
        {
            var (slot, group) = _scoped[i];
            if (i > 0 && ReferenceEquals(group, _scoped[i - 1].Group))
            {
                continue;
            }

            if (_monitors.Slots[slot] is not { } monitor)
            {
                // A deleted monitor whose groups are still being freed: its groups' last word comes from the drain.
                continue;
            }

            if (!monitor.Groups.TryGetValue(group.Key, out var live) || !ReferenceEquals(live, group))
            {
                // An old group a regrouping edit has yet to let go of: it carries its state to a new group, whose evaluations read the mute.
                Invariant.Check(_matcher.IsRegrouping(slot), "a group the tag index lists is a live group of the monitor in its slot, or an old group of its regroup");
                continue;
            }

            _evaluator.UpdateMute(monitor, group, logIndex);
            refreshed++;
        }

        _scoped.Clear();
        return refreshed;
    }

    private void Enqueue(string? monitorId)
    {
        if (monitorId is null)
        {
            return;
        }

        if (_queued.Add(monitorId))
        {
            _named.Enqueue(monitorId);
        }
        else if (_namedAfterKey is not null && string.Equals(_named.Peek(), monitorId, StringComparison.Ordinal))
        {
            // Being refreshed part way: the groups already refreshed must see this change too.
            _namedAfterKey = null;
        }
    }

    /// <summary>
    /// Refreshes the monitor's groups after <paramref name="afterKey"/> while budget is left; true when
    /// it reached the last one. Finding where it stopped walks the keys before it (a sorted
    /// dictionary cannot seek), at most <see cref="IngestLimits.MaxGroupsPerMonitor"/> compares.
    /// </summary>
    private bool RefreshFrom(CompiledMonitor monitor, ref string? afterKey, ref int budget, long logIndex)
    {
        foreach (var (key, group) in monitor.Groups)
        {
            if (afterKey is not null && string.CompareOrdinal(key, afterKey) <= 0)
            {
                continue;
            }

            if (budget <= 0)
            {
                return false;
            }

            _evaluator.UpdateMute(monitor, group, logIndex);
            afterKey = key;
            budget--;
        }

        return true;
    }
}
