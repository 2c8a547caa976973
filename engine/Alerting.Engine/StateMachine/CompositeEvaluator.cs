using System.Collections.Immutable;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.State;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Evaluates composite monitors. A composite's groups are the groups of its most finely grouped
/// member (its driver) that every member has: a member grouped by a subset of the driver's tags
/// takes part through its group of the same values of those tags (Datadog: <c>by {host}</c> goes
/// with <c>by {device,host}</c>), a member without group-by through its one group <c>*</c>.
/// </summary>
/// <remarks>
/// A member group's state change is queued (in the order changes happen) and evaluates the composite
/// groups over it in each composite using the member (<see cref="CompositeIndex"/>): one group for a
/// member grouped like the composite, the groups <see cref="CompositeProjections"/> files under it
/// for a coarser one. The queue is drained after the entry's own evaluations, at most
/// <see cref="IngestLimits.CompositeEvaluationStep"/> evaluations (and composites visited) per
/// entry; what is left goes on in the next entries, from where it stopped (a composite slot and the
/// last group key done), and is in snapshots. The composite's own schedule (its interval)
/// renotifies, finds groups its members came to share without a state change, and drops groups
/// they no longer share.
/// </remarks>
internal sealed class CompositeEvaluator
{
    private readonly IngestLimits _limits;
    private readonly MonitorRegistry _monitors;
    private readonly GroupEvaluator _evaluator;
    private readonly EngineCounters _counters;
    private readonly GroupTagIndex _groupTags;
    private readonly SeriesMatcher _matcher;
    private readonly List<MonitorGroup> _gone = [];
    private readonly List<MonitorGroup> _carriedOnly = [];
    private readonly CompositeProjections _projections = new();

    /// <summary>Member changes still to evaluate, oldest first; the first may be part done.</summary>
    private readonly Queue<PendingChange> _pending = new();

    /// <summary>The queued changes not started yet, by member and group: a repeat change joins the queued one.</summary>
    private readonly Dictionary<(string MemberId, string GroupKey), PendingChange> _unstarted = [];

    public CompositeEvaluator(IngestLimits limits, MonitorRegistry monitors, CompositeIndex index, GroupEvaluator evaluator, EngineCounters counters, SeriesMatcher matcher)
    {
        _matcher = matcher;
        _limits = limits;
        _monitors = monitors;
        Index = index;
        _evaluator = evaluator;
        _counters = counters;
        _groupTags = matcher.GroupTags;
        _groupTags.Projections = _projections;
    }

    public CompositeIndex Index { get; }

    /// <summary>Member changes queued and not yet fully evaluated.</summary>
    public int Pending => _pending.Count;

    /// <summary>Composite group evaluations (and composites visited) spent on member changes since start (not state: the work the step bounds, for tests).</summary>
    public long StepWork { get; private set; }

    /// <summary>
    /// Queues the member changes of the entry being applied, in the order they happened, then
    /// evaluates queued changes until the queue is empty or the entry's step is spent.
    /// </summary>
    public void Flush(long logIndex)
    {
        var changes = _evaluator.MemberChanges;
        foreach (var (memberId, key, timeMs) in changes)
        {
            if (_unstarted.TryGetValue((memberId, key), out var queued))
            {
                // Not evaluated yet: it will read the member's state as it is then, at the later time.
                queued.TimeMs = Math.Max(queued.TimeMs, timeMs);
                continue;
            }

            var change = new PendingChange(memberId, key, timeMs);
            _pending.Enqueue(change);
            _unstarted.Add((memberId, key), change);
        }

        changes.Clear();
        var budget = _limits.CompositeEvaluationStep;
        while (budget > 0 && _pending.TryPeek(out var change))
        {
            if (!change.Started)
            {
                change.Started = true;
                _unstarted.Remove((change.MemberId, change.GroupKey));
            }

            if (Step(change, ref budget, logIndex))
            {
                _pending.Dequeue();
            }
        }

        // A composite is never a member, so its transitions add no changes while these are evaluated.
        Invariant.Check(changes.Count == 0, "composite evaluations cause no member changes");
    }

