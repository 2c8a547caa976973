using Alerting.Engine.Monitors;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Frees the groups of deleted monitors in bounded deterministic steps (issue 7): a delete takes
/// the monitor out of every read at once (<see cref="MonitorRegistry.Detach"/>), and its groups —
/// each with its last word (<see cref="GroupEvaluator.OnGroupDeleted"/>), then out of its series'
/// feeds and the group tag index — go at most <see cref="MaxGroupsPerStep"/> per step: the first
/// step in the delete's own entry, the next ones at the following ticks, monitors in the order
/// they were deleted and groups in key order. The slot stays reserved until the last group goes,
/// so a monitor created meanwhile (by name, under a new id) takes another slot and never meets
/// a group of the deleted one through a series' feeds.
/// </summary>
/// <remarks>
/// What is left to free is state: the draining monitors are in snapshots (format 17), with their
/// groups as they stand, so a replica restored mid-drain emits the same last words at the same
/// entries. Feeds still naming a draining monitor's slot are skipped where they would evaluate
/// (<see cref="EvaluationSchedule.Touch"/>, the scoped mute refresh); points that reach a draining
/// group's report time or check runs change nothing anyone reads.
/// </remarks>
internal sealed class MonitorDrain
{
    /// <summary>Groups a step frees at most.</summary>
    public const int MaxGroupsPerStep = 8_192;

    private readonly MonitorRegistry _monitors;
    private readonly GroupEvaluator _evaluator;
    private readonly SeriesMatcher _matcher;
    private readonly Queue<CompiledMonitor> _queue = new();
    private readonly List<MonitorGroup> _chunk = [];

    public MonitorDrain(MonitorRegistry monitors, GroupEvaluator evaluator, SeriesMatcher matcher)
    {
        _monitors = monitors;
        _evaluator = evaluator;
        _matcher = matcher;
    }

    /// <summary>Groups freed since start (not state, not in snapshots): the work deletes cost.</summary>
    public long GroupsFreed { get; private set; }

    /// <summary>Deleted monitors whose groups are not all freed yet.</summary>
    public int Count => _queue.Count;

    /// <summary>Groups left to free, over every draining monitor (O(draining monitors)).</summary>
    public int GroupsLeft => _queue.Sum(m => m.Groups.Count);

    /// <summary>The draining monitors, in the order they were deleted (the order snapshots list them).</summary>
    public IEnumerable<CompiledMonitor> Draining => _queue;

    /// <summary>Queues a monitor just detached from the registry.</summary>
    public void Enqueue(CompiledMonitor monitor)
    {
        Invariant.Check(!ReferenceEquals(_monitors.Slots[monitor.Slot], monitor), "a draining monitor is no longer live");
        _queue.Enqueue(monitor);
    }

    /// <summary>Frees up to <see cref="MaxGroupsPerStep"/> groups, oldest deleted monitor first; a monitor left without groups frees its slot.</summary>
    public void Step(long logIndex)
    {
        var budget = MaxGroupsPerStep;
        while (_queue.TryPeek(out var monitor))
        {
            Invariant.Check(_chunk.Count == 0, "the previous chunk was freed");
            foreach (var group in monitor.Groups.Values)
            {
                if (_chunk.Count == budget)
                {
                    break;
                }

                _chunk.Add(group);
            }

            foreach (var group in _chunk)
            {
                _evaluator.OnGroupDeleted(monitor, group, logIndex);
                _matcher.DropGroup(monitor, group);
                Invariant.Check(monitor.Groups.Remove(group.Key), "a freed group was one of the monitor's groups");
            }

            budget -= _chunk.Count;
            GroupsFreed += _chunk.Count;
            _chunk.Clear();
            if (monitor.Groups.Count > 0)
            {
                Invariant.Check(budget == 0, "a step stops inside a monitor only when its budget is spent");
                return;
            }

            _queue.Dequeue();
            _monitors.FreeDrained(monitor);
            if (budget == 0)
            {
                return;
            }
        }
    }

    /// <summary>Restores a draining monitor read back from a snapshot (in the order they were written).</summary>
    public void Restore(CompiledMonitor monitor) => _queue.Enqueue(monitor);
}
