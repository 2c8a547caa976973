using Alerting.Protocol.Log;

namespace Alerting.Engine.State;

/// <summary>
/// The downtimes the log defined: each definition as written (what snapshots and reads return,
/// by id) and its compiled model (what mutes groups), indexed by the monitor it names, so that
/// a group's mute reads only its monitor's downtimes and the monitor-less (scope) ones, and a
/// downtime command refreshes only the monitors it can cover.
/// </summary>
internal sealed class DowntimeBook
{
    private readonly SortedDictionary<string, Downtime> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DowntimeSet> _byMonitor = new(StringComparer.Ordinal);

    /// <summary>Downtimes that name no monitor: they may cover a group of any monitor.</summary>
    private readonly DowntimeSet _anyMonitor = new();

    private int _modelCount;

    public int Count => _definitions.Count;

    /// <summary>Definitions, by id (ordinal).</summary>
    public IEnumerable<Downtime> Definitions => _definitions.Values;

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

        SetOf(model.MonitorId, create: true)!.Upsert(model);
        _modelCount++;
        _definitions[downtime.Id] = downtime;
        Invariant.Check(_modelCount == _definitions.Count, "every downtime definition has its model, and no model is without one");
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
        Invariant.Check(_modelCount == _definitions.Count, "every downtime definition has its model, and no model is without one");
        reach = DowntimeReach.Of(previous);
        return true;
    }

    /// <summary>Whether a downtime covers the group now: the monitor's own downtimes and the monitor-less ones.</summary>
    public MuteStatus Evaluate(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs)
    {
        var any = _anyMonitor.Count == 0 ? MuteStatus.None : _anyMonitor.Evaluate(monitorId, groupKey, groupTags, nowMs);
        if (!_byMonitor.TryGetValue(monitorId, out var own))
        {
            return any;
        }

        var mine = own.Evaluate(monitorId, groupKey, groupTags, nowMs);
        return new MuteStatus(any.Muted || mine.Muted, any.NotifyEndIfAlerting || mine.NotifyEndIfAlerting);
    }

    private void RemoveModel(Downtime definition)
    {
        var monitorId = definition.MonitorId.Length == 0 ? null : definition.MonitorId;
        var set = SetOf(monitorId, create: false);
        Invariant.Check(set is not null && set.Remove(definition.Id), "a downtime's model is filed under the monitor its definition names");
        _modelCount--;
        if (monitorId is not null && set.Count == 0)
        {
            _byMonitor.Remove(monitorId);
        }
    }

    private DowntimeSet? SetOf(string? monitorId, bool create)
    {
        if (monitorId is null)
        {
            return _anyMonitor;
        }

        if (!_byMonitor.TryGetValue(monitorId, out var set) && create)
        {
            _byMonitor.Add(monitorId, set = new DowntimeSet());
        }

        return set;
    }
}
