using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.State;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Evaluates composite monitors: a group of a composite is a group its members share (the same
/// key in every member grouped by the same tags; a member without group-by has its one group
/// <c>*</c>, which goes with every group). A member group's state change evaluates, after the
/// entry's other evaluations, the same group of each composite using the member, found through
/// <see cref="CompositeIndex"/>; a member without group-by re-evaluates every group of those
/// composites. The composite's own schedule (its interval) renotifies, finds groups its members
/// came to share without a state change, and drops groups they no longer share.
/// </summary>
internal sealed class CompositeEvaluator
{
    private readonly IngestLimits _limits;
    private readonly MonitorRegistry _monitors;
    private readonly GroupEvaluator _evaluator;
    private readonly EngineCounters _counters;
    private readonly GroupTagIndex _groupTags;
    private readonly List<MonitorGroup> _gone = [];

    public CompositeEvaluator(IngestLimits limits, MonitorRegistry monitors, CompositeIndex index, GroupEvaluator evaluator, EngineCounters counters, GroupTagIndex groupTags)
    {
        _limits = limits;
        _monitors = monitors;
        Index = index;
        _evaluator = evaluator;
        _counters = counters;
        _groupTags = groupTags;
    }

    public CompositeIndex Index { get; }

    /// <summary>Evaluates the composite groups whose members changed state in the entry being applied, in the order they changed.</summary>
    public void Flush(long logIndex)
    {
        var changes = _evaluator.MemberChanges;
        var count = changes.Count;
        for (var i = 0; i < changes.Count; i++)
        {
            var (memberId, key, timeMs) = changes[i];
            if (!_monitors.TryGet(memberId, out var member))
            {
                continue;
            }

            var composites = Index.Using(memberId);
            for (var c = 0; c < composites.Count; c++)
            {
                var composite = composites[c];
                if (member.GroupBy.IsEmpty)
                {
                    EvaluateShared(composite, timeMs, logIndex);
                }
                else
                {
                    EvaluateKey(composite, key, timeMs, logIndex);
                }
            }
        }

        // A composite is never a member, so its transitions add no changes while these are walked.
        Invariant.Check(changes.Count == count, "composite evaluations cause no member changes");
        changes.Clear();
    }

    /// <summary>
    /// A scheduled evaluation (and the first one, when the composite is created or edited): every
    /// group the members share now, evaluated at <paramref name="atMs"/>; groups they no longer
    /// share are dropped without a transition, as group retention drops a metric monitor's.
    /// Bounded by the first grouped member's groups (at most <see cref="IngestLimits.MaxGroupsPerMonitor"/>) times the members.
    /// </summary>
    public void EvaluateAll(CompiledMonitor composite, long atMs, long logIndex)
    {
        EvaluateShared(composite, atMs, logIndex);
        Invariant.Check(_gone.Count == 0, "the dropped groups of the previous composite were cleared");
        foreach (var group in composite.Groups.Values)
        {
            if (!Shared(composite, group.Key))
            {
                _gone.Add(group);
            }
        }

        foreach (var group in _gone)
        {
            composite.TransitionFloor = Math.Max(composite.TransitionFloor, group.State.TransitionCount);
            composite.Groups.Remove(group.Key);
            _groupTags.Remove(group);
        }

        _gone.Clear();
    }

    /// <summary>
    /// A member without group-by changed: every group the members share sees it (the first grouped
    /// member's groups are the candidates, at most <see cref="IngestLimits.MaxGroupsPerMonitor"/>).
    /// </summary>
    private void EvaluateShared(CompiledMonitor composite, long atMs, long logIndex)
    {
        var driver = GroupedMember(composite);
        if (driver is null)
        {
            EvaluateKey(composite, SeriesMatcher.NoGroupKey, atMs, logIndex);
            return;
        }

        foreach (var key in driver.Groups.Keys)
        {
            EvaluateKey(composite, key, atMs, logIndex);
        }
    }

    /// <summary>Evaluates the composite's group of that key if every member has it, creating the group the first time.</summary>
    private void EvaluateKey(CompiledMonitor composite, string key, long atMs, long logIndex)
    {
        var program = composite.Composite!;
        var members = program.Members;
        Span<AlertState> states = stackalloc AlertState[CompositeQuery.MaxMembers];
        string[] tags = [];
        for (var i = 0; i < members.Length; i++)
        {
            var found = _monitors.TryGet(members[i], out var member);
            Invariant.Check(found, "a composite's members exist (deleting one is refused)");
            if (!member!.Groups.TryGetValue(member.GroupBy.IsEmpty ? SeriesMatcher.NoGroupKey : key, out var memberGroup))
            {
                // Not a group the members share (Datadog: only common reporting sources have a result).
                return;
            }

            states[i] = memberGroup.State.State;
            if (!member.GroupBy.IsEmpty)
            {
                tags = memberGroup.Tags;
            }
        }

        if (!composite.Groups.TryGetValue(key, out var group))
        {
            if (composite.Groups.Count >= _limits.MaxGroupsPerMonitor)
            {
                _counters.GroupsRefused++;
                return;
            }

            var state = GroupState.Create(key, atMs);
            state.TransitionCount = composite.TransitionFloor;
            group = new MonitorGroup(key, tags, state, checkRuns: 0) { LastReportedMs = atMs };
            composite.AddGroup(key, group);

            // Filed like every other group, so a scoped downtime reaches composite groups too and a
            // stepped delete or a regroup takes them out of the index as it does any group.
            _groupTags.Add(composite.Slot, group);
        }

        _evaluator.EvaluateComposite(composite, group, program.Evaluate(states[..members.Length]), atMs, logIndex);
    }

    private bool Shared(CompiledMonitor composite, string key)
    {
        foreach (var id in composite.Composite!.Members)
        {
            var member = _monitors.TryGet(id, out var m) ? m : null;
            if (member is null || !member.Groups.ContainsKey(member.GroupBy.IsEmpty ? SeriesMatcher.NoGroupKey : key))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The first member with a group-by (all grouped members share it), or null when none has one.</summary>
    private CompiledMonitor? GroupedMember(CompiledMonitor composite)
    {
        foreach (var id in composite.Composite!.Members)
        {
            if (_monitors.TryGet(id, out var member) && !member.GroupBy.IsEmpty)
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>
    /// Why the composite cannot run over the monitors as they are (with <paramref name="replacing"/>
    /// standing in for the monitor of its id), or null: every member exists, none is a composite
    /// (Datadog: "composite monitors cannot be based on other composite monitors", which also
    /// rules out cycles), and the grouped members share one group-by.
    /// </summary>
    public string? MembersError(CompiledMonitor composite, CompiledMonitor? replacing)
    {
        CompiledMonitor? grouped = null;
        foreach (var id in composite.Composite!.Members)
        {
            var member = replacing is not null && string.Equals(replacing.Id, id, StringComparison.Ordinal)
                ? replacing
                : _monitors.TryGet(id, out var live) ? live : null;
            if (member is null)
            {
                return $"query: member \"{id}\" is not a monitor";
            }

            if (member.Composite is not null)
            {
                return $"query: member \"{id}\" is a composite monitor; composites cannot use other composites (as in Datadog)";
            }

            if (member.GroupBy.IsEmpty)
            {
                continue;
            }

            if (grouped is null)
            {
                grouped = member;
            }
            else if (!grouped.GroupBy.SequenceEqual(member.GroupBy, StringComparer.Ordinal))
            {
                return $"query: members \"{grouped.Id}\" (by {{{string.Join(',', grouped.GroupBy)}}}) and \"{id}\" (by {{{string.Join(',', member.GroupBy)}}}) are grouped differently; a composite's grouped members share one group-by, in the same order";
            }
        }

        return null;
    }
}
