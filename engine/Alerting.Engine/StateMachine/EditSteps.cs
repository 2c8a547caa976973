using System.Diagnostics.CodeAnalysis;
using Alerting.Engine.Monitors;
using Alerting.Engine.State;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Edits that keep a monitor's series selection (a new threshold, message, aggregation or option over the same
/// scope and <c>by</c>), applied to its groups in bounded deterministic steps (issue 7). The edit's entry takes
/// the groups over whole (the groups table moves to the edited monitor: no copy) and applies the edit to at most
/// <see cref="MaxGroupsPerStep"/> of them; the following ticks re-stamp the rest in key order, the same budget per
/// entry. A group not re-stamped yet is re-stamped first whenever anything else would change or read its state
/// for an evaluation, a mute refresh, a regroup or a delete (<see cref="GroupEvaluator.Bring"/>), so no group ever
/// evaluates or notifies under the new definition without the edit, nor under the old one after it.
/// </summary>
/// <remarks>
/// <para>
/// Each group gets exactly what the edit done at once gives it (<see cref="StateProcessor.OnMonitorEdited{TSink}"/>
/// with the edit's old and new rules, at the edit's time), so the states end the same; the reset events come out
/// in the entry that re-stamps the group, rendered with the chain's newest edit (the definition they come from, as
/// the edit done at once renders them: a later edit applied at once finishes the chain first, and a regroup's
/// target is not theirs).
/// An edit that changes nothing a group holds (<see cref="StateProcessor.EditChangesGroups"/>: same query, not
/// muted: a new threshold or message) has nothing to step: its entry is O(1).
/// </para>
/// <para>
/// Edits of a monitor that keeps going are chained (<see cref="EditChain"/>): a group not reached yet gets them one
/// after the other. Each group carries the log index of the last edit it has (<see cref="MonitorGroup.EditMark"/>);
/// a group that forms under the chain has them all. What a chain holds is state (snapshot format 22).
/// </para>
/// <para>
/// Monitors with notify_by keys, composites and composite members are still edited at once (the keys and the
/// composites read every group of the monitor): an edit of those first finishes the chain it has, if any.
/// </para>
/// </remarks>
internal sealed class EditSteps
{
    /// <summary>Groups a step re-stamps at most (the same budget as <see cref="MonitorDrain"/>'s).</summary>
    public const int MaxGroupsPerStep = 8_192;

    /// <summary>
    /// Edits a chain holds at most: the edit that brings it to this many finishes it in its own entry (like an edit
    /// applied at once), so a re-stamp applies at most this many edits to a group and one entry's steps cost at
    /// most <see cref="MaxGroupsPerStep"/> × this many edit applications, however many edits follow one another.
    /// </summary>
    public const int MaxChainEdits = 8;

    private readonly List<EditChain> _chains = [];
    private readonly Dictionary<CompiledMonitor, EditChain> _byHolder = new(ReferenceEqualityComparer.Instance);
    private readonly List<MonitorGroup> _chunk = [];

    /// <summary>Chains with groups still to re-stamp.</summary>
    public int Count => _chains.Count;

    /// <summary>Groups still to re-stamp, over every chain (O(chains)).</summary>
    public int GroupsLeft => _chains.Sum(c => c.Left);

    /// <summary>Groups re-stamped since start (not state, not in snapshots): the work same-selection edits cost.</summary>
    public long GroupsRestamped { get; private set; }

    /// <summary>Edits applied to groups by re-stamps since start (not state, not in snapshots): at most <see cref="MaxChainEdits"/> per re-stamp.</summary>
    public long EditsApplied { get; private set; }

    /// <summary>The chains in the order they started (the order steps take them and snapshots list them).</summary>
    public IReadOnlyList<EditChain> Chains => _chains;

    public bool TryGet(CompiledMonitor holder, [MaybeNullWhen(false)] out EditChain chain)
    {
        if (_chains.Count == 0)
        {
            chain = null;
            return false;
        }

        return _byHolder.TryGetValue(holder, out chain);
    }

