using System.Text.Json;

namespace Alerting.Notifications;

/// <summary>
/// PagerDuty Events API v2 bodies. The <c>dedup_key</c> is the group's stable key <c>monitorId/groupKey</c>,
/// so a trigger, its renotifications and its resolve address one incident on every replica (DESIGN invariant 6).
/// </summary>
public static class PagerDutyPayload
{
    /// <summary>PagerDuty rejects a summary longer than this many characters.</summary>
    public const int MaxSummaryChars = 1024;

    /// <summary>The body for <paramref name="action"/>: a resolve carries only routing key, action and dedup key.</summary>
    public static byte[] Build(Notification notification, NotificationAction action, string routingKey)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentException.ThrowIfNullOrEmpty(routingKey);
        if (action == NotificationAction.None)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "a notification that sends nothing has no PagerDuty body");
        }

        return JsonPayload.Write(writer => Write(writer, notification, action, routingKey));
    }

    private static void Write(Utf8JsonWriter writer, Notification notification, NotificationAction action, string routingKey)
    {
        var transition = notification.Event;
        writer.WriteStartObject();
        writer.WriteString("routing_key", routingKey);
        writer.WriteString("event_action", action == NotificationAction.Resolve ? "resolve" : "trigger");
        writer.WriteString("dedup_key", notification.Id.Key);
        if (action == NotificationAction.Trigger)
        {
            writer.WriteStartObject("payload");
            writer.WriteString("summary", Summary(notification));
            // PagerDuty wants the affected system; the group (e.g. host:a) is the closest thing we have.
            writer.WriteString("source", transition.GroupKey == "*" ? notification.DisplayName : transition.GroupKey);
            writer.WriteString("severity", NotificationPolicy.SeverityOf(transition.Next));
            writer.WriteString("timestamp", JsonPayload.Time(transition.TimeMs));
            writer.WriteStartObject("custom_details");
            writer.WriteString("transition_id", notification.Id.ToString());
            writer.WriteString("monitor_id", transition.MonitorId);
            writer.WriteString("monitor_name", notification.DisplayName);
            writer.WriteString("group_key", transition.GroupKey);
            writer.WriteString("previous", NotificationPolicy.NameOf(transition.Previous));
            writer.WriteString("state", NotificationPolicy.NameOf(transition.Next));
            JsonPayload.NumberOrNull(writer, "value", transition.Value);
            JsonPayload.NumberOrNull(writer, "threshold", transition.Threshold);
            writer.WriteString("reason", transition.ReasonText);
            writer.WriteBoolean("renotify", transition.IsRenotification);
            writer.WriteStartArray("tags");
            foreach (var tag in notification.MonitorTags)
            {
                writer.WriteStringValue(tag);
            }

            writer.WriteEndArray();
            writer.WriteString("message", notification.Message);
            if (notification.Replaces.Count > 0)
            {
                writer.WriteBoolean("coalesced", true);
                JsonPayload.Ids(writer, "replaces", notification.Replaces);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static string Summary(Notification notification)
    {
        var transition = notification.Event;
        var text = notification.Message.Length > 0
            ? notification.Message
            : $"[{NotificationPolicy.NameOf(transition.Next)}] {notification.DisplayName} {transition.GroupKey}";
        return text.Length <= MaxSummaryChars ? text : text[..MaxSummaryChars];
    }
}
