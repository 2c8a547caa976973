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

    /// <summary>
    /// Downtimes canceled (deleted, or replaced by an edit) whose mute refresh is not finished: a group
    /// they select that stops being muted before the refresh reaches it ended its period by a cancel.
    /// Kept by id (the latest cancel of an id), until <see cref="ForgetCanceled"/>.
    /// </summary>
    private readonly SortedDictionary<string, Downtime> _canceledDefinitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DowntimeModel> _canceledModels = new(StringComparer.Ordinal);
    private readonly DowntimeIndex _canceled = new();

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
            RemoveModel(previous);
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

        RemoveModel(previous);
        Invariant.Check(_models.Count == _definitions.Count && _active.Count == _models.Count, "every downtime definition has its model, filed once");
        reach = DowntimeReach.Of(previous);
        return true;
    }

    /// <summary>Whether a downtime covers the group now: only the downtimes the index files where the group can find them are read.</summary>
    public MuteStatus Evaluate(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs)
    {
        var status = _active.Evaluate(monitorId, groupKey, groupTags, nowMs);
        return _canceled.Count > 0 && _canceled.AnySelects(monitorId, groupKey, groupTags) ? status with { EndedByCancel = true } : status;
    }

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

    /// <summary>Canceled downtimes still remembered (see <see cref="ForgetCanceled"/>).</summary>
    public int CanceledCount => _canceledDefinitions.Count;

    /// <summary>Canceled definitions still remembered, by id (for snapshots).</summary>
    public IEnumerable<Downtime> CanceledDefinitions => _canceledDefinitions.Values;

    /// <summary>Called when every mute refresh is done: each group a canceled downtime selected has seen its end.</summary>
    public void ForgetCanceled()
    {
        foreach (var model in _canceledModels.Values)
        {
            Invariant.Check(_canceled.Remove(model), "a canceled downtime is filed in the canceled index");
        }

        _canceledModels.Clear();
        _canceledDefinitions.Clear();
    }

    /// <summary>Restores a canceled definition from a snapshot.</summary>
    public void RestoreCanceled(Downtime definition) => Cancel(definition, DowntimeModel.FromProto(definition));

    /// <summary>Takes the downtime out of the active index and the calendar; it is remembered as canceled.</summary>
    private void RemoveModel(Downtime previous)
    {
        Invariant.Check(_models.Remove(previous.Id, out var model) && _active.Remove(model!), "a downtime's model is filed where its filters put it");
        _calendar.Disarm(previous.Id);
        Cancel(previous, model!);
    }

    private void Cancel(Downtime definition, DowntimeModel model)
    {
        if (_canceledModels.Remove(model.Id, out var earlier))
        {
            _canceled.Remove(earlier);
        }

        _canceled.Add(model);
        _canceledModels.Add(model.Id, model);
        _canceledDefinitions[model.Id] = definition;
    }
}
