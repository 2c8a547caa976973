using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Alerting.Engine.Monitors;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Which monitors exist: each in a slot (the lowest free one when it is created, so slots are a
/// pure function of the log), found by id and by name, and the ids of deleted monitors, which
/// are never given out again so a transition id (monitor id, group key, number) never names
/// two different events.
/// </summary>
internal sealed class MonitorRegistry
{
    /// <summary>
    /// Most retired ids remembered. Past it, monitors can only be created with server-assigned
    /// ids (log indexes, unique by construction): an explicit new id is refused.
    /// </summary>
    public const int MaxRetiredIds = 1_000_000;

    private readonly List<CompiledMonitor?> _slots = [];
    private readonly SortedSet<int> _freeSlots = [];
    private readonly Dictionary<string, int> _slotById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SmallIntList> _slotsByName = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _retiredIds = new(StringComparer.Ordinal);

    // Deleted monitors whose groups are still being freed (see MonitorDrain), by slot: their slot
    // is neither live nor free, so no new monitor takes it while series still name it in their feeds.
    private readonly Dictionary<int, CompiledMonitor> _draining = [];

    /// <summary>Live monitors.</summary>
    public int Count => _slotById.Count;

    /// <summary>Every slot in order, null where free: the order evaluations and snapshots use.</summary>
    public IReadOnlyList<CompiledMonitor?> Slots => _slots;

    /// <summary>Retired ids, ordinal.</summary>
    public IReadOnlyCollection<string> RetiredIds => _retiredIds;

    /// <summary>The monitor in a live slot.</summary>
    public CompiledMonitor this[int slot] => _slots[slot]!;

    /// <summary>Deleted monitors whose groups are still being freed.</summary>
    public int DrainingCount => _draining.Count;

    /// <summary>The monitor that holds the slot: the live one, or the deleted one whose groups are still being freed.</summary>
    public CompiledMonitor Holder(int slot) => _slots[slot] ?? _draining[slot];

    public bool TryGet(string id, [MaybeNullWhen(false)] out CompiledMonitor monitor)
    {
        if (_slotById.TryGetValue(id, out var slot))
        {
            monitor = _slots[slot]!;
            return true;
        }

        monitor = null;
        return false;
    }

    public bool Contains(string id) => _slotById.ContainsKey(id);

    public bool IsRetired(string id) => _retiredIds.Contains(id);

    /// <summary>The id of the monitor of that name in the lowest slot, or null.</summary>
    public string? IdOfName(string name) =>
        _slotsByName.TryGetValue(name, out var named) && named.Count > 0 ? _slots[named[0]]!.Id : null;

    /// <summary>An id for a new monitor: the log index, made unique against explicit ids that took that text.</summary>
    public string FreshId(long logIndex)
    {
        var id = logIndex.ToString(CultureInfo.InvariantCulture);
        for (var n = 1; _slotById.ContainsKey(id) || _retiredIds.Contains(id); n++)
        {
            id = string.Create(CultureInfo.InvariantCulture, $"{logIndex}-{n}");
        }

        return id;
    }

    /// <summary>Registers a new monitor in the lowest free slot.</summary>
    public void Register(CompiledMonitor monitor)
    {
        int slot;
        if (_freeSlots.Count > 0)
        {
            slot = _freeSlots.Min;
            _freeSlots.Remove(slot);
        }
        else
        {
            slot = _slots.Count;
            _slots.Add(null);
        }

        Place(monitor, slot);
    }

    /// <summary>Registers a monitor in the next slot, as a snapshot lists them (null: a free slot).</summary>
    public void Append(CompiledMonitor? monitor)
    {
        var slot = _slots.Count;
        _slots.Add(null);
        if (monitor is null)
        {
            _freeSlots.Add(slot);
            return;
        }

        Place(monitor, slot);
    }

    /// <summary>Puts <paramref name="updated"/> in the slot of <paramref name="old"/> (same id).</summary>
    public void Replace(CompiledMonitor old, CompiledMonitor updated)
    {
        var slot = old.Slot;
        Invariant.Check(ReferenceEquals(_slots[slot], old) && string.Equals(old.Id, updated.Id, StringComparison.Ordinal), "an edit replaces the monitor of its own id in its own slot");
        updated.Slot = slot;
        _slots[slot] = updated;
        if (!string.Equals(old.Name, updated.Name, StringComparison.Ordinal))
        {
            RemoveName(old.Name, slot);
            AddName(updated.Name, slot);
        }
    }

    /// <summary>Frees the monitor's slot and retires its id (while fewer than <see cref="MaxRetiredIds"/> are).</summary>
    public void Remove(CompiledMonitor monitor)
    {
        Unlist(monitor);
        _freeSlots.Add(monitor.Slot);
        CheckSlots();
    }

    /// <summary>
    /// Takes the monitor out of every read (by slot, id and name) and retires its id, but keeps its
    /// slot until <see cref="FreeDrained"/>: its groups are freed in steps (see <c>MonitorDrain</c>).
    /// </summary>
    public void Detach(CompiledMonitor monitor)
    {
        Unlist(monitor);
        _draining.Add(monitor.Slot, monitor);
        CheckSlots();
    }

    /// <summary>
    /// A monitor deleted while it was letting go of the groups it had before a regrouping edit (it
    /// formed none since): the monitor as it was before that edit holds the slot in its place, and
    /// its groups are the ones freed.
    /// </summary>
    public void HandOverDraining(CompiledMonitor deleted, CompiledMonitor beforeEdit)
    {
        var slot = deleted.Slot;
        Invariant.Check(
            deleted.Groups.Count == 0 && beforeEdit.Slot == slot && _draining.TryGetValue(slot, out var held) && ReferenceEquals(held, deleted),
            "a deleted monitor hands its slot to its pre-edit self only when it has no group of its own");
        _draining[slot] = beforeEdit;
    }

    /// <summary>A deleted monitor's groups are all freed: its slot is free for a new monitor.</summary>
    public void FreeDrained(CompiledMonitor monitor)
    {
        Invariant.Check(monitor.Groups.Count == 0 && _draining.Remove(monitor.Slot, out var held) && ReferenceEquals(held, monitor), "a drained monitor held its slot and has no group left");
        _freeSlots.Add(monitor.Slot);
        CheckSlots();
    }

    /// <summary>Restores a deleted monitor still being drained from a snapshot, in the free slot the snapshot listed for it.</summary>
    public void RestoreDraining(int slot, CompiledMonitor monitor)
    {
        Invariant.Check(_slots[slot] is null && _freeSlots.Remove(slot), "a draining monitor's slot is read back as neither live nor free");
        monitor.Slot = slot;
        _draining.Add(slot, monitor);
        CheckSlots();
    }

    private void Unlist(CompiledMonitor monitor)
    {
        var slot = monitor.Slot;
        Invariant.Check(ReferenceEquals(_slots[slot], monitor) && _slotById[monitor.Id] == slot, "a deleted monitor is the one its id and slot name");
        _slots[slot] = null;
        _slotById.Remove(monitor.Id);
        if (_retiredIds.Count < MaxRetiredIds)
        {
            _retiredIds.Add(monitor.Id);
        }

        RemoveName(monitor.Name, slot);
    }

    private void CheckSlots() =>
        Invariant.Check(_slotById.Count + _freeSlots.Count + _draining.Count == _slots.Count, "every slot is live (and found by its id), draining, or free");

    /// <summary>Restores a retired id from a snapshot.</summary>
    public void Retire(string id)
    {
        Invariant.Check(!_slotById.ContainsKey(id), "a retired id belongs to no live monitor");
        _retiredIds.Add(id);
    }

    private void Place(CompiledMonitor monitor, int slot)
    {
        Invariant.Check(_slots[slot] is null && !_retiredIds.Contains(monitor.Id), "a monitor takes a free slot, and never a retired id");
        _slots[slot] = monitor;
        monitor.Slot = slot;
        _slotById.Add(monitor.Id, slot);
        AddName(monitor.Name, slot);
        CheckSlots();
    }

    private void AddName(string name, int slot)
    {
        if (!_slotsByName.TryGetValue(name, out var slots))
        {
            // A lone slot inline: names are mostly unique.
            _slotsByName.Add(name, slots = []);
        }

        slots.Insert(~slots.BinarySearch(slot), slot);
    }

    /// <summary>Removes a slot from the name's list, and the list once empty, so churn leaves nothing behind.</summary>
    private void RemoveName(string name, int slot)
    {
        var slots = _slotsByName[name];
        var at = slots.BinarySearch(slot);
        Invariant.Check(at >= 0, "a named monitor's slot is in its name's list");
        slots.RemoveAt(at);
        if (slots.Count == 0)
        {
            _slotsByName.Remove(name);
        }
    }
}
