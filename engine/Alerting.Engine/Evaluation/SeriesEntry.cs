using System.Runtime.CompilerServices;
using Alerting.Engine.Monitors;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// One series (a metric or check name plus a sorted tag set), what it feeds, and its window
/// in each retention tier that a monitor reading it needs.
/// </summary>
/// <remarks>
/// M6: the tier slots and the first feed are fields of the entry rather than an array and a list
/// of their own (about 56 B and 80 B less per series: most series feed one group).
/// </remarks>
internal sealed class SeriesEntry
{
    private TierSlotArray _tierSlots;

    // The feeds: the first inline, the others (rare: a series read by several monitors) in an array.
    private int _feedCount;
    private int _firstFeedSlot;
    private MonitorGroup? _firstFeedGroup;
    private (int MonitorSlot, MonitorGroup Group)[]? _moreFeeds;

    public SeriesEntry(int id, string source, string[] tags, bool isCheck)
    {
        Id = id;
        Source = source;
        Tags = tags;
        IsCheck = isCheck;
        Invariant.Check(StoreTiers.Count == TierSlotArray.Length, "a series entry has one inline slot per retention tier");
        ((Span<int>)_tierSlots).Fill(-1);
    }

    /// <summary>Creation order; stable across replicas and snapshots.</summary>
    public int Id { get; }

    public string Source { get; }

    /// <summary>Sorted ordinal, <c>key:value</c>.</summary>
    public string[] Tags { get; }

    public bool IsCheck { get; }

    /// <summary>What the series' values measure: the type of the last points batch that carried it (UNSPECIFIED reads as a gauge).</summary>
    public Protocol.Log.SeriesType Type { get; set; }

    /// <summary>
    /// Group retention dropped a group this series fed: its next point looks its monitors up again
    /// and rejoins the groups it left (see <c>SeriesMatcher.Rejoin</c>).
    /// </summary>
    public bool LeftGroups { get; set; }

    /// <summary>
    /// Logical time (log time, the same on every replica) of the last entry that brought this
    /// series an admitted point or check run; series expiry drops it once this is old enough.
    /// </summary>
    public long LastSeenMs { get; set; }

    /// <summary>Slot of the series in each tier store, −1 where it has none (one per tier, held in the entry).</summary>
    public Span<int> TierSlots => _tierSlots;

    /// <summary>The monitor groups this series feeds: (monitor slot, group key), in the order they were added.</summary>
    /// <remarks>A view of the entry: the first feed is held inline, as most series feed one group (M6).</remarks>
    public FeedList Feeds => new(this);

    /// <summary>One int per retention tier, inline in the entry.</summary>
    [InlineArray(Length)]
    private struct TierSlotArray
    {
        public const int Length = 6;

        private int _slot;
    }

    /// <summary>
    /// The feeds of one series as a list (what <c>List</c> offered: count, index, add, remove at,
    /// clear, in-order enumeration). A view: every change goes to the entry.
    /// </summary>
    internal readonly struct FeedList(SeriesEntry entry)
    {
        public int Count => entry._feedCount;

        public (int MonitorSlot, MonitorGroup Group) this[int index]
        {
            get
            {
                if ((uint)index >= (uint)entry._feedCount)
                {
                    throw new ArgumentOutOfRangeException(nameof(index), index, "not a feed of this series");
                }

                return index == 0 ? (entry._firstFeedSlot, entry._firstFeedGroup!) : entry._moreFeeds![index - 1];
            }
        }

        public void Add((int MonitorSlot, MonitorGroup Group) feed)
        {
            ArgumentNullException.ThrowIfNull(feed.Group);
            if (entry._feedCount == 0)
            {
                (entry._firstFeedSlot, entry._firstFeedGroup) = feed;
            }
            else
            {
                var more = entry._moreFeeds ?? [];
                var at = entry._feedCount - 1;
                if (at == more.Length)
                {
                    Array.Resize(ref more, Math.Max(1, more.Length * 2));
                    entry._moreFeeds = more;
                }

                more[at] = feed;
            }

            entry._feedCount++;
        }

        public void RemoveAt(int index)
        {
            if ((uint)index >= (uint)entry._feedCount)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, "not a feed of this series");
            }

            var more = entry._moreFeeds;
            var extra = entry._feedCount - 1;
            if (index == 0)
            {
                if (extra > 0)
                {
                    (entry._firstFeedSlot, entry._firstFeedGroup) = more![0];
                    Array.Copy(more, 1, more, 0, extra - 1);
                    more[extra - 1] = default;
                }
                else
                {
                    (entry._firstFeedSlot, entry._firstFeedGroup) = (0, null);
                }
            }
            else
            {
                Array.Copy(more!, index, more!, index - 1, extra - index);
                more![extra - 1] = default;
            }

            entry._feedCount--;
        }

        public void Clear()
        {
            (entry._firstFeedSlot, entry._firstFeedGroup) = (0, null);
            entry._moreFeeds = null;
            entry._feedCount = 0;
        }

        public Enumerator GetEnumerator() => new(entry);

        /// <summary>In-order enumeration of the feeds.</summary>
        public struct Enumerator(SeriesEntry entry)
        {
            private int _index = -1;

            public readonly (int MonitorSlot, MonitorGroup Group) Current => new FeedList(entry)[_index];

            public bool MoveNext() => ++_index < entry._feedCount;
        }
    }
}
