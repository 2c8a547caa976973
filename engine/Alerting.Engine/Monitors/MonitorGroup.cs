using Alerting.Engine.State;

namespace Alerting.Engine.Monitors;

/// <summary>
/// One group of a monitor (one value of its <c>by {…}</c> tags, or <c>*</c>): the series that
/// feed it, its state, and for check monitors its latest runs.
/// </summary>
internal sealed class MonitorGroup
{
    public MonitorGroup(string key, string[] tags, GroupState state, int checkRuns, int operands = 1)
    {
        Invariant.Check(operands is >= 1 and <= Query.QueryLimits.MaxFormulaOperands, "a group reads one to MaxFormulaOperands metric queries");
        Key = key;
        Tags = tags;
        State = state;
        Runs = checkRuns > 0 ? new CheckRunWindow(checkRuns) : null;
        OperandSeriesIds = new List<int>[operands];
        OperandSlots = new List<int>[operands];
        for (var k = 0; k < operands; k++)
        {
            OperandSeriesIds[k] = [];
            OperandSlots[k] = [];
        }
    }

    public string Key { get; }

    /// <summary>The group's tags (<c>key:value</c>, in group-by order): what downtime scopes match.</summary>
    public string[] Tags { get; }

    /// <summary>The processor's state; passed by ref, so a field.</summary>
    public GroupState State;

    /// <summary>Series feeding the group (its first metric query's, for a formula), as series ids, in the order they joined.</summary>
    public List<int> SeriesIds => OperandSeriesIds[0];

    /// <summary>The same series as slots of the monitor's tier store, in the same order (what the evaluator reads).</summary>
    public List<int> Slots => OperandSlots[0];

    /// <summary>
    /// For each metric query of the monitor (one, or each operand of a formula, in order), the
    /// series feeding the group through it, in the order they joined. A series that two operands
    /// select is in both lists.
    /// </summary>
    public List<int>[] OperandSeriesIds { get; }

    /// <summary>The same series as slots of the monitor's tier store, operand by operand.</summary>
    public List<int>[] OperandSlots { get; }

    /// <summary>Time of the group's last evaluation: evaluations of a group never go back in time.</summary>
    public long LastEvaluatedMs { get; set; } = long.MinValue;

    public CheckRunWindow? Runs { get; }

    /// <summary>The batch that last touched the group (<c>on_arrival</c> bookkeeping, not state).</summary>
    public long TouchStamp { get; set; }

    /// <summary>Newest point time the touching batch brought to the group.</summary>
    public long TouchedNewestMs { get; set; }
}
