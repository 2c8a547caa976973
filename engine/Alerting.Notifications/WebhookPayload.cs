using System.Text.Json;

namespace Alerting.Notifications;

/// <summary>
/// The generic webhook body: the whole transition under its stable id, the action it asks for, the
/// rendered message and the monitor's name and tags.
/// </summary>
public static class WebhookPayload
{
    public static byte[] Build(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return JsonPayload.Write(writer => Write(writer, notification));
    }

    private static void Write(Utf8JsonWriter writer, Notification notification)
    {
        var transition = notification.Event;
        writer.WriteStartObject();
        writer.WriteString("id", notification.Id.ToString());
        writer.WriteString("action", NotificationPolicy.ActionOf(transition) == NotificationAction.Resolve ? "resolve" : "trigger");
        writer.WriteStartObject("monitor");
        writer.WriteString("id", transition.MonitorId);
        writer.WriteString("name", notification.DisplayName);
        writer.WriteStartArray("tags");
        foreach (var tag in notification.MonitorTags)
        {
            writer.WriteStringValue(tag);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteStartObject("transition");
        writer.WriteString("monitor_id", transition.MonitorId);
        writer.WriteString("group_key", transition.GroupKey);
        writer.WriteNumber("transition_number", transition.TransitionNumber);
        writer.WriteString("previous", NotificationPolicy.NameOf(transition.Previous));
        writer.WriteString("state", NotificationPolicy.NameOf(transition.Next));
        JsonPayload.NumberOrNull(writer, "value", transition.Value);
        JsonPayload.NumberOrNull(writer, "threshold", transition.Threshold);
        writer.WriteString("time", JsonPayload.Time(transition.TimeMs));
        writer.WriteNumber("log_index", transition.LogIndex);
        writer.WriteString("reason", transition.ReasonText);
        JsonPayload.Flags(writer, "flags", transition.Flags);
        writer.WriteBoolean("renotify", transition.IsRenotification);
        writer.WriteEndObject();
        writer.WriteString("message", notification.Message);
        if (notification.Replaces.Count > 0)
        {
            writer.WriteBoolean("coalesced", true);
            JsonPayload.Ids(writer, "replaces", notification.Replaces);
        }

        writer.WriteEndObject();
    }
}
