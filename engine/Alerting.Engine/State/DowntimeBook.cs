using Alerting.Protocol.Log;

namespace Alerting.Engine.State;

/// <summary>
/// The downtimes the log defined: each definition as written (what snapshots and reads return, by
/// id), its compiled model filed in a <see cref="DowntimeIndex"/> (what mutes groups: a group reads
/// only the downtimes that can select it), and its boundaries on a <see cref="DowntimeCalendar"/>
/// (when a downtime starts or ends, on logical time).
/// </summary>
internal sealed class DowntimeBook
{
    private readonly SortedDictionary<string, Downtime> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DowntimeModel> _models = new(StringComparer.Ordinal);
    private readonly DowntimeIndex _active = new();
    private readonly DowntimeCalendar _calendar = new();

    public int Count => _definitions.Count;

    /// <summary>Definitions, by id (ordinal).</summary>
    public IEnumerable<Downtime> Definitions => _definitions.Values;

    /// <summary>Downtimes with a boundary still ahead, armed on the calendar (0 before it starts).</summary>
    public int ArmedBoundaries => _calendar.Count;

    /// <summary>
    /// Adds or replaces a downtime; false (nothing changed) when it is invalid or the book is
    /// full. <paramref name="reach"/> says which monitors the change can affect.
    /// </summary>
    public bool TryUpsert(Downtime downtime, out DowntimeReach reach)
    {
        reach = default;
        DowntimeModel model;
        try
        {
            model = DowntimeModel.FromProto(downtime);
        }
        catch (OptionValidationException)
        {
            return false;
        }

        var previous = _definitions.GetValueOrDefault(downtime.Id);
        if (previous is null && _definitions.Count >= DowntimeSet.MaxDowntimes)
        {
            return false;
        }

        if (previous is not null)
        {
            RemoveModel(downtime.Id);
        }

        _active.Add(model);
        _models.Add(model.Id, model);
        _definitions[downtime.Id] = downtime;
        _calendar.Arm(model);
        Invariant.Check(_models.Count == _definitions.Count && _active.Count == _models.Count, "every downtime definition has its model, filed once");
        reach = DowntimeReach.Of(previous).With(downtime);
        return true;
    }

    /// <summary>Removes a downtime; false when there was none of that id.</summary>
    public bool Remove(string id, out DowntimeReach reach)
    {
        reach = default;
        if (!_definitions.Remove(id, out var previous))
        {
            return false;
        }

        RemoveModel(id);
        Invariant.Check(_models.Count == _definitions.Count && _active.Count == _models.Count, "every downtime definition has its model, filed once");
        reach = DowntimeReach.Of(previous);
        return true;
    }

    /// <summary>Whether a downtime covers the group now: only the downtimes the index files where the group can find them are read.</summary>
    public MuteStatus Evaluate(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs) =>
        _active.Evaluate(monitorId, groupKey, groupTags, nowMs);

    /// <summary>The downtimes covering the group now, by id (what the index finds; for reads and tests).</summary>
    public void CollectCovering(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs, List<DowntimeModel> into) =>
        _active.CollectCovering(monitorId, groupKey, groupTags, nowMs, into);

    /// <summary>Starts the boundary calendar at <paramref name="nowMs"/> (the first tick, or a restore), arming every downtime.</summary>
    public void StartCalendar(long nowMs) =>
        _calendar.Start(nowMs, _definitions.Keys.Select(id => _models[id]));

    public bool CalendarStarted => _calendar.IsStarted;

    /// <summary>
    /// Moves the calendar to <paramref name="nowMs"/>: adds to <paramref name="reached"/> the reach of each
    /// downtime whose boundary passed, by (due, id), and re-arms it at its next boundary.
    /// </summary>
    public void AdvanceCalendar(long nowMs, List<DowntimeReach> reached)
    {
        ArgumentNullException.ThrowIfNull(reached);
        foreach (var (_, id) in _calendar.Advance(nowMs))
        {
            var model = _models[id];
            _calendar.Arm(model);
            reached.Add(DowntimeReach.Of(_definitions[id]));
        }
    }

    private void RemoveModel(string id)
    {
        Invariant.Check(_models.Remove(id, out var model) && _active.Remove(model!), "a downtime's model is filed where its filters put it");
        _calendar.Disarm(id);
    }
}
