using System.Collections.Immutable;
using Alerting.Engine.Monitors;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// The groups of a composite's driver (its most finely grouped member) under each group of a
/// member grouped more coarsely: driver slot → the coarser member's tag names → its group key (the
/// driver group's tags of those names, as the series matcher joins them; <c>*</c> for a member
/// without group-by) → the driver's group keys, in ordinal order. A coarser member's change then
/// evaluates exactly the composite groups over it, found by lookup (Datadog: a member by
/// <c>{host}</c> goes with one by <c>{device,host}</c>), and a step that stops inside them
/// resumes after the last key done.
/// </summary>
/// <remarks>
/// Derived, not in snapshots: a projection is built on its first lookup (one pass over the driver's
/// groups, at most <see cref="IngestLimits.MaxGroupsPerMonitor"/>), then kept current by
/// <see cref="GroupTagIndex"/>, which every group of a grouped monitor joins and leaves. The sets
/// are sorted, so what is read from them is in the same order on every replica.
/// </remarks>
internal sealed class CompositeProjections
{
    private readonly Dictionary<int, List<Projection>> _bySlot = [];

    /// <summary>Projections built (for tests).</summary>
    internal int Count => _bySlot.Values.Sum(p => p.Count);

    /// <summary>
    /// The key the group with <paramref name="tags"/> has in a monitor grouped by <paramref name="names"/>
    /// (its tags of those names, in that order; <c>*</c> for no group-by), or null when a name has no tag.
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

    /// <summary>The keys of the driver's groups whose tags of <paramref name="names"/> make <paramref name="key"/>, or null when none.</summary>
    public SortedSet<string>? Over(CompiledMonitor driver, ImmutableArray<string> names, string key)
    {
        Invariant.Check(driver.Slot >= 0 && !driver.GroupBy.IsEmpty, "a composite's driver is a registered grouped monitor");
        if (!_bySlot.TryGetValue(driver.Slot, out var projections))
        {
            _bySlot.Add(driver.Slot, projections = []);
        }

        var projection = projections.Find(p => p.Names.SequenceEqual(names, StringComparer.Ordinal));
        if (projection is null)
        {
            projection = new Projection(names);
            foreach (var group in driver.Groups.Values)
            {
                projection.File(group);
            }

            projections.Add(projection);
        }

        return projection.Keys.TryGetValue(key, out var over) ? over : null;
    }

    /// <summary>
    /// The monitor in <paramref name="slot"/> regroups or leaves: its projections go, and the next lookup builds them
    /// from its groups then, as a replica restored from a snapshot does (old groups still being let go of are in no
    /// projection on either).
    /// </summary>
    public void Forget(int slot) => _bySlot.Remove(slot);

    /// <summary>A group of the monitor in <paramref name="slot"/> was filed: it joins the slot's projections.</summary>
    public void Added(int slot, MonitorGroup group)
    {
        if (_bySlot.TryGetValue(slot, out var projections))
        {
            foreach (var projection in projections)
            {
                projection.File(group);
            }
        }
    }

    /// <summary>A group of the monitor in <paramref name="slot"/> left: it leaves the slot's projections.</summary>
    public void Removed(int slot, MonitorGroup group)
    {
        if (_bySlot.TryGetValue(slot, out var projections))
        {
            foreach (var projection in projections)
            {
                projection.Unfile(group);
            }
        }
    }

    private sealed class Projection(ImmutableArray<string> names)
    {
        public ImmutableArray<string> Names { get; } = names;

        public Dictionary<string, SortedSet<string>> Keys { get; } = new(StringComparer.Ordinal);

        public void File(MonitorGroup group)
        {
            if (Project(group.Tags, Names) is not { } projected)
            {
                return;
            }

            if (!Keys.TryGetValue(projected, out var over))
            {
                Keys.Add(projected, over = new SortedSet<string>(StringComparer.Ordinal));
            }

            over.Add(group.Key);
        }

        public void Unfile(MonitorGroup group)
        {
            if (Project(group.Tags, Names) is { } projected && Keys.TryGetValue(projected, out var over) && over.Remove(group.Key) && over.Count == 0)
            {
                Keys.Remove(projected);
            }
        }
    }
}
