using System.Collections.Immutable;
using Alerting.Engine.Monitors;
using Alerting.Engine.State;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Datadog's <c>notify_by</c> (notification grouping) for one monitor: its groups notify per
/// <em>notify key</em>, the group's values of the <c>notify_by</c> tags (<c>cluster:a</c>; <c>*</c> for
/// <c>["*"]</c>, one key for the whole monitor). Per key, the number of its groups in ALERT, WARN and
/// NO DATA; the key's state is the worst of them (ALERT, then WARN, then NO DATA, else OK), and a key
/// notifies only when that state changes (or renotifies, see <see cref="Apply"/>).
/// </summary>
/// <remarks>
/// Each group transition costs O(1): a dictionary lookup, two count updates, one comparison. Only keys
/// with a group that is not OK are kept (an OK group counts nowhere; a group forms OK), so the table
/// never holds more keys than the monitor has groups; a key that goes back to OK leaves it, and the
/// next key to form numbers its events above every number a left key reached (<see cref="Floor"/>), as
/// group retention does for groups, so an id is never repeated (DESIGN invariant 6). The dictionary is
/// only looked up; snapshots and rebuilds go in ordinal key order. State (snapshot format 18).
/// </remarks>
internal sealed class NotifyKeyTable
{
    /// <summary>The key of <c>notify_by: ["*"]</c>: every group notifies as one.</summary>
    public const string WholeMonitorKey = "*";

    private readonly Dictionary<string, NotifyKey> _keys = new(StringComparer.Ordinal);

    /// <param name="positions">The positions in the monitor's group-by of the <c>notify_by</c> tags, ascending; empty for <c>["*"]</c>.</param>
    public NotifyKeyTable(ImmutableArray<int> positions)
        : this(positions, [])
    {
    }

    private NotifyKeyTable(ImmutableArray<int> positions, ImmutableArray<string> names)
    {
        Positions = positions;
        Names = names;
    }

    /// <summary>
    /// A composite's table: its groups are its driver member's (see <see cref="CompositeEvaluator"/>), so the key is
    /// found by tag name, not by position in a group-by of its own; <paramref name="names"/> in ordinal order, so a
    /// member edit that reorders the driver's group-by keeps the keys' names.
    /// </summary>
    public static NotifyKeyTable ByTagNames(ImmutableArray<string> names)
    {
        Invariant.Check(!names.IsEmpty && names.SequenceEqual(names.Order(StringComparer.Ordinal)), "a composite's notify_by tag names are given in ordinal order");
        return new NotifyKeyTable([], names);
    }

    /// <summary>Positions in the group's tags (group-by order) that make up the key, ascending; empty: the whole monitor (or a table by tag names).</summary>
    public ImmutableArray<int> Positions { get; }

    /// <summary>A composite's <c>notify_by</c> tag names, ordinal order: the key is the group's tags of these names, in this order; empty otherwise.</summary>
    public ImmutableArray<string> Names { get; }

    /// <summary>The highest event number a key reached before it left the table; new keys number from above it.</summary>
    public ulong Floor { get; private set; }

    /// <summary>Keys with a group that is not OK.</summary>
    public int Count => _keys.Count;

    /// <summary>Whether two tables group notifications the same way.</summary>
    public bool SameGrouping(NotifyKeyTable? other) => other is not null && Positions.SequenceEqual(other.Positions) && Names.SequenceEqual(other.Names, StringComparer.Ordinal);

    /// <summary>
    /// The notify key of a group with these tags (group-by order): its tags at <see cref="Positions"/> (or of
    /// <see cref="Names"/>), joined by <c>,</c>. Null only for a composite group that lacks one of the names: one
    /// formed over a member's groups before a regroup that the composite still holds (see <c>CompositeEvaluator.ReadStates</c>)
    /// counts in no key, and its events notify no one, until it is dropped.
    /// </summary>
    public string? KeyOf(string[] groupTags)
    {
        if (!Names.IsEmpty)
        {
            return NamedTags(groupTags) is { } named ? (named.Length == 1 ? named[0] : string.Join(',', named)) : null;
        }

        var positions = Positions;
        if (positions.IsEmpty)
        {
            return WholeMonitorKey;
        }

        if (positions.Length == 1)
        {
            return groupTags[positions[0]];
        }

        var parts = new string[positions.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = groupTags[positions[i]];
        }

        return string.Join(',', parts);
    }

