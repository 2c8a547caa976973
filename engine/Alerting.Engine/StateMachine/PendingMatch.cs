using Alerting.Engine.Monitors;
using Alerting.Engine.State;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// A monitor still picking up the series that existed before it (issue 7: bounded work per
/// entry): the id its next step resumes from, and, for an edit that regrouped it, the state of
/// the old groups, handed to a new group of the same key when it forms. State: it is in
/// snapshots, so every replica resumes the match at the same series.
/// </summary>
internal sealed class PendingMatch
{
    public PendingMatch(int slot, SortedDictionary<string, CarriedGroup> carried)
    {
        Slot = slot;
        Carried = carried;
    }

    /// <summary>The monitor's slot (an edit keeps it).</summary>
    public int Slot { get; }

    /// <summary>
    /// The metric query being walked (0 but for formula monitors): queries are walked in order,
    /// each from the first series; the ones before it are in the scope index.
    /// </summary>
    public int Operand { get; set; }

    /// <summary>The smallest series id the next step examines; only grows while on one query.</summary>
    public int NextSeriesId { get; set; }

    /// <summary>
    /// For a regrouping edit, the monitor as it was before it while some of its groups are still to
    /// be let go of (their state not yet in <see cref="Carried"/>); null once none is left, and for a
    /// new monitor. The walk over the series starts once it is null. In snapshots from format 19.
    /// </summary>
    public CompiledMonitor? Old { get; set; }

    /// <summary>The monitor the edit made of <see cref="Old"/>: its rules reset the old groups and its message renders their events.</summary>
    public CompiledMonitor? EditedTo { get; set; }

    /// <summary>Old groups' state by key (ordinal, the order snapshots write), until a group of that key forms.</summary>
    public SortedDictionary<string, CarriedGroup> Carried { get; }

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(Slot);
        writer.Write(Operand);
        writer.Write(NextSeriesId);
        writer.Write(Carried.Count);
        foreach (var (key, carried) in Carried)
        {
            writer.Write(key);
            carried.State.WriteTo(writer);
            writer.Write(carried.LastEvaluatedMs);
        }
    }

    /// <param name="withOperand">The record has the metric query (snapshot format 9 on); before, it is 0.</param>
    public static PendingMatch ReadFrom(BinaryReader reader, bool withOperand)
    {
        var slot = reader.ReadInt32();
        var operand = withOperand ? reader.ReadInt32() : 0;
        var nextSeriesId = reader.ReadInt32();
        var carried = new SortedDictionary<string, CarriedGroup>(StringComparer.Ordinal);
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            carried.Add(key, new CarriedGroup(GroupState.ReadFrom(reader), reader.ReadInt64()));
        }

        return new PendingMatch(slot, carried) { Operand = operand, NextSeriesId = nextSeriesId };
    }
}

/// <summary>What an edit carries from an old group to the new group of the same key.</summary>
internal readonly record struct CarriedGroup(GroupState State, long LastEvaluatedMs);
