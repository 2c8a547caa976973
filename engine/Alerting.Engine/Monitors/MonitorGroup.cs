using Alerting.Engine.State;

namespace Alerting.Engine.Monitors;

/// <summary>
/// One group of a monitor (one value of its <c>by {…}</c> tags, or <c>*</c>): the series that
/// feed it, its state, and for check monitors its latest runs.
/// </summary>
internal sealed class MonitorGroup
{
    public MonitorGroup(string key, string[] tags, GroupState state, int checkRuns)
    {
        Key = key;
        Tags = tags;
        State = state;
        Runs = checkRuns > 0 ? new CheckRunWindows(checkRuns) : null;
    }

    public string Key { get; }

    /// <summary>The group's tags (<c>key:value</c>, in group-by order): what downtime scopes match.</summary>
    public string[] Tags { get; }

    /// <summary>The processor's state; passed by ref, so a field.</summary>
    public GroupState State;

    /// <summary>Series feeding the group, as series ids, in the order they joined.</summary>
    /// <remarks>Room for one to start, as most groups read one series (M6); the lists grow by doubling from there.</remarks>
    public List<int> SeriesIds { get; } = new(1);

    /// <summary>The same series as slots of the monitor's tier store, in the same order (what the evaluator reads).</summary>
    public List<int> Slots { get; } = new(1);

    /// <summary>Time of the group's last evaluation: evaluations of a group never go back in time.</summary>
    public long LastEvaluatedMs { get; set; } = long.MinValue;

    public CheckRunWindows? Runs { get; }

    /// <summary>The batch that last touched the group (<c>on_arrival</c> bookkeeping, not state).</summary>
    public long TouchStamp { get; set; }

    /// <summary>Newest point time the touching batch brought to the group.</summary>
    public long TouchedNewestMs { get; set; }
}
