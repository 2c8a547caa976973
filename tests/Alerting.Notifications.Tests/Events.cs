using Alerting.Engine.State;

namespace Alerting.Notifications.Tests;

/// <summary>Builders of transition events and notifications for tests.</summary>
internal static class Events
{
    /// <summary>2026-01-01T00:00:00Z.</summary>
    public const long BaseMs = 1_767_225_600_000;

    public static Notification Make(
        string monitorId,
        string groupKey,
        ulong number,
        AlertState previous,
        AlertState next,
        long logIndex = 0,
        bool notify = true,
        bool renotify = false,
        double value = 93.5,
        double threshold = 90,
        long timeMs = BaseMs,
        string name = "CPU high",
        string message = "CPU is high on {{host}}")
    {
        var reason = next == AlertState.Ok ? TransitionReason.Recovered : renotify ? TransitionReason.Renotify : TransitionReason.ThresholdCrossed;
        var transition = new TransitionEvent(
            monitorId, groupKey, number, previous, next, value, threshold, timeMs, logIndex == 0 ? (long)number : logIndex,
            reason, GroupFlags.None, notify, renotify);
        return new Notification(transition, name, ["team:infra", "service:web"], message);
    }

    public static Notification Trigger(string key, ulong number, long logIndex = 0) =>
        Make("m1", key, number, number == 1 ? AlertState.Ok : AlertState.Alert, AlertState.Alert, logIndex, renotify: number > 1);

    public static Notification Resolve(string key, ulong number, long logIndex = 0) =>
        Make("m1", key, number, AlertState.Alert, AlertState.Ok, logIndex, value: 42);
}
