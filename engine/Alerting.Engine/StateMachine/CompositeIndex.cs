using Alerting.Engine.Monitors;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Which composite monitors use which member: a member's state change looks up only the
/// composites that name it (bounded work, whatever the number of composites). Each list is in
/// slot order, so the composites a change touches are evaluated in the same order on every
/// replica. Derived from the definitions: rebuilt on restore, not in snapshots.
/// </summary>
internal sealed class CompositeIndex
{
    private readonly Dictionary<string, List<CompiledMonitor>> _byMember = new(StringComparer.Ordinal);

    /// <summary>Whether some composite uses the monitor.</summary>
    public bool IsUsed(string memberId) => _byMember.ContainsKey(memberId);

    /// <summary>The composites using the monitor, by slot (empty when none).</summary>
    public IReadOnlyList<CompiledMonitor> Using(string memberId) =>
        _byMember.TryGetValue(memberId, out var composites) ? composites : [];

    public void Add(CompiledMonitor composite)
    {
        Invariant.Check(composite.Composite is not null && composite.Slot >= 0, "the index holds registered composites");
        foreach (var member in composite.Composite!.Members)
        {
            if (!_byMember.TryGetValue(member, out var composites))
            {
                _byMember.Add(member, composites = new(1));
            }

            var at = composites.FindIndex(c => c.Slot >= composite.Slot);
            Invariant.Check(at < 0 || composites[at].Slot != composite.Slot, "a composite is indexed once per member");
            composites.Insert(at < 0 ? composites.Count : at, composite);
        }
    }

    public void Remove(CompiledMonitor composite)
    {
        Invariant.Check(composite.Composite is not null, "only composites are indexed");
        foreach (var member in composite.Composite!.Members)
        {
            var composites = _byMember[member];
            var removed = composites.Remove(composite);
            Invariant.Check(removed, "a composite is indexed under each of its members");
            if (composites.Count == 0)
            {
                _byMember.Remove(member);
            }
        }
    }
}
