namespace Alerting.Engine.Evaluation;

/// <summary>
/// One series (a metric or check name plus a sorted tag set), what it feeds, and its window
/// in each retention tier that a monitor reading it needs.
/// </summary>
internal sealed class SeriesEntry
{
    public SeriesEntry(int id, string source, string[] tags, bool isCheck)
    {
        Id = id;
        Source = source;
        Tags = tags;
        IsCheck = isCheck;
        TierSlots = new int[StoreTiers.Count];
        Array.Fill(TierSlots, -1);
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

    /// <summary>Slot of the series in each tier store, −1 where it has none.</summary>
    public int[] TierSlots { get; }

    /// <summary>The monitor groups this series feeds: (monitor slot, group key).</summary>
    /// <remarks>Room for one to start (M6: most series feed one group; the default first growth makes room for four).</remarks>
    public List<(int MonitorSlot, Monitors.MonitorGroup Group)> Feeds { get; } = new(1);
}