    /// <summary>The key's tags: the group's tags at <see cref="Positions"/> (none for the whole monitor), what a key's message renders.</summary>
    public string[] TagsOf(string[] groupTags)
    {
        if (!Names.IsEmpty)
        {
            var named = NamedTags(groupTags);
            Invariant.Check(named is not null, "a key's tags are asked for a group counted under a key");
            return named!;
        }

        var tags = new string[Positions.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = groupTags[Positions[i]];
        }

        return tags;
    }

    /// <summary>The group's tags of <see cref="Names"/>, in that order (a composite's key); null when one is missing.</summary>
    private string[]? NamedTags(string[] groupTags)
    {
        var named = new string[Names.Length];
        for (var n = 0; n < named.Length; n++)
        {
            var name = Names[n];
            foreach (var tag in groupTags)
            {
                if (tag.Length > name.Length && tag[name.Length] == ':' && tag.StartsWith(name, StringComparison.Ordinal))
                {
                    named[n] = tag;
                    break;
                }
            }

            if (named[n] is null)
            {
                return null;
            }
        }

        return named;
    }

    /// <summary>The key's state now (OK when no group of it is counted).</summary>
    public AlertState StateOf(string key) => _keys.TryGetValue(key, out var k) ? k.State : AlertState.Ok;

    /// <summary>The counted groups of a key in ALERT, WARN and NO DATA (zeros when none).</summary>
    public (int Alert, int Warn, int NoData) CountsOf(string key) =>
        _keys.TryGetValue(key, out var k) ? (k.Alert, k.Warn, k.NoData) : (0, 0, 0);

    /// <summary>A group joins the monitor with its state (a carried or restored group may not be OK): counted, silently.</summary>
    public void Enter(MonitorGroup group)
    {
        if (group.State.State != AlertState.Ok && KeyOf(group.Tags) is { } name)
        {
            var key = Find(name);
            key.Add(group.State.State, +1);
            key.State = key.Worst;
        }
    }

    /// <summary>A group leaves without a transition (group retention): no longer counted, silently.</summary>
    public void Leave(MonitorGroup group)
    {
        if (group.State.State != AlertState.Ok && KeyOf(group.Tags) is { } name)
        {
            Invariant.Check(_keys.TryGetValue(name, out var key), "a group that is not OK is counted under its notify key");
            key!.Add(group.State.State, -1);
            key.State = key.Worst;
            ForgetIfOk(name, key);
        }
    }

    /// <summary>
    /// One event of a group of the monitor (already applied to the group): what its key notifies, if anything.
    /// A state change moves the group's count and notifies when the key's worst state changes. An event that
    /// does not change the group's state (a renotification, a downtime's end re-notifying a group still
    /// alerting) re-notifies the key when the group is in the key's state, at most once per entry, and for a
    /// renotification only when the monitor's renotify interval has passed since the key last notified.
    /// </summary>
    /// <returns>The key, its state before and after, and its event number; null when the key does not notify.</returns>
    public KeyEvent? Apply(string[] groupTags, in TransitionEvent e, long renotifyIntervalMs)
    {
        if (KeyOf(groupTags) is not { } name)
        {
            return null;
        }

        if (e.ChangesState)
        {
            var key = Find(name);
            var before = key.State;
            if (e.Previous != AlertState.Ok)
            {
                key.Add(e.Previous, -1);
            }

            if (e.Next != AlertState.Ok)
            {
                key.Add(e.Next, +1);
            }

            key.State = key.Worst;
            var after = key.State;
            KeyEvent? change = null;
            if (after != before)
            {
                key.TransitionCount = Math.Max(key.TransitionCount, Floor) + 1;
                key.LastEventIndex = e.LogIndex;
                if (e.Notify)
                {
                    key.LastNotifyMs = e.TimeMs;
                }

                change = new KeyEvent(name, before, after, key.TransitionCount, Renotification: false);
            }

            ForgetIfOk(name, key);
            return change;
        }

        if (!e.Notify || !_keys.TryGetValue(name, out var same) || same.State != e.Next || same.LastEventIndex == e.LogIndex)
        {
            return null;
        }

        if (e.IsRenotification && e.TimeMs - same.LastNotifyMs < renotifyIntervalMs)
        {
            return null;
        }

        same.TransitionCount++;
        same.LastEventIndex = e.LogIndex;
        same.LastNotifyMs = e.TimeMs;
        return new KeyEvent(name, same.State, same.State, same.TransitionCount, e.IsRenotification);
    }

    /// <summary>Counts every group of <paramref name="groups"/> (a rebuild: after a snapshot of a format before 18, or a <c>notify_by</c> edit).</summary>
    public void Rebuild(IEnumerable<MonitorGroup> groups)
    {
        foreach (var group in groups)
        {
            Enter(group);
        }
    }

