namespace Alerting.Engine.State;

/// <summary>Whether downtimes cover a group right now (computed by <see cref="DowntimeSet.Evaluate"/> and the downtime index).</summary>
/// <param name="Muted">At least one active downtime covers the group.</param>
/// <param name="EndOnExpire">States in which a covering downtime wants a notification when it expires (Datadog <c>notify_end_types: [expired]</c>).</param>
/// <param name="EndOnCancel">States in which a covering downtime wants a notification when it is canceled (deleted or edited away).</param>
/// <param name="EndedByCancel">A canceled downtime selected the group: if the group stops being muted now, its muted period ended by a cancel.</param>
public readonly record struct MuteStatus(bool Muted, DowntimeEndStates EndOnExpire, DowntimeEndStates EndOnCancel, bool EndedByCancel = false)
{
    /// <summary>The legacy form: <paramref name="notifyEndIfAlerting"/> asks for a notification at the end, expired or canceled, while ALERT.</summary>
    public MuteStatus(bool muted, bool notifyEndIfAlerting)
        : this(muted, notifyEndIfAlerting ? DowntimeEndStates.Alert : DowntimeEndStates.None, notifyEndIfAlerting ? DowntimeEndStates.Alert : DowntimeEndStates.None)
    {
    }

    public static MuteStatus None => default;

    /// <summary>Both statuses together: muted if either is, with either's end notifications.</summary>
    public MuteStatus Or(MuteStatus other) =>
        new(Muted || other.Muted, EndOnExpire | other.EndOnExpire, EndOnCancel | other.EndOnCancel, EndedByCancel || other.EndedByCancel);
}
