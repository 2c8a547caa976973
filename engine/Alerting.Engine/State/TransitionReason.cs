namespace Alerting.Engine.State;

/// <summary>Why an event was emitted. The numeric values are part of the event format.</summary>
public enum TransitionReason : byte
{
    ThresholdCrossed = 1,
    Recovered = 2,
    NoData = 3,
    PendingElapsed = 4,
    KeepFiringForElapsed = 5,
    AutoResolved = 6,
    MonitorEdited = 7,
    MonitorDeleted = 8,
    DowntimeEndedWhileAlerting = 9,
    Renotify = 10,
}
