using System.Diagnostics.CodeAnalysis;
using System.Collections.Immutable;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// Every series the engine holds, in creation order (a series' id is its position; an expired
/// series leaves a gap, ids are never reused), by key,
/// and per source (metric or check name) by <c>tag:value</c>, so that a new or edited monitor
/// finds its series from the most selective equality filter of its scope instead of testing
/// every series of the metric.
/// </summary>
/// <remarks>
/// Postings are series ids appended in creation order, so they stay sorted without a sort, and
/// the monitor sees its series in creation order on every replica.
/// <para>
/// A series is found from its name and tags as they arrive, without building a key (issue 7:
/// the lookup of every point's series allocates nothing): a hash of the name and tags leads to
/// a chain of series ids, each compared tag by tag. The hash is the process's string hash, so
/// it differs between processes, but it only finds; nothing is ordered by it.
/// </para>
/// </remarks>
internal sealed class SeriesIndex
{
    private readonly List<SeriesEntry?> _series = [];
    private readonly Dictionary<int, int> _firstIdByHash = [];
    private readonly List<int> _nextIdOfSameHash = [];
    private readonly Dictionary<string, SourceSeries> _bySource = new(StringComparer.Ordinal);

    private int _live;

    /// <summary>Live series (expired ones are not counted).</summary>
    public int Count => _live;

    /// <summary>The id the next series gets: one past the highest id ever given (expired ones included).</summary>
    public int NextId => _series.Count;

    /// <summary>Every live series, in creation order.</summary>
    public IEnumerable<SeriesEntry> All
    {
        get
        {
            foreach (var entry in _series)
            {
                if (entry is not null)
                {
                    yield return entry;
                }
            }
        }
    }

    /// <summary>The live series of that id.</summary>
    public SeriesEntry this[int id]
    {
        get
        {
            var entry = _series[id];
            Invariant.Check(entry is not null, "a series id in use names a live series");
            return entry!;
        }
    }

    /// <summary>The series of that id, or null when it expired (or <paramref name="id"/> is past <see cref="NextId"/>).</summary>
    public SeriesEntry? LiveOrNull(int id) => (uint)id < (uint)_series.Count ? _series[id] : null;

    /// <summary>
    /// The series of that name and tags. <paramref name="sortedTags"/> must be in the index's one
    /// form (<see cref="IsNormalized"/>); nothing is allocated.
    /// </summary>
    public bool TryGet(bool isCheck, string source, IList<string> sortedTags, [MaybeNullWhen(false)] out SeriesEntry entry)
    {
        if (_firstIdByHash.TryGetValue(Hash(isCheck, source, sortedTags), out var id))
        {
            for (; id >= 0; id = _nextIdOfSameHash[id])
            {
                var candidate = _series[id]!;
                if (candidate.IsCheck == isCheck && string.Equals(candidate.Source, source, StringComparison.Ordinal) && SameTags(candidate.Tags, sortedTags))
                {
                    entry = candidate;
                    return true;
                }
            }
        }

        entry = null;
        return false;
    }

    /// <summary>How many series the source has.</summary>
    public int CountOf(string sourceKey) => _bySource.TryGetValue(sourceKey, out var source) ? source.All.Count : 0;

    /// <summary>Creates the next series (its id is the current count) and indexes it.</summary>
    /// <remarks>Also what a snapshot being read back calls, series by series (with <paramref name="id"/> past a gap that expiry left). The series shares its source's name string (one per source, not one per series).</remarks>
    public SeriesEntry Create(bool isCheck, string source, string[] sortedTags, int? id = null)
    {
        if (id is { } at)
        {
            Invariant.Check(at >= _series.Count, "a series read back takes an id past every id given");
            PadTo(at);
        }

        var sourceKey = SourceKey(isCheck, source);
        if (!_bySource.TryGetValue(sourceKey, out var sourceSeries))
        {
            _bySource.Add(sourceKey, sourceSeries = new SourceSeries(source));
        }

        var entry = new SeriesEntry(_series.Count, sourceSeries.Name, sortedTags, isCheck);
        Add(entry, sourceSeries);
        return entry;
    }

