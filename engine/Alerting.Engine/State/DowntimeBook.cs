using Alerting.Protocol.Log;

namespace Alerting.Engine.State;

/// <summary>
/// The downtimes the log defined: each definition as written (what snapshots and reads return,
/// by id) and its compiled model (what mutes groups). The two are kept in step: an id is in both
/// or in neither.
/// </summary>
internal sealed class DowntimeBook
{
    private readonly SortedDictionary<string, Downtime> _definitions = new(StringComparer.Ordinal);
    private readonly DowntimeSet _active = new();

    public int Count => _definitions.Count;

    /// <summary>Definitions, by id (ordinal).</summary>
    public IEnumerable<Downtime> Definitions => _definitions.Values;

    /// <summary>Adds or replaces a downtime; false (nothing changed) when it is invalid or the book is full.</summary>
    public bool TryUpsert(Downtime downtime)
    {
        DowntimeModel model;
        try
        {
            model = DowntimeModel.FromProto(downtime);
        }
        catch (OptionValidationException)
        {
            return false;
        }

        if (!_definitions.ContainsKey(downtime.Id) && _definitions.Count >= DowntimeSet.MaxDowntimes)
        {
            return false;
        }

        _active.Upsert(model);
        _definitions[downtime.Id] = downtime;
        Invariant.Check(_active.Count == _definitions.Count, "every downtime definition has its model, and no model is without one");
        return true;
    }

    /// <summary>Removes a downtime; false when there was none of that id.</summary>
    public bool Remove(string id)
    {
        _active.Remove(id);
        var removed = _definitions.Remove(id);
        Invariant.Check(_active.Count == _definitions.Count, "every downtime definition has its model, and no model is without one");
        return removed;
    }

    /// <summary>Whether a downtime covers the group now (see <see cref="DowntimeSet.Evaluate"/>).</summary>
    public MuteStatus Evaluate(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs) =>
        _active.Evaluate(monitorId, groupKey, groupTags, nowMs);
}
