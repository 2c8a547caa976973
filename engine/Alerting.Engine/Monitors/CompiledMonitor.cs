using System.Collections.Immutable;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;
using Alerting.Engine.Timing;
using Google.Protobuf;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Monitors;

/// <summary>
/// A monitor as the state machine runs it: the definition from the log, its parsed query and
/// rules, its schedule, and its groups. Built only by <see cref="MonitorCompiler"/>, so two
/// replicas compiling the same definition get the same object.
/// </summary>
internal sealed class CompiledMonitor
{
    // The definition is kept as its encoded bytes (M6: the parsed message and its options cost
    // about 310 B per monitor beside the compiled form); what the engine reads often is copied out.
    private readonly byte[] _definitionBytes = [];
    private readonly string _id = "";
    private readonly string _name = "";
    private readonly int _definedPriority;

    /// <summary>
    /// The definition as the log gave it (after an upsert by name, with its assigned id): decoded
    /// afresh from its kept bytes on each read, so a reader owns (and may change) what it gets.
    /// </summary>
    public required Monitor Definition
    {
        get => Monitor.Parser.ParseFrom(_definitionBytes);
        init
        {
            _definitionBytes = value.ToByteArray();
            _id = value.Id;
            _name = value.Name;
            _definedPriority = value.Priority;
        }
    }

    /// <summary>The definition encoded (what snapshots hold and reads page by).</summary>
    public ReadOnlySpan<byte> DefinitionBytes => _definitionBytes;

    public string Id => _id;

    /// <summary>The definition's name.</summary>
    public string Name => _name;

    /// <summary>The definition's priority as written: 0 when unset (<see cref="Priority"/> has the default filled in).</summary>
    public int DefinedPriority => _definedPriority;

    /// <summary>The compiled message template.</summary>
    public required MessageTemplate Message { get; init; }

    // What most monitors leave unset (an escalation message, a formula, notify_by, modifiers, …) is
    // kept in a side object created by the first such value (M6: about 90 B per monitor otherwise).
    private RareParts? _rare;

    private RareParts Rare => _rare ??= new();

    /// <summary>The compiled <c>options.escalation_message</c>, rendered before the message of a renotification; null when empty.</summary>
    public MessageTemplate? EscalationMessage
    {
        get => _rare?.EscalationMessage;
        init
        {
            if (value is not null)
            {
                Rare.EscalationMessage = value;
            }
        }
    }

    public required MonitorQuery Query { get; init; }

    public required MonitorRules Rules { get; init; }

    /// <summary>The metric name, or the check name for check monitors: the series index key.</summary>
    public required string Source { get; init; }

    public required bool IsCheck { get; init; }

    public required ImmutableArray<TagFilter> Scope { get; init; }

    /// <summary>
    /// The series selections the monitor reads: one (<see cref="Source"/>, <see cref="Scope"/>),
    /// or one per metric query of a formula, in the formula's order.
    /// </summary>
    public required ImmutableArray<MonitorOperand> Operands { get; init; }

    /// <summary>The compiled formula of a formula monitor; null otherwise.</summary>
    public FormulaProgram? Formula
    {
        get => _rare?.Formula;
        init
        {
            if (value is not null)
            {
                Rare.Formula = value;
            }
        }
    }

    /// <summary>The compiled expression of a composite monitor (which reads no series: <see cref="Operands"/> is empty); null otherwise.</summary>
    public CompositeProgram? Composite
    {
        get => _rare?.Composite;
        init
        {
            if (value is not null)
            {
                Rare.Composite = value;
            }
        }
    }

    /// <summary>For a <c>top()</c> monitor the heap its scheduled evaluations rank groups with; otherwise null.</summary>
    public TopRanking? Ranking
    {
        get => _rare?.Ranking;
        init
        {
            if (value is not null)
            {
                Rare.Ranking = value;
            }
        }
    }

    public required ImmutableArray<string> GroupBy { get; init; }

    /// <summary>The window specification (metric monitors).</summary>
    public required WindowSpec Spec { get; init; }

    /// <summary>A single-query monitor's <c>.as_count()</c>, <c>.rollup()</c>, <c>.fill()</c> (a formula's are in its program).</summary>
    public Query.SeriesModifiers Modifiers
    {
        get => _rare is { } rare ? rare.Modifiers : default;
        init
        {
            if (!value.IsNone)
            {
                Rare.Modifiers = value;
            }
        }
    }

    /// <summary>For a percentile monitor its percentile in hundredths (p99 is 9900), whose series are the distribution's buckets; 0 otherwise.</summary>
    public int PercentileHundredths
    {
        get => _rare?.PercentileHundredths ?? 0;
        init
        {
            if (value != 0)
            {
                Rare.PercentileHundredths = value;
            }
        }
    }

    /// <summary>Check runs looked back over per group (check monitors).</summary>
    public required int CheckRuns { get; init; }

    /// <summary>Datadog service-check thresholds (consecutive runs), or <see cref="CheckCounts.None"/>.</summary>
    public CheckCounts CheckCounts
    {
        get => _rare is { } rare ? rare.CheckCounts : default;
        init
        {
            if (value != default)
            {
                Rare.CheckCounts = value;
            }
        }
    }

    /// <summary>Retention tier of the windows this monitor reads (<see cref="StoreTiers"/>).</summary>
    public required int Tier { get; init; }

    /// <summary>Datadog's "evaluate as zero": a window without points of count-like data is 0, not no value (metric, non-formula monitors).</summary>
    public bool EvaluateAsZero
    {
        get => _rare?.EvaluateAsZero ?? false;
        init
        {
            if (value)
            {
                Rare.EvaluateAsZero = value;
            }
        }
    }

