namespace Alerting.Engine.State;

/// <summary>
/// One event of a monitor group: a state transition, a renotification or a downtime-end notification.
/// Its id <c>(MonitorId, GroupKey, TransitionNumber)</c> is the same on every replica (DESIGN invariant 6):
/// every event of a group, whether it changes the state or not, takes the next number, starting at 1.
/// </summary>
/// <param name="Value">The evaluated value, NaN when the evaluation had no value or the event is not from an evaluation.</param>
/// <param name="Threshold">The threshold that was crossed, NaN when no threshold decided the event.</param>
/// <param name="TimeMs">Logical unix ms of the evaluation or command that caused the event.</param>
/// <param name="LogIndex">Index of the log entry that caused the event.</param>
/// <param name="Notify">False when the group is muted or flapping: the event is recorded and delivered to subscribers but no notification goes out.</param>
/// <param name="IsRenotification">True for a renotification (the state is unchanged).</param>
public readonly record struct TransitionEvent(
    string MonitorId,
    string GroupKey,
    ulong TransitionNumber,
    AlertState Previous,
    AlertState Next,
    double Value,
    double Threshold,
    long TimeMs,
    long LogIndex,
    TransitionReason Reason,
    GroupFlags Flags,
    bool Notify,
    bool IsRenotification)
{
    public string ReasonText => TransitionReasonText.Of(Reason);

    /// <summary>True when the event changes the group's state (renotifications and downtime-end notifications do not).</summary>
    public bool ChangesState => Previous != Next;
}
