using System.Collections.Immutable;
using Alerting.Engine.Monitors;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// For each composite whose members are grouped differently (Datadog: a member grouped by
/// <c>{host}</c> goes with one grouped by <c>{device,host}</c>), which of its groups each coarser
/// member's group reaches: member index → the member's group key (the composite group's tags
/// projected onto the member's group-by, <c>*</c> for a member without one) → the composite group
/// keys, in ordinal order. A coarser member's change then evaluates exactly the composite groups
/// over it, found by lookup, and a step that stops inside them resumes after the last key done.
/// </summary>
/// <remarks>
/// Derived from the composite's groups and its members' group-bys: not in snapshots, built on first
/// use (one pass over the composite's groups, at most <see cref="IngestLimits.MaxGroupsPerMonitor"/>)
/// and again when the composite or a member's group-by changed since. The sets are sorted, so what
/// is read from them is in the same order on every replica.
/// </remarks>
internal sealed class CompositeProjections
{
    private readonly Dictionary<string, Entry> _byComposite = new(StringComparer.Ordinal);

    /// <summary>Composites with a built index (for tests).</summary>
    internal int Count => _byComposite.Count;

    /// <summary>
    /// The key the group with <paramref name="tags"/> has in a monitor grouped by <paramref name="names"/>
    /// (its tags of those names, in that order, as the series matcher joins them; <c>*</c> for no
    /// group-by), or null when a name has no tag.
    /// </summary>
    public static string? Project(string[] tags, ImmutableArray<string> names)
    {
        if (names.IsDefaultOrEmpty)
        {
            return SeriesMatcher.NoGroupKey;
        }

        var picked = new string[names.Length];
        for (var n = 0; n < names.Length; n++)
        {
            var name = names[n];
            foreach (var tag in tags)
            {
                if (tag.Length > name.Length && tag[name.Length] == ':' && tag.StartsWith(name, StringComparison.Ordinal))
                {
                    picked[n] = tag;
                    break;
                }
            }

            if (picked[n] is null)
            {
                return null;
            }
        }

        return string.Join(',', picked);
    }

    /// <summary>
    /// The keys of the composite's groups over group <paramref name="memberKey"/> of its member at
    /// <paramref name="member"/> (a member grouped more coarsely than the composite), or null when none.
    /// </summary>
    public SortedSet<string>? Over(CompiledMonitor composite, ImmutableArray<string>[] groupBys, int member, string memberKey)
    {
        var entry = Current(composite, groupBys);
        return entry.ByMember[member] is { } keys && keys.TryGetValue(memberKey, out var over) ? over : null;
    }

    /// <summary>A composite group was created: filed if the composite's index is built and current.</summary>
    public void Added(CompiledMonitor composite, ImmutableArray<string>[] groupBys, MonitorGroup group)
    {
        if (_byComposite.TryGetValue(composite.Id, out var entry))
        {
            if (entry.IsFor(composite, groupBys))
            {
                entry.File(group);
            }
            else
            {
                _byComposite.Remove(composite.Id);
            }
        }
    }

    /// <summary>A composite group was dropped: taken out if the composite's index is built and current.</summary>
    public void Removed(CompiledMonitor composite, ImmutableArray<string>[] groupBys, MonitorGroup group)
    {
        if (_byComposite.TryGetValue(composite.Id, out var entry))
        {
            if (entry.IsFor(composite, groupBys))
            {
                entry.Unfile(group);
            }
            else
            {
                _byComposite.Remove(composite.Id);
            }
        }
    }

    /// <summary>The composite is deleted: its index goes.</summary>
    public void Forget(string compositeId) => _byComposite.Remove(compositeId);

    private Entry Current(CompiledMonitor composite, ImmutableArray<string>[] groupBys)
    {
        if (_byComposite.TryGetValue(composite.Id, out var entry) && entry.IsFor(composite, groupBys))
        {
            return entry;
        }

        entry = new Entry(composite, groupBys);
        foreach (var group in composite.Groups.Values)
        {
            entry.File(group);
        }

        _byComposite[composite.Id] = entry;
        return entry;
    }

    private sealed class Entry
    {
        private readonly CompiledMonitor _composite;
        private readonly ImmutableArray<string>[] _groupBys;

        public Entry(CompiledMonitor composite, ImmutableArray<string>[] groupBys)
        {
            _composite = composite;
            _groupBys = groupBys;
            var finest = 0;
            foreach (var groupBy in groupBys)
            {
                finest = Math.Max(finest, groupBy.Length);
            }

            // Only members grouped more coarsely than the composite (or not at all) are indexed:
            // a member grouped like the composite names one composite group by its own key.
            ByMember = new Dictionary<string, SortedSet<string>>?[groupBys.Length];
            for (var i = 0; i < groupBys.Length; i++)
            {
                if (finest > 0 && groupBys[i].Length < finest)
                {
                    ByMember[i] = new(StringComparer.Ordinal);
                }
            }
        }

        public Dictionary<string, SortedSet<string>>?[] ByMember { get; }

        public bool IsFor(CompiledMonitor composite, ImmutableArray<string>[] groupBys)
        {
            if (!ReferenceEquals(_composite, composite) || groupBys.Length != _groupBys.Length)
            {
                return false;
            }

            for (var i = 0; i < groupBys.Length; i++)
            {
                if (!groupBys[i].SequenceEqual(_groupBys[i], StringComparer.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }

        public void File(MonitorGroup group)
        {
            for (var i = 0; i < ByMember.Length; i++)
            {
                if (ByMember[i] is not { } keys || Project(group.Tags, _groupBys[i]) is not { } projected)
                {
                    continue;
                }

                if (!keys.TryGetValue(projected, out var over))
                {
                    keys.Add(projected, over = new SortedSet<string>(StringComparer.Ordinal));
                }

                over.Add(group.Key);
            }
        }

        public void Unfile(MonitorGroup group)
        {
            for (var i = 0; i < ByMember.Length; i++)
            {
                if (ByMember[i] is not { } keys || Project(group.Tags, _groupBys[i]) is not { } projected)
                {
                    continue;
                }

                if (keys.TryGetValue(projected, out var over) && over.Remove(group.Key) && over.Count == 0)
                {
                    keys.Remove(projected);
                }
            }
        }
    }
}
