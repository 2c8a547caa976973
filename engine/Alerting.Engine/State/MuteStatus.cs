namespace Alerting.Engine.State;

/// <summary>Whether downtimes cover a group right now (computed by <see cref="DowntimeSet.Evaluate"/>).</summary>
/// <param name="Muted">At least one active downtime covers the group.</param>
/// <param name="NotifyEndIfAlerting">At least one of the covering downtimes asks for a notification when it ends while the group is ALERT.</param>
public readonly record struct MuteStatus(bool Muted, bool NotifyEndIfAlerting)
{
    public static MuteStatus None => default;

    /// <summary>Both statuses together: muted if either is, with either's end notification.</summary>
    public MuteStatus Or(MuteStatus other) => new(Muted || other.Muted, NotifyEndIfAlerting || other.NotifyEndIfAlerting);
}
