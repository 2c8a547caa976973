using Alerting.Engine.Monitors;
using Alerting.Protocol.Log;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Every monitor group with tags, filed under each of its <c>key:value</c> tags (issue 7): a
/// downtime that names no monitor but has a scope reaches the groups that carry its scope from the
/// shortest postings of its scope tags, instead of a walk over every monitor. A group carries every
/// tag of a scope that selects it, so any one scope tag finds all of them; the others are checked.
/// </summary>
/// <remarks>
/// Owned by the state machine thread. The postings are hash sets (a group joins and leaves in O(1)
/// per tag); what is read from them is sorted by monitor slot then group key before anything is
/// done with it, so their hash order decides nothing. Not in snapshots: a restore files each group
/// read back (see <c>MonitorEngine.ReadFrom</c>).
/// </remarks>
internal sealed class GroupTagIndex
{
    private readonly Dictionary<string, Dictionary<MonitorGroup, int>> _byTag = new(StringComparer.Ordinal);

    /// <summary>The composite projections of driver monitors' groups, told of every group that joins or leaves.</summary>
    public CompositeProjections? Projections { get; set; }

    /// <summary>Postings held: one per group and distinct tag of it.</summary>
    public int Count { get; private set; }

    /// <summary>Files a group of the monitor in <paramref name="slot"/> under each of its tags (nothing for a group without tags).</summary>
    public void Add(int slot, MonitorGroup group)
    {
        var tags = group.Tags;
        if (tags.Length > 0)
        {
            Projections?.Added(slot, group);
        }

        for (var i = 0; i < tags.Length; i++)
        {
            if (!_byTag.TryGetValue(tags[i], out var postings))
            {
                _byTag.Add(tags[i], postings = []);
            }

            if (postings.TryAdd(group, slot))
            {
                Count++;
            }
            else
            {
                Invariant.Check(postings[group] == slot && Array.IndexOf(tags, tags[i]) < i, "a group is filed once, under its own slot (a tag it repeats is filed at its first place)");
            }
        }
    }

    /// <summary>Takes a group out of the postings of its tags (it must have been filed).</summary>
    public void Remove(MonitorGroup group)
    {
        var tags = group.Tags;
        if (tags.Length > 0 && Projections is not null && _byTag.TryGetValue(tags[0], out var first) && first.TryGetValue(group, out var slot))
        {
            Projections.Removed(slot, group);
        }

        for (var i = 0; i < tags.Length; i++)
        {
            var filed = _byTag.TryGetValue(tags[i], out var postings) && postings.Remove(group);
            Invariant.Check(filed || Array.IndexOf(tags, tags[i]) < i, "a group leaving the tag index was filed under each of its tags");
            if (!filed)
            {
                continue;
            }

            Count--;
            if (postings!.Count == 0)
            {
                _byTag.Remove(tags[i]);
            }
        }
    }

    /// <summary>
    /// Adds to <paramref name="into"/> the groups the scope of <paramref name="downtime"/> (and its
    /// group key, when it names one) selects, read from the shortest postings of its scope tags —
    /// unless that list is longer than <paramref name="limit"/>: then nothing is added and the
    /// result is false. The monitor the downtime may name is not checked (see <c>DowntimeReach</c>).
    /// </summary>
    public bool TryCollect(Downtime downtime, int limit, List<(int Slot, MonitorGroup Group)> into)
    {
        Invariant.Check(downtime.Scope.Count > 0, "only a downtime with a scope is looked up by tag");
        Dictionary<MonitorGroup, int>? shortest = null;
        foreach (var tag in downtime.Scope)
        {
            if (!_byTag.TryGetValue(tag, out var postings))
            {
                // No group carries this tag: the scope selects none.
                return true;
            }

            if (shortest is null || postings.Count < shortest.Count)
            {
                shortest = postings;
            }
        }

        if (shortest!.Count > limit)
        {
            return false;
        }

        foreach (var (group, slot) in shortest)
        {
            if (Selects(downtime, group))
            {
                into.Add((slot, group));
            }
        }

        return true;
    }

    /// <summary>The groups filed under <paramref name="tag"/>, with their monitor slots (for tests: what the postings hold).</summary>
    internal IEnumerable<(int Slot, MonitorGroup Group)> Postings(string tag) =>
        _byTag.TryGetValue(tag, out var postings) ? postings.Select(p => (p.Value, p.Key)) : [];

    /// <summary>Whether the group carries every scope tag of the downtime (and has its group key, when it names one).</summary>
    private static bool Selects(Downtime downtime, MonitorGroup group)
    {
        if (downtime.Group.Length > 0 && !string.Equals(downtime.Group, group.Key, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var tag in downtime.Scope)
        {
            if (Array.IndexOf(group.Tags, tag) < 0)
            {
                return false;
            }
        }

        return true;
    }
}