    /// <summary>
    /// Whether a same-selection edit of <paramref name="holder"/>'s chain that <paramref name="group"/> has yet to get
    /// resets it (changes what the monitor measures). O(<see cref="MaxChainEdits"/>).
    /// </summary>
    public bool ResetsPending(CompiledMonitor holder, MonitorGroup group)
    {
        if (!TryGet(holder, out var chain) || group.EditMark >= chain.LastIndex)
        {
            return false;
        }

        foreach (var edit in chain.Edits)
        {
            if (edit.LogIndex > group.EditMark && StateProcessor.EditResetsGroups(edit.From.Rules, edit.To.Rules))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The edit mark of a group forming in <paramref name="monitor"/> now: it has every edit of the monitor's chain.</summary>
    public long MarkForNewGroup(CompiledMonitor monitor) => TryGet(monitor, out var chain) ? chain.LastIndex : 0;

    /// <summary>
    /// <paramref name="updated"/> (same series selection) replaced <paramref name="old"/> and took its groups: the
    /// edit joins the chain of <paramref name="old"/>, or starts one when it changes what groups hold. Every group
    /// is then to re-stamp (the walk starts again from the first key).
    /// </summary>
    public void Edited(CompiledMonitor old, CompiledMonitor updated, long atMs, long logIndex)
    {
        Invariant.Check(old.Groups.Count == 0, "an edited monitor handed its groups to the edit");
        var changes = StateProcessor.EditChangesGroups(old.Rules, updated.Rules);
        if (_byHolder.Remove(old, out var chain))
        {
            chain.Holder = updated;
            _byHolder.Add(updated, chain);
        }
        else if (!changes || updated.Groups.Count == 0)
        {
            return;
        }
        else
        {
            chain = new EditChain(updated);
            _chains.Add(chain);
            _byHolder.Add(updated, chain);
        }

        if (changes)
        {
            Invariant.Check(chain.Edits.Count == 0 || chain.LastIndex < logIndex, "a chain's edits are in log order");
            chain.Edits.Add(new ChainEdit(old, updated, atMs, logIndex));
            chain.After = null;
            chain.Left = updated.Groups.Count;
        }
    }

    /// <summary>One group was re-stamped (by a step or before it was read): the chain ends with its last group.</summary>
    public void Restamped(EditChain chain, int editsApplied)
    {
        GroupsRestamped++;
        EditsApplied += editsApplied;
        chain.Left--;
        Invariant.Check(chain.Left >= 0, "a chain re-stamps each group once per edit");
        if (chain.Left == 0)
        {
            // Bounded by the chains going (few: one per monitor edited in the last steps).
            Invariant.Check(_chains.Remove(chain) && _byHolder.Remove(chain.Holder), "a finished chain was listed by its holder");
        }
    }

    /// <summary>One step: at most <see cref="MaxGroupsPerStep"/> groups re-stamped, oldest chain first, each in key order.</summary>
    public void Step(GroupEvaluator evaluator, long logIndex) => Walk(evaluator, MaxGroupsPerStep, only: null, logIndex);

    /// <summary>
    /// Re-stamps every group left of the chain <paramref name="holder"/> holds (if any): an edit that is applied at
    /// once needs every group as the previous edits left it. Bounded by the monitor's groups.
    /// </summary>
    public void Finish(CompiledMonitor holder, GroupEvaluator evaluator, long logIndex)
    {
        if (TryGet(holder, out var chain))
        {
            Walk(evaluator, int.MaxValue, chain, logIndex);
            Invariant.Check(!_byHolder.ContainsKey(holder), "a finished chain is gone");
        }
    }

    /// <summary>Finishes the chains whose holders have this id (a composite is about to read the monitor's groups).</summary>
    public void FinishAll(string monitorId, GroupEvaluator evaluator, long logIndex)
    {
        for (var i = _chains.Count - 1; i >= 0; i--)
        {
            if (i < _chains.Count && string.Equals(_chains[i].Holder.Id, monitorId, StringComparison.Ordinal))
            {
                Finish(_chains[i].Holder, evaluator, logIndex);
            }
        }
    }

    private void Walk(GroupEvaluator evaluator, int budget, EditChain? only, long logIndex)
    {
        var i = 0;
        while (budget > 0 && i < _chains.Count)
        {
            var chain = _chains[i];
            if (only is not null && !ReferenceEquals(chain, only))
            {
                i++;
                continue;
            }

            Invariant.Check(_chunk.Count == 0, "the previous chunk was re-stamped");
            var reachedEnd = true;

            // Resuming inside the groups walks up to the key (a sorted dictionary cannot seek): compares only.
            foreach (var (key, group) in chain.Holder.Groups)
            {
                if ((chain.After is not null && string.CompareOrdinal(key, chain.After) <= 0) || group.EditMark >= chain.LastIndex)
                {
                    continue;
                }

                if (_chunk.Count == budget)
                {
                    reachedEnd = false;
                    break;
                }

                _chunk.Add(group);
            }

            if (_chunk.Count > 0)
            {
                chain.After = _chunk[^1].Key;
            }

            foreach (var group in _chunk)
            {
                evaluator.Restamp(chain, group, logIndex);
            }

            budget -= _chunk.Count;
            _chunk.Clear();
            Invariant.Check(!reachedEnd || chain.Left == 0, "a walk that reached the last group left none to re-stamp");
            if (i < _chains.Count && ReferenceEquals(_chains[i], chain))
            {
                i++;
            }
        }
    }

    /// <summary>Restores a chain read back from a snapshot (in the order they were written).</summary>
    public void Restore(EditChain chain)
    {
        Invariant.Check(chain.Left > 0 && chain.Edits.Count > 0, "a chain in a snapshot has groups to re-stamp");
        _chains.Add(chain);
        _byHolder.Add(chain.Holder, chain);
    }
}

/// <summary>The same-selection edits a monitor's groups are still to get, in log order.</summary>
internal sealed class EditChain
{
    public EditChain(CompiledMonitor holder)
    {
        Holder = holder;
    }

    /// <summary>The monitor whose groups these are: the live one, the one a regroup is letting go of, or a deleted one being drained.</summary>
    public CompiledMonitor Holder { get; set; }

    /// <summary>The edits, oldest first; a group has those up to its <see cref="MonitorGroup.EditMark"/>.</summary>
    public List<ChainEdit> Edits { get; } = [];

    /// <summary>The log index of the newest edit: a group whose mark is below it is still to re-stamp.</summary>
    public long LastIndex => Edits[^1].LogIndex;

    /// <summary>The key of the last group the walk re-stamped (null: from the first key).</summary>
    public string? After { get; set; }

    /// <summary>Groups still to re-stamp (their mark is below <see cref="LastIndex"/>).</summary>
    public int Left { get; set; }
}

/// <summary>One same-selection edit: the monitor before and after it, when (logical time) and at which log index.</summary>
internal sealed record ChainEdit(CompiledMonitor From, CompiledMonitor To, long AtMs, long LogIndex);