    /// <summary>
    /// Evaluates a queued change in the composites using its member, from where it stopped;
    /// true when done, false when the budget ran out first (its place is kept in the change).
    /// </summary>
    private bool Step(PendingChange change, ref int budget, long logIndex)
    {
        var composites = Index.Using(change.MemberId);
        var found = _monitors.TryGet(change.MemberId, out var member);
        for (var c = 0; c < composites.Count; c++)
        {
            var composite = composites[c];
            if (composite.Slot < change.Slot)
            {
                continue;
            }

            if (composite.Slot > change.Slot)
            {
                change.Slot = composite.Slot;
                change.AfterKey = null;
            }

            if (budget <= 0)
            {
                return false;
            }

            // With budget left a composite evaluates at least one group, so every step makes progress.
            var before = budget;
            if (found && !EvaluateOver(composite, member!, change, ref budget, logIndex))
            {
                return false;
            }

            if (budget == before)
            {
                // A composite with nothing to evaluate over the change still costs its visit.
                budget--;
                StepWork++;
            }

            change.Slot = composite.Slot + 1;
            change.AfterKey = null;
        }

        return true;
    }

    /// <summary>
    /// Evaluates the composite's groups over the changed member group, after <see cref="PendingChange.AfterKey"/>,
    /// one unit of budget each; false when the budget ran out first. Called with budget left.
    /// </summary>
    private bool EvaluateOver(CompiledMonitor composite, CompiledMonitor member, PendingChange change, ref int budget, long logIndex)
    {
        var driver = Driver(composite);
        if (driver is null)
        {
            budget--;
            StepWork++;
            EvaluateKey(composite, SeriesMatcher.NoGroupKey, change.TimeMs, logIndex);
            return true;
        }

        if (member.GroupBy.Length == driver.GroupBy.Length)
        {
            // Grouped like the composite (by the same tags, maybe in another order): one group, which it may create.
            var key = change.GroupKey;
            if (!member.GroupBy.SequenceEqual(driver.GroupBy, StringComparer.Ordinal))
            {
                // The same tags in another order: the driver's key of the member group's tags.
                if (!member.Groups.TryGetValue(change.GroupKey, out var memberGroup)
                    || CompositeProjections.Project(memberGroup.Tags, driver.GroupBy) is not { } driverKey)
                {
                    return true;
                }

                key = driverKey;
            }

            budget--;
            StepWork++;
            EvaluateKey(composite, key, change.TimeMs, logIndex);
            return true;
        }

        // A member grouped by some of the driver's tags (or none): every driver group with its values.
        var over = _projections.Over(driver, member.GroupBy, change.GroupKey);
        if (over is null || (change.AfterKey is not null && string.CompareOrdinal(change.AfterKey, over.Max) >= 0))
        {
            return true;
        }

        var keys = change.AfterKey is null ? over : over.GetViewBetween(change.AfterKey, over.Max!);
        foreach (var key in keys)
        {
            if (change.AfterKey is not null && string.CompareOrdinal(key, change.AfterKey) <= 0)
            {
                continue;
            }

            if (budget <= 0)
            {
                return false;
            }

            budget--;
            StepWork++;

            // A composite group's evaluation (which may create it) adds and drops no driver group, so the set holds still.
            EvaluateKey(composite, key, change.TimeMs, logIndex);
            change.AfterKey = key;
        }

        return true;
    }

