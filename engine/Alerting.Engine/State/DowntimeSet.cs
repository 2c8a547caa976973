namespace Alerting.Engine.State;

/// <summary>
/// The active downtimes, kept sorted by id (ordinal) so every scan has the same order on every replica.
/// Owned by the state machine thread.
/// </summary>
public sealed class DowntimeSet
{
    /// <summary>Upper bound of downtimes held; an upsert beyond it is rejected.</summary>
    public const int MaxDowntimes = 10_000;

    private readonly List<DowntimeModel> _downtimes = [];

    public int Count => _downtimes.Count;

    /// <summary>Adds or replaces the downtime with the same id.</summary>
    /// <exception cref="OptionValidationException">Adding would exceed <see cref="MaxDowntimes"/>.</exception>
    public void Upsert(DowntimeModel downtime)
    {
        ArgumentNullException.ThrowIfNull(downtime);
        int index = IndexOf(downtime.Id);
        if (index >= 0)
        {
            _downtimes[index] = downtime;
            return;
        }

        if (_downtimes.Count >= MaxDowntimes)
        {
            throw new OptionValidationException("downtime", $"at most {MaxDowntimes} downtimes may exist");
        }

        _downtimes.Insert(~index, downtime);
    }

    public bool Remove(string downtimeId)
    {
        int index = IndexOf(downtimeId);
        if (index < 0)
        {
            return false;
        }

        _downtimes.RemoveAt(index);
        return true;
    }

    /// <summary>Whether any downtime covers the group now, and in which states those want a notification at their end.</summary>
    public MuteStatus Evaluate(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs)
    {
        bool muted = false;
        var onExpire = DowntimeEndStates.None;
        var onCancel = DowntimeEndStates.None;
        foreach (DowntimeModel downtime in _downtimes)
        {
            if (downtime.Covers(monitorId, groupKey, groupTags, nowMs))
            {
                muted = true;
                onExpire |= downtime.EndStatesOnExpire;
                onCancel |= downtime.EndStatesOnCancel;
            }
        }

        return new MuteStatus(muted, onExpire, onCancel);
    }

    /// <summary>Whether any downtime's filters select the group, whatever the time.</summary>
    public bool AnySelects(string monitorId, string groupKey, ReadOnlySpan<string> groupTags)
    {
        foreach (DowntimeModel downtime in _downtimes)
        {
            if (downtime.Selects(monitorId, groupKey, groupTags))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds the downtimes covering the group now to <paramref name="into"/>, by id.</summary>
    public void CollectCovering(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs, List<DowntimeModel> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        foreach (DowntimeModel downtime in _downtimes)
        {
            if (downtime.Covers(monitorId, groupKey, groupTags, nowMs))
            {
                into.Add(downtime);
            }
        }
    }

    private int IndexOf(string id)
    {
        int lo = 0;
        int hi = _downtimes.Count - 1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) / 2);
            int c = string.CompareOrdinal(_downtimes[mid].Id, id);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }
}
