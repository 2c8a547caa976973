namespace Alerting.Notifications;

/// <summary>
/// The stable identity of a transition, <c>(monitor id, group key, transition number)</c>: the same on
/// every replica and after any failover (DESIGN invariant 6), so receivers can deduplicate.
/// </summary>
public readonly record struct TransitionId(string MonitorId, string GroupKey, ulong TransitionNumber)
{
    /// <summary>The stable key of the group, <c>monitorId/groupKey</c>: PagerDuty's <c>dedup_key</c> and the per-key ordering unit.</summary>
    public string Key => MonitorId + "/" + GroupKey;

    public override string ToString() => MonitorId + "/" + GroupKey + "/" + TransitionNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