    /// <summary>
    /// A scheduled evaluation (and the first one, when the composite is created or edited): every
    /// group the members share now, evaluated at <paramref name="atMs"/>; groups they no longer
    /// share are dropped without a transition, as group retention drops a metric monitor's.
    /// A group a member still matching has not formed yet is neither dropped nor invented: it is
    /// evaluated over the state the member's group will take (carried by a regroup), or held as it
    /// is when that is not known yet (see <see cref="ReadStates"/>).
    /// Bounded by the driver's groups (at most <see cref="IngestLimits.MaxGroupsPerMonitor"/>) times the members.
    /// </summary>
    public void EvaluateAll(CompiledMonitor composite, long atMs, long logIndex)
    {
        var driver = Driver(composite);
        if (driver is null)
        {
            EvaluateKey(composite, SeriesMatcher.NoGroupKey, atMs, logIndex);
        }
        else
        {
            foreach (var key in driver.Groups.Keys)
            {
                EvaluateKey(composite, key, atMs, logIndex);
            }
        }

        Invariant.Check(_gone.Count == 0 && _carriedOnly.Count == 0, "the dropped groups of the previous composite were cleared");
        Span<AlertState> states = stackalloc AlertState[CompositeQuery.MaxMembers];
        foreach (var group in composite.Groups.Values)
        {
            switch (ReadStates(composite, group.Key, states, out _))
            {
                case Shared.No:
                    _gone.Add(group);
                    break;
                case Shared.Yes when driver is not null && !driver.Groups.ContainsKey(group.Key):
                    // The driver is matching and has not formed this group again yet: its carried state stands for it.
                    _carriedOnly.Add(group);
                    break;
            }
        }

        foreach (var group in _gone)
        {
            composite.TransitionFloor = Math.Max(composite.TransitionFloor, group.State.TransitionCount);
            composite.Groups.Remove(group.Key);
            composite.NotifyKeys?.Leave(group);
            _groupTags.Remove(group);
        }

        foreach (var group in _carriedOnly)
        {
            EvaluateKey(composite, group.Key, atMs, logIndex);
        }

        _gone.Clear();
        _carriedOnly.Clear();
    }

