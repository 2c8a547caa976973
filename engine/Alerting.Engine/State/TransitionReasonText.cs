namespace Alerting.Engine.State;

/// <summary>The human-readable text of each <see cref="TransitionReason"/>; constant strings, so events allocate nothing.</summary>
public static class TransitionReasonText
{
    public static string Of(TransitionReason reason) => reason switch
    {
        TransitionReason.ThresholdCrossed => "threshold crossed",
        TransitionReason.Recovered => "recovered",
        TransitionReason.NoData => "no data",
        TransitionReason.PendingElapsed => "pending elapsed",
        TransitionReason.KeepFiringForElapsed => "keep_firing_for elapsed",
        TransitionReason.AutoResolved => "auto-resolved",
        TransitionReason.MonitorEdited => "monitor edited (state no longer meaningful)",
        TransitionReason.MonitorDeleted => "monitor deleted",
        TransitionReason.DowntimeEndedWhileAlerting => "downtime ended while alerting",
        TransitionReason.Renotify => "renotify",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "unknown transition reason"),
    };
}