    /// <summary>Makes <see cref="NextId"/> at least <paramref name="nextId"/> (the series after the last one read back had expired).</summary>
    public void PadTo(int nextId)
    {
        Invariant.Check(nextId >= _series.Count, "the next series id never goes back");
        while (_series.Count < nextId)
        {
            _series.Add(null);
            _nextIdOfSameHash.Add(-1);
        }
    }

    private void Add(SeriesEntry entry, SourceSeries source)
    {
        Invariant.Check(entry.Id == _series.Count, "series ids are their creation order");

        // Once per series, here rather than per match: TagFilter.Matches binary-searches these tags.
        Invariant.Check(TagFilter.IsSortedOrdinal(entry.Tags), "series tags must be sorted ordinally");
        Invariant.Check(!TryGet(entry.IsCheck, entry.Source, entry.Tags, out _), "a series is indexed once");
        _series.Add(entry);
        _live++;
        var hash = Hash(entry.IsCheck, entry.Source, entry.Tags);
        _nextIdOfSameHash.Add(_firstIdByHash.TryGetValue(hash, out var next) ? next : -1);
        _firstIdByHash[hash] = entry.Id;
        source.All.Add(entry.Id);
        foreach (var tag in entry.Tags)
        {
            if (!source.ByTag.TryGetValue(tag, out var postings))
            {
                source.ByTag.Add(tag, postings = []);
            }

            Invariant.Check(postings.Count == 0 || postings[^1] < entry.Id, "series postings stay sorted by id");
            postings.Add(entry.Id);
        }
    }

    /// <summary>
    /// Takes an expired series out of the index: its id becomes a gap, its postings lose it (a
    /// binary search and a shift per tag), and a later series of the same name and tags is a new
    /// series with a new id.
    /// </summary>
    public void Remove(SeriesEntry entry)
    {
        Invariant.Check(ReferenceEquals(LiveOrNull(entry.Id), entry), "only a live series is removed");
        var hash = Hash(entry.IsCheck, entry.Source, entry.Tags);
        var head = _firstIdByHash[hash];
        if (head == entry.Id)
        {
            if (_nextIdOfSameHash[head] < 0)
            {
                _firstIdByHash.Remove(hash);
            }
            else
            {
                _firstIdByHash[hash] = _nextIdOfSameHash[head];
            }
        }
        else
        {
            var previous = head;
            while (_nextIdOfSameHash[previous] != entry.Id)
            {
                previous = _nextIdOfSameHash[previous];
                Invariant.Check(previous >= 0, "a live series is on its hash chain");
            }

            _nextIdOfSameHash[previous] = _nextIdOfSameHash[entry.Id];
        }

        _nextIdOfSameHash[entry.Id] = -1;
        var sourceKey = SourceKey(entry.IsCheck, entry.Source);
        var source = _bySource[sourceKey];
        RemoveId(source.All, entry.Id);
        foreach (var tag in entry.Tags)
        {
            var postings = source.ByTag[tag];
            RemoveId(postings, entry.Id);
            if (postings.Count == 0)
            {
                source.ByTag.Remove(tag);
            }
        }

        if (source.All.Count == 0)
        {
            _bySource.Remove(sourceKey);
        }

        _series[entry.Id] = null;
        _live--;
    }

    private static void RemoveId(SmallIntList ids, int id)
    {
        var at = ids.BinarySearch(id);
        Invariant.Check(at >= 0, "a live series is on its postings");
        ids.RemoveAt(at);
    }

    /// <summary>
    /// Fills <paramref name="into"/> with the series of <paramref name="sourceKey"/> that
    /// <paramref name="scope"/> matches, in creation order.
    /// </summary>
    public void Matching(string sourceKey, ImmutableArray<TagFilter> scope, List<SeriesEntry> into) =>
        MatchingFrom(sourceKey, scope, fromId: 0, examineLimit: int.MaxValue, into, out _);