    /// <summary>Evaluates the composite's group of that key (a key of its driver) if every member has its group there, creating the group the first time.</summary>
    private void EvaluateKey(CompiledMonitor composite, string key, long atMs, long logIndex)
    {
        var program = composite.Composite!;
        Span<AlertState> states = stackalloc AlertState[CompositeQuery.MaxMembers];
        if (ReadStates(composite, key, states, out var tags) != Shared.Yes)
        {
            // Not a group the members share (Datadog: only common reporting sources have a result), or
            // one whose state a member still matching does not know yet: held until it does.
            return;
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

        _evaluator.EvaluateComposite(composite, group, program.Evaluate(states[..program.Members.Length]), atMs, logIndex);
    }

    /// <summary>
    /// Each member's state in the composite group of <paramref name="key"/> (a key of the driver,
    /// <c>*</c> when no member is grouped), and that group's tags. A member grouped more coarsely
    /// reads its group of the driver group's values of its tags. A member still matching (new, or
    /// regrouped in steps) that has not formed that group yet reads the state the group will take
    /// (<see cref="SeriesMatcher.TryStateBeforeForming"/>), as if its match had been done at once;
    /// when that is not known either the answer is <see cref="Shared.NotYet"/>. <see cref="Shared.No"/>:
    /// a member that is not matching has no group there.
    /// </summary>
    private Shared ReadStates(CompiledMonitor composite, string key, Span<AlertState> states, out string[] tags)
    {
        tags = [];
        var members = composite.Composite!.Members;
        var driver = Driver(composite);
        if (driver is not null)
        {
            if (driver.Groups.TryGetValue(key, out var driverGroup))
            {
                tags = driverGroup.Tags;
            }
            else if (!_matcher.IsMatching(driver.Slot))
            {
                return Shared.No;
            }
            else if (!composite.Groups.TryGetValue(key, out var held))
            {
                return Shared.NotYet;
            }
            else if (CompositeProjections.Project(held.Tags, driver.GroupBy) != key)
            {
                // Formed over the driver's groups before an edit regrouped it by other tags: never formed again.
                return Shared.No;
            }
            else
            {
                // The driver's group of this key has not formed again yet: the composite's group has its tags.
                tags = held.Tags;
            }
        }

        var result = Shared.Yes;
        for (var i = 0; i < members.Length; i++)
        {
            var found = _monitors.TryGet(members[i], out var member);
            Invariant.Check(found, "a composite's members exist (deleting one is refused)");
            var memberKey = member!.GroupBy.IsEmpty ? SeriesMatcher.NoGroupKey
                : member.GroupBy.SequenceEqual(driver!.GroupBy, StringComparer.Ordinal) ? key
                : CompositeProjections.Project(tags, member.GroupBy);
            if (memberKey is not null && member.Groups.TryGetValue(memberKey, out var memberGroup))
            {
                states[i] = memberGroup.State.State;
            }
            else if (!_matcher.IsMatching(member.Slot) || memberKey is null)
            {
                return Shared.No;
            }
            else if (_matcher.TryStateBeforeForming(member.Slot, memberKey, out var before))
            {
                states[i] = before;
            }
            else
            {
                result = Shared.NotYet;
            }
        }

        return result;
    }

    /// <summary>Whether the members share a composite group (<see cref="ReadStates"/>).</summary>
    private enum Shared
    {
        /// <summary>A member that is not matching has no group there: no composite group.</summary>
        No,

        /// <summary>Every member's state there is known.</summary>
        Yes,

        /// <summary>A member still matching does not know its state there yet: the composite group is held as it is.</summary>
        NotYet,
    }

    /// <summary>
    /// The member whose groups are the composite's: the one grouped by the most tags (the first of
    /// them in member order), or null when no member has a group-by. The others' group-bys are
    /// subsets of its (see <see cref="MembersError"/>).
    /// </summary>
    private CompiledMonitor? Driver(CompiledMonitor composite)
    {
        CompiledMonitor? driver = null;
        foreach (var id in composite.Composite!.Members)
        {
            if (_monitors.TryGet(id, out var member) && member.GroupBy.Length > (driver?.GroupBy.Length ?? 0))
            {
                driver = member;
            }
        }

        return driver;
    }

    /// <summary>Writes the queued member changes, oldest first, with where the first one stands.</summary>
    public void WriteQueueTo(BinaryWriter writer)
    {
        writer.Write(_pending.Count);
        foreach (var change in _pending)
        {
            writer.Write(change.MemberId);
            writer.Write(change.GroupKey);
            writer.Write(change.TimeMs);
            writer.Write(change.Started);
            writer.Write(change.Slot);
            writer.Write(change.AfterKey is not null);
            if (change.AfterKey is not null)
            {
                writer.Write(change.AfterKey);
            }
        }
    }

    /// <summary>Reads what <see cref="WriteQueueTo"/> wrote into an empty queue.</summary>
    public void ReadQueueFrom(BinaryReader reader)
    {
        Invariant.Check(_pending.Count == 0, "a snapshot's queue is read into an empty one");
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"composite queue length {count} is negative");
        }