    /// <summary>The highest event number any key of this table reached (the floor included).</summary>
    public ulong MaxNumber
    {
        get
        {
            var max = Floor;
            foreach (var key in _keys.Values)
            {
                max = Math.Max(max, key.TransitionCount);
            }

            return max;
        }
    }

    /// <summary>New keys number above <paramref name="floor"/> (an edit re-formed the keys: see <c>MonitorEngine.Replace</c>).</summary>
    public void RaiseFloor(ulong floor) => Floor = Math.Max(Floor, floor);

    /// <summary>Checks the counts against a recount of the groups (O(groups): a restore does it once).</summary>
    public void CheckAgainst(IEnumerable<MonitorGroup> groups)
    {
        var recount = new NotifyKeyTable(Positions, Names);
        recount.Rebuild(groups);
        Invariant.Check(recount._keys.Count == _keys.Count, "a snapshot's notify keys are the keys of its groups that are not OK");
        foreach (var (name, key) in recount._keys)
        {
            Invariant.Check(
                _keys.TryGetValue(name, out var mine) && mine.Alert == key.Alert && mine.Warn == key.Warn && mine.NoData == key.NoData && mine.State == key.State,
                "a snapshot's notify key counts are the counts of its groups' states");
        }
    }

    /// <summary>Writes the floor and every key (ordinal order) with its counts, state, event number, last notification and last entry.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(Floor);
        var names = _keys.Keys.ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        writer.Write(names.Length);
        foreach (var name in names)
        {
            var key = _keys[name];
            writer.Write(name);
            writer.Write(key.Alert);
            writer.Write(key.Warn);
            writer.Write(key.NoData);
            writer.Write((byte)key.State);
            writer.Write(key.TransitionCount);
            writer.Write(key.LastNotifyMs);
            writer.Write(key.LastEventIndex);
        }
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote into this (empty) table.</summary>
    public void ReadFrom(BinaryReader reader)
    {
        Invariant.Check(_keys.Count == 0, "notify keys are read into an empty table");
        Floor = reader.ReadUInt64();
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var key = new NotifyKey
            {
                Alert = reader.ReadInt32(),
                Warn = reader.ReadInt32(),
                NoData = reader.ReadInt32(),
                State = (AlertState)reader.ReadByte(),
                TransitionCount = reader.ReadUInt64(),
                LastNotifyMs = reader.ReadInt64(),
                LastEventIndex = reader.ReadInt64(),
            };
            Invariant.Check(key.State == key.Worst && key.State != AlertState.Ok, "a snapshot's notify key is not OK and its state is the worst of its counts");
            _keys.Add(name, key);
        }
    }

    private NotifyKey Find(string name)
    {
        if (!_keys.TryGetValue(name, out var key))
        {
            _keys.Add(name, key = new NotifyKey { TransitionCount = Floor });
        }

        return key;
    }

    private void ForgetIfOk(string name, NotifyKey key)
    {
        if (key.State == AlertState.Ok)
        {
            Floor = Math.Max(Floor, key.TransitionCount);
            _keys.Remove(name);
        }
    }

    /// <summary>A key's notification: its state before and after, and its event number.</summary>
    public readonly record struct KeyEvent(string Key, AlertState Previous, AlertState Next, ulong TransitionNumber, bool Renotification);

    private sealed class NotifyKey
    {
        public int Alert;
        public int Warn;
        public int NoData;
        public AlertState State;
        public ulong TransitionCount;
        public long LastNotifyMs = long.MinValue;
        public long LastEventIndex;

        public AlertState Worst => Alert > 0 ? AlertState.Alert : Warn > 0 ? AlertState.Warn : NoData > 0 ? AlertState.NoData : AlertState.Ok;

        public void Add(AlertState state, int delta)
        {
            switch (state)
            {
                case AlertState.Alert:
                    Alert += delta;
                    Invariant.Check(Alert >= 0, "a notify key never counts fewer than zero groups in ALERT");
                    break;
                case AlertState.Warn:
                    Warn += delta;
                    Invariant.Check(Warn >= 0, "a notify key never counts fewer than zero groups in WARN");
                    break;
                case AlertState.NoData:
                    NoData += delta;
                    Invariant.Check(NoData >= 0, "a notify key never counts fewer than zero groups in NO DATA");
                    break;
                default:
                    throw new InvariantViolationException($"a notify key counts only states that are not OK, not {state}");
            }
        }
    }
}