    /// <summary>
    /// One bounded step of <see cref="Matching"/>: fills <paramref name="into"/> with the matching
    /// series whose id is at least <paramref name="fromId"/>, in creation order, testing at most
    /// <paramref name="examineLimit"/> candidates against the scope. Returns the id the next step
    /// starts from, or -1 when no candidate is left; <paramref name="examined"/> says how many
    /// were tested. Resuming by id (not by position) stays right while series are added between steps.
    /// </summary>
    public int MatchingFrom(string sourceKey, ImmutableArray<TagFilter> scope, int fromId, int examineLimit, List<SeriesEntry> into, out int examined)
    {
        Invariant.Check(fromId >= 0 && examineLimit > 0, "a match step starts at a real series id and examines at least one");
        into.Clear();
        examined = 0;
        if (!_bySource.TryGetValue(sourceKey, out var source) || Candidates(source, scope) is not { } candidates)
        {
            return -1;
        }

        var at = fromId == 0 ? 0 : LowerBound(candidates, fromId);
        var end = at + Math.Min(examineLimit, candidates.Count - at);
        for (var i = at; i < end; i++)
        {
            var entry = _series[candidates[i]]!;
            if (TagFilter.MatchesAll(scope, entry.Tags))
            {
                into.Add(entry);
            }
        }

        examined = end - at;
        return end < candidates.Count ? candidates[end] : -1;
    }

    /// <summary>Whether the tags are already in the one form (ordinal order, no duplicates), as the ingest boundary sends them.</summary>
    public static bool IsNormalized(IList<string> tags)
    {
        for (var i = 1; i < tags.Count; i++)
        {
            if (string.CompareOrdinal(tags[i - 1], tags[i]) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Sorts ordinally and removes duplicates: the one form of a tag set the index knows.</summary>
    public static string[] NormalizeTags(IList<string> raw)
    {
        var tags = new string[raw.Count];
        raw.CopyTo(tags, 0);
        Array.Sort(tags, StringComparer.Ordinal);
        var distinct = 0;
        for (var i = 0; i < tags.Length; i++)
        {
            if (i == 0 || !string.Equals(tags[i], tags[distinct - 1], StringComparison.Ordinal))
            {
                tags[distinct++] = tags[i];
            }
        }

        return distinct == tags.Length ? tags : tags[..distinct];
    }

    /// <summary>The index key of a source: metrics and checks of the same name are different sources.</summary>
    public static string SourceKey(bool isCheck, string source) => (isCheck ? "c|" : "m|") + source;

    private static int Hash(bool isCheck, string source, IList<string> sortedTags)
    {
        var hash = default(HashCode);
        hash.Add(isCheck);
        hash.Add(source);
        for (var i = 0; i < sortedTags.Count; i++)
        {
            hash.Add(sortedTags[i]);
        }

        return hash.ToHashCode();
    }

    private static bool SameTags(string[] tags, IList<string> other)
    {
        if (tags.Length != other.Count)
        {
            return false;
        }

        for (var i = 0; i < tags.Length; i++)
        {
            if (!string.Equals(tags[i], other[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The ids a scope's matches are among: the shortest postings list of its equality filters,
    /// or every series of the source; null when an equality filter names a tag no series has.
    /// </summary>
    private static SmallIntList? Candidates(SourceSeries source, ImmutableArray<TagFilter> scope)
    {
        var candidates = source.All;
        foreach (var filter in scope)
        {
            if (filter.Kind != TagFilterKind.Equals)
            {
                continue;
            }

            if (!source.ByTag.TryGetValue(filter.Key + ":" + filter.Value, out var postings))
            {
                return null;
            }

            if (postings.Count < candidates.Count)
            {
                candidates = postings;
            }
        }

        return candidates;
    }

    /// <summary>The position of the first id not below <paramref name="id"/> in sorted <paramref name="ids"/>.</summary>
    private static int LowerBound(SmallIntList ids, int id)
    {
        var at = ids.BinarySearch(id);
        return at >= 0 ? at : ~at;
    }

    /// <summary>The series of one source: all of them, and by tag, each as sorted ids.</summary>
    private sealed class SourceSeries
    {
        public SourceSeries(string name)
        {
            Name = name;
        }

        /// <summary>The metric or check name, the one string every series of the source refers to.</summary>
        public string Name { get; }

        public SmallIntList All { get; } = [];

        /// <summary>Postings by <c>tag:value</c>; a tag of one series (a host) holds its id inline (M6).</summary>
        public Dictionary<string, SmallIntList> ByTag { get; } = new(StringComparer.Ordinal);
    }
}
