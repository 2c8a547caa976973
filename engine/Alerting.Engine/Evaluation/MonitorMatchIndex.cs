using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// Which monitors could read a new series: monitor scopes per source (metric or check name),
/// indexed by one <c>tag:value</c> each, so that a new series finds its monitors by looking up
/// its own tags instead of testing every monitor of the metric (issue 7: monitors × series).
/// </summary>
/// <remarks>
/// A scope with tags every match must have (its positive equality filters, and the tags every
/// branch of a boolean OR needs) is filed under the one whose postings list is the shortest when
/// it is added (ties: the first written), so that scopes sharing a common tag
/// (<c>env:prod,host:hN</c>) spread over their selective tags. A scope with no such tag
/// (<c>*</c>, negations, prefixes, wildcards, has-key, an OR of different tags) goes to a
/// per-source unindexed list.
/// Every candidate is verified against its whole scope, and the matches come out in slot
/// order, which is what the engine's determinism rests on. Postings are sorted slot lists:
/// lookup cost is the series' tags plus the candidates, never the monitors of the metric.
/// </remarks>
internal sealed class MonitorMatchIndex
{
    private readonly Dictionary<string, SourceScopes> _bySource = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Indexed> _bySlot = [];

    /// <summary>Monitors indexed.</summary>
    public int Count => _bySlot.Count;

    /// <summary>Files the scope of the monitor in <paramref name="slot"/> under its source.</summary>
    public void Add(string sourceKey, ImmutableArray<TagFilter> scope, int slot)
    {
        Invariant.Check(slot >= 0 && !_bySlot.ContainsKey(slot), "a monitor slot is in the match index at most once");
        if (!_bySource.TryGetValue(sourceKey, out var scopes))
        {
            _bySource.Add(sourceKey, scopes = new SourceScopes(sourceKey));
        }

        var tag = scopes.ChooseKey(scope);
        SmallIntList list;
        if (tag is null)
        {
            list = scopes.Unindexed;
        }
        else if (!scopes.ByTag.TryGetValue(tag, out list!))
        {
            // A lone slot inline: most monitor tags (a host, a service) file one monitor (M6).
            scopes.ByTag.Add(tag, list = []);
        }

        InsertSorted(list, slot);
        scopes.Count++;

        // The source's key string, not the caller's: one string per source, not one per monitor.
        _bySlot.Add(slot, new Indexed(scopes.Key, tag, scope));
    }

    /// <summary>The <c>tag:value</c> the monitor in <paramref name="slot"/> is filed under; null for the unindexed list.</summary>
    internal string? FiledUnder(int slot) => _bySlot[slot].Tag;

    /// <summary>Removes the monitor in <paramref name="slot"/>, and whatever its removal empties.</summary>
    public void Remove(int slot)
    {
        Invariant.Check(_bySlot.Remove(slot, out var indexed), "only an indexed monitor slot is removed from the match index");
        var scopes = _bySource[indexed.SourceKey];
        var list = indexed.Tag is null ? scopes.Unindexed : scopes.ByTag[indexed.Tag];
        var at = list.BinarySearch(slot);
        Invariant.Check(at >= 0, "an indexed monitor slot is in the postings list it was filed under");
        list.RemoveAt(at);
        if (indexed.Tag is not null && list.Count == 0)
        {
            scopes.ByTag.Remove(indexed.Tag);
        }

        if (--scopes.Count == 0)
        {
            _bySource.Remove(indexed.SourceKey);
        }
    }

    /// <summary>
    /// Fills <paramref name="into"/> with the slots of the monitors of <paramref name="sourceKey"/>
    /// whose scope matches <paramref name="sortedTags"/>, in ascending slot order.
    /// </summary>
    public void Matching(string sourceKey, ReadOnlySpan<string> sortedTags, List<int> into)
    {
        into.Clear();
        if (!_bySource.TryGetValue(sourceKey, out var scopes))
        {
            return;
        }

        // Each monitor sits in exactly one list, and the tags are distinct, so no slot comes twice.
        var lists = 0;
        if (scopes.Unindexed.Count > 0)
        {
            AddVerified(scopes.Unindexed, sortedTags, into);
            lists++;
        }

        foreach (var tag in sortedTags)
        {
            if (scopes.ByTag.TryGetValue(tag, out var postings))
            {
                var before = into.Count;
                AddVerified(postings, sortedTags, into);
                lists += into.Count > before ? 1 : 0;
            }
        }

        if (lists > 1)
        {
            // Several sorted runs: one sort of the (few) matches restores slot order.
            CollectionsMarshal.AsSpan(into).Sort();
        }
    }

    private void AddVerified(SmallIntList candidates, ReadOnlySpan<string> sortedTags, List<int> into)
    {
        foreach (var slot in candidates)
        {
            if (TagFilter.MatchesAll(_bySlot[slot].Scope, sortedTags))
            {
                into.Add(slot);
            }
        }
    }

    private static void InsertSorted(SmallIntList list, int slot)
    {
        // Slots mostly grow, so this is an append; a reused (lower) slot shifts the tail.
        if (list.Count == 0 || list[^1] < slot)
        {
            list.Add(slot);
            return;
        }

        var at = list.BinarySearch(slot);
        Invariant.Check(at < 0, "a monitor slot appears once in a postings list");
        list.Insert(~at, slot);
    }

    private readonly record struct Indexed(string SourceKey, string? Tag, ImmutableArray<TagFilter> Scope);

    /// <summary>The monitor scopes of one source.</summary>
    private sealed class SourceScopes
    {
        public SourceScopes(string key)
        {
            Key = key;
        }

        /// <summary>The source's index key, shared by every monitor filed under it.</summary>
        public string Key { get; }

        public Dictionary<string, SmallIntList> ByTag { get; } = new(StringComparer.Ordinal);

        /// <summary>Scopes with no positive equality filter: tested against every new series of the source.</summary>
        public SmallIntList Unindexed { get; } = [];

        public int Count { get; set; }

        /// <summary>The <c>tag:value</c> of the scope's equality filter with the shortest postings list, or null if it has none.</summary>
        public string? ChooseKey(ImmutableArray<TagFilter> scope)
        {
            string? best = null;
            var bestCount = int.MaxValue;
            List<string>? required = null;
            foreach (var filter in scope)
            {
                if (filter.Kind == TagFilterKind.Equals)
                {
                    Consider(filter.Key + ":" + filter.Value, ref best, ref bestCount);
                }
                else if (filter.Kind == TagFilterKind.Boolean)
                {
                    // An OR whose every branch needs a tag (env:prod AND (a OR b) spelled as
                    // (env:prod AND a) OR (env:prod AND b)) is filed under it like an equality.
                    required ??= [];
                    required.Clear();
                    filter.Expression!.AddRequiredTags(required);
                    foreach (var tag in required)
                    {
                        Consider(tag, ref best, ref bestCount);
                    }
                }
            }

            return best;
        }

        private void Consider(string tag, ref string? best, ref int bestCount)
        {
            var count = ByTag.TryGetValue(tag, out var postings) ? postings.Count : 0;
            if (count < bestCount)
            {
                best = tag;
                bestCount = count;
            }
        }
    }
}