    public required long IntervalMs { get; init; }

    /// <summary>Offset of the evaluation instants inside the interval: a stable hash of the id.</summary>
    public required long OffsetMs { get; init; }

    public required bool OnArrival { get; init; }

    public required long EvaluationDelayMs { get; init; }

    /// <summary>1 (highest) to 5.</summary>
    public required int Priority { get; init; }

    /// <summary>A check group with no run newer than this is treated as having no data.</summary>
    public required long CheckStalenessMs { get; init; }

    /// <summary>The monitor's slot in the engine (also the timer payload); set when registered.</summary>
    public int Slot { get; set; } = -1;

    public TimerHandle Timer { get; set; }

    /// <summary>
    /// The highest transition number a group of this monitor reached before group retention
    /// dropped it (0 when none was dropped). Every group that forms afterwards numbers its
    /// transitions from above it, so a group key that comes back never repeats a transition id
    /// (DESIGN invariant 6; the delivery ledger settles by the highest number per key). One number
    /// per monitor, not one per dropped key, so churning groups cost no memory. Carried across edits.
    /// </summary>
    public ulong TransitionFloor
    {
        get => _rare?.TransitionFloor ?? 0;
        set
        {
            if (value != 0 || _rare is not null)
            {
                Rare.TransitionFloor = value;
            }
        }
    }

    /// <summary>
    /// <c>options.notify_by</c>: the counts of groups per notify key that decide this monitor's
    /// notifications (see <see cref="StateMachine.NotifyKeyTable"/>); null when every group notifies.
    /// Set when the monitor is compiled; an edit carries it or re-forms it (<c>MonitorEngine.Replace</c>).
    /// </summary>
    public StateMachine.NotifyKeyTable? NotifyKeys
    {
        get => _rare?.NotifyKeys;
        set
        {
            if (value is not null || _rare is not null)
            {
                Rare.NotifyKeys = value;
            }
        }
    }

    /// <summary>
    /// Whether the definition notifies per notify_by key (its compiled <see cref="NotifyKeys"/> was not null). A monitor
    /// that does but holds no table (the monitor a regrouping edit left behind, whose keys the edit dropped) notifies
    /// no one for its groups' events: they were never notified one by one.
    /// </summary>
    public bool NotifiesPerKey
    {
        get => _rare?.NotifiesPerKey ?? false;
        init
        {
            if (value)
            {
                Rare.NotifiesPerKey = value;
            }
        }
    }

    // One empty table shared by every monitor without groups (M6: a sorted dictionary costs
    // about 112 B per monitor empty); a monitor gets its own with its first group (AddGroup).
    private static readonly SortedDictionary<string, MonitorGroup> NoGroups = new(StringComparer.Ordinal);

    private SortedDictionary<string, MonitorGroup>? _groups;

    /// <summary>
    /// Groups by key, in ordinal order so iteration is the same on every replica. Read, iterate and
    /// remove through it; add through <see cref="AddGroup"/> (until the first group this is a table
    /// shared by every monitor without groups).
    /// </summary>
    public SortedDictionary<string, MonitorGroup> Groups
    {
        get
        {
            if (_groups is { } groups)
            {
                return groups;
            }

            Invariant.Check(NoGroups.Count == 0, "the shared empty group table is never written: groups are added through AddGroup");
            return NoGroups;
        }
    }

    /// <summary>
    /// Takes over the groups of <paramref name="old"/>, which keeps none (an edit that keeps the series selection:
    /// the table moves, whatever its size).
    /// </summary>
    public void TakeGroups(CompiledMonitor old)
    {
        Invariant.Check(_groups is null && !ReferenceEquals(old, this), "an edited monitor takes its groups before it has any of its own");
        _groups = old._groups;
        old._groups = null;
    }

    /// <summary>Adds a group (the monitor's own table is created with its first group).</summary>
    public void AddGroup(string key, MonitorGroup group) => (_groups ??= new(StringComparer.Ordinal)).Add(key, group);

    /// <summary>Whether a change from <paramref name="other"/> keeps which series feed which group.</summary>
    public bool SameSeriesSelection(CompiledMonitor other) =>
        IsCheck == other.IsCheck
        && Tier == other.Tier
        && CheckRuns == other.CheckRuns
        && Operands.SequenceEqual(other.Operands)
        && (Formula is null) == (other.Formula is null)
        && (PercentileHundredths == 0) == (other.PercentileHundredths == 0)
        && GroupBy.SequenceEqual(other.GroupBy, StringComparer.Ordinal);

    /// <summary>The fields most monitors leave at their defaults; see <see cref="_rare"/>.</summary>
    private sealed class RareParts
    {
        public MessageTemplate? EscalationMessage;
        public FormulaProgram? Formula;
        public CompositeProgram? Composite;
        public TopRanking? Ranking;
        public StateMachine.NotifyKeyTable? NotifyKeys;
        public Query.SeriesModifiers Modifiers;
        public CheckCounts CheckCounts;
        public ulong TransitionFloor;
        public int PercentileHundredths;
        public bool EvaluateAsZero;
        public bool NotifiesPerKey;
    }
}

/// <summary>One series selection of a monitor: a metric (or check) name and a scope.</summary>
internal sealed record MonitorOperand(string Source, ImmutableArray<TagFilter> Scope)
{
    public bool Equals(MonitorOperand? other) =>
        other is not null
        && string.Equals(Source, other.Source, StringComparison.Ordinal)
        && Scope.SequenceEqual(other.Scope);

    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Source), Scope.Length);
}
