using Alerting.Engine.State;

namespace Alerting.Engine.Monitors;

/// <summary>
/// One group of a monitor (one value of its <c>by {…}</c> tags, or <c>*</c>): the series that
/// feed it, its state, and for check monitors its latest runs.
/// </summary>
internal sealed class MonitorGroup
{
    /// <param name="formulaOperands">For a group of a formula monitor, its number of metric queries; 0 otherwise.</param>
    public MonitorGroup(string key, string[] tags, GroupState state, int checkRuns, int formulaOperands = 0)
    {
        Invariant.Check(formulaOperands is >= 0 and <= Query.QueryLimits.MaxFormulaOperands, "a formula group reads at most MaxFormulaOperands metric queries");
        Key = key;
        Tags = tags;
        State = state;
        Runs = checkRuns > 0 ? new CheckRunWindows(checkRuns) : null;

        // Only formula groups pay for the per-query lists (M6: bytes per single-series monitor).
        if (formulaOperands > 0)
        {
            FormulaSeriesIds = new SmallIntList[formulaOperands];
            FormulaSlots = new SmallIntList[formulaOperands];
            FormulaSeriesIds[0] = SeriesIds;
            FormulaSlots[0] = Slots;
            for (var k = 1; k < formulaOperands; k++)
            {
                FormulaSeriesIds[k] = new();
                FormulaSlots[k] = new();
            }
        }
    }

    public string Key { get; }

    /// <summary>
    /// For a <c>top()</c> monitor: whether the ranking that precedes each scheduled evaluation put
    /// this group among the first N. Not state: always set by that ranking before it is read.
    /// </summary>
    public bool InTop { get; set; }

    /// <summary>The group's tags (<c>key:value</c>, in group-by order): what downtime scopes match.</summary>
    public string[] Tags { get; }

    /// <summary>The processor's state; passed by ref, so a field.</summary>
    public GroupState State;

    /// <summary>Series feeding the group (its first metric query's, for a formula), as series ids, in the order they joined.</summary>
    /// <remarks>A lone series is held inline, as most groups read one (M6).</remarks>
    public SmallIntList SeriesIds { get; } = new();

    /// <summary>The same series as slots of the monitor's tier store, in the same order (what the evaluator reads).</summary>
    public SmallIntList Slots { get; } = new();

    /// <summary>
    /// For a formula group, the series feeding it through each of its metric queries, in order
    /// (<c>[0]</c> is <see cref="SeriesIds"/>); null for other groups. A series that two queries
    /// select is in both lists.
    /// </summary>
    public SmallIntList[]? FormulaSeriesIds { get; }

    /// <summary>The same series as slots of the monitor's tier store, query by query (<c>[0]</c> is <see cref="Slots"/>).</summary>
    public SmallIntList[]? FormulaSlots { get; }

    /// <summary>Series of metric query <paramref name="operand"/> (0 for a monitor that is not a formula).</summary>
    public SmallIntList SeriesIdsOf(int operand) => operand == 0 ? SeriesIds : FormulaSeriesIds![operand];

    /// <summary>Slots of metric query <paramref name="operand"/>.</summary>
    public SmallIntList SlotsOf(int operand) => operand == 0 ? Slots : FormulaSlots![operand];

    /// <summary>Time of the group's last evaluation: evaluations of a group never go back in time.</summary>
    public long LastEvaluatedMs { get; set; } = long.MinValue;

    /// <summary>
    /// Newest time the group was known to report: the newest point (or check run) time any of its
    /// series brought, or logical time when the group formed, whichever is later. Group retention
    /// (<c>group_retention_ms</c>) drops the group once a scheduled evaluation is that long past it.
    /// </summary>
    public long LastReportedMs { get; set; }

    public CheckRunWindows? Runs { get; }

    /// <summary>
    /// The log index of the last same-selection edit of its monitor this group has had applied (see
    /// <c>StateMachine.EditSteps</c>); only compared against a chain of edits still going. Snapshots write it only for
    /// the groups such a chain has yet to reach (format 22).
    /// </summary>
    public long EditMark { get; set; }

    /// <summary>The batch that last touched the group (<c>on_arrival</c> bookkeeping, not state).</summary>
    public long TouchStamp { get; set; }

    /// <summary>Newest point time the touching batch brought to the group.</summary>
    public long TouchedNewestMs { get; set; }
}