        for (var i = 0; i < count; i++)
        {
            var change = new PendingChange(reader.ReadString(), reader.ReadString(), reader.ReadInt64())
            {
                Started = reader.ReadBoolean(),
                Slot = reader.ReadInt32(),
            };
            change.AfterKey = reader.ReadBoolean() ? reader.ReadString() : null;
            _pending.Enqueue(change);
            if (!change.Started && !_unstarted.TryAdd((change.MemberId, change.GroupKey), change))
            {
                throw new InvalidDataException($"composite queue holds two unstarted changes of group \"{change.GroupKey}\" of monitor \"{change.MemberId}\"");
            }
        }
    }

    /// <summary>A member group's state change waiting for (the rest of) its composite evaluations.</summary>
    private sealed class PendingChange(string memberId, string groupKey, long timeMs)
    {
        public string MemberId { get; } = memberId;

        public string GroupKey { get; } = groupKey;

        /// <summary>When it changed (the latest, if it changed again before it was started): the composite groups are evaluated then.</summary>
        public long TimeMs { get; set; } = timeMs;

        /// <summary>Whether a step evaluated part of it: a later change of the same group queues anew.</summary>
        public bool Started { get; set; }

        /// <summary>The slot of the composite it is at (composites using the member are in slot order).</summary>
        public int Slot { get; set; }

        /// <summary>Inside that composite, the last group key evaluated (null: none yet).</summary>
        public string? AfterKey { get; set; }
    }

    /// <summary>
    /// Why the composite cannot run over the monitors as they are (with <paramref name="replacing"/>
    /// standing in for the monitor of its id), or null: every member exists, none is a composite
    /// (Datadog: "composite monitors cannot be based on other composite monitors", which also
    /// rules out cycles), and each grouped member is grouped by a subset of the tags of the most
    /// finely grouped one (Datadog: <c>by {host}</c> combines with <c>by {device,host}</c>, while
    /// <c>by {host,url}</c> and <c>by {device,host}</c> "may not create a composite result because
    /// the groupings are too different").
    /// </summary>
    public string? MembersError(CompiledMonitor composite, CompiledMonitor? replacing)
    {
        CompiledMonitor? driver = null;
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

            if (member.GroupBy.Length > (driver?.GroupBy.Length ?? 0))
            {
                driver = member;
            }
        }

        if (driver is null)
        {
            return NotifyByError(composite, null);
        }

        foreach (var id in composite.Composite!.Members)
        {
            var member = replacing is not null && string.Equals(replacing.Id, id, StringComparison.Ordinal) ? replacing : _monitors.TryGet(id, out var live) ? live : null;
            foreach (var name in member!.GroupBy)
            {
                if (!driver.GroupBy.Contains(name, StringComparer.Ordinal))
                {
                    return $"query: members \"{driver.Id}\" (by {Braces(driver)}) and \"{id}\" (by {Braces(member)}) are grouped too differently: each grouped member of a composite must be grouped by some of the tags of the most finely grouped one (tag \"{name}\" is not among them)";
                }
            }
        }

        return NotifyByError(composite, driver);

        static string Braces(CompiledMonitor m) => $"{{{string.Join(',', m.GroupBy)}}}";
    }

    /// <summary>
    /// Why the composite's <c>notify_by</c> does not fit the tags it is grouped by (its driver's group-by), or null:
    /// each entry is one of them (Datadog: "tags mentioned in notify_by must be a subset of the grouping tags"), or
    /// <c>["*"]</c> alone over grouped members. Naming every one of them is refused where a metric monitor accepts it
    /// and notifies per group: a composite's keys are found by tag name, so each key would be a group under the
    /// group's own name with numbers of its own (DESIGN invariant 6); without <c>notify_by</c> it notifies per group.
    /// Checked whenever the composite or a member changes, so every group of the composite has the tags.
    /// </summary>
    private static string? NotifyByError(CompiledMonitor composite, CompiledMonitor? driver)
    {
        if (!composite.NotifiesPerKey)
        {
            return null;
        }

        var notifyBy = composite.Definition.Options.NotifyBy;
        const string field = MonitorCompiler.NotifyByField;
        var whole = notifyBy.Count == 1 && notifyBy[0] == NotifyKeyTable.WholeMonitorKey;
        if (driver is null)
        {
            return whole
                ? $"{field}[0]: no member has a group-by, so the composite has one group and already notifies once: leave notify_by empty"
                : $"{field}[0]: \"{notifyBy[0]}\" is not a tag the composite is grouped by: no member has a group-by (use [\"*\"] or leave notify_by empty)";
        }

        if (whole)
        {
            return null;
        }

        var grouping = $"{string.Join(", ", driver.GroupBy)}: the group-by of member \"{driver.Id}\"";
        for (var i = 0; i < notifyBy.Count; i++)
        {
            if (!driver.GroupBy.Contains(notifyBy[i], StringComparer.Ordinal))
            {
                return $"{field}[{i}]: \"{notifyBy[i]}\" is not one of the tags the composite is grouped by ({grouping})";
            }
        }

        return notifyBy.Count == driver.GroupBy.Length
            ? $"{field}: names every tag the composite is grouped by ({grouping}); a composite notifies per group without notify_by, so leave it empty"
            : null;
    }
}
