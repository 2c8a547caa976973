using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Alerting.Engine.State;

namespace Alerting.Notifications;

/// <summary>
/// Opsgenie Alert API v2 bodies. A trigger creates the alert (<c>POST /v2/alerts</c>) and a resolve
/// closes it (<c>POST /v2/alerts/{alias}/close?identifierType=alias</c>); the <c>alias</c> is the
/// group's stable key <c>monitorId/groupKey</c>, Opsgenie's deduplication key, so a trigger, its
/// renotifications (counted by Opsgenie as repeats) and its resolve address one alert on every
/// replica (DESIGN invariant 6). Fields are cut to Opsgenie's documented limits.
/// </summary>
public static class OpsgeniePayload
{
    /// <summary>Opsgenie's limit on <c>message</c>.</summary>
    public const int MaxMessageChars = 130;

    /// <summary>Opsgenie's limit on <c>alias</c> (and <c>entity</c>).</summary>
    public const int MaxAliasChars = 512;

    /// <summary>Opsgenie's limit on <c>description</c>.</summary>
    public const int MaxDescriptionChars = 15_000;

    /// <summary>Opsgenie's limits on <c>tags</c>: how many, and the length of each.</summary>
    public const int MaxTags = 20;

    public const int MaxTagChars = 50;

    /// <summary>Opsgenie's limit on <c>source</c>.</summary>
    public const int MaxSourceChars = 100;

    /// <summary>What the payloads give as their <c>source</c>.</summary>
    public const string Source = "alerting";

    /// <summary>
    /// The alias of the group's alert: its key <c>monitorId/groupKey</c>, or, when that is longer than
    /// Opsgenie allows, its start and a hash of the whole key (still one alias per group).
    /// </summary>
    public static string Alias(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var key = notification.Id.Key;
        if (key.Length <= MaxAliasChars)
        {
            return key;
        }

        var hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key)).ToString("x16", CultureInfo.InvariantCulture);
        return string.Concat(key.AsSpan(0, MaxAliasChars - 17), "#", hash);
    }

    /// <summary>Opsgenie's priority of a state: ALERT is P1, WARN and NO_DATA P3, OK P5.</summary>
    public static string PriorityOf(AlertState state) => state switch
    {
        AlertState.Alert => "P1",
        AlertState.Warn or AlertState.NoData => "P3",
        _ => "P5",
    };

    public static byte[] Build(Notification notification, NotificationAction action, string? link)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return action switch
        {
            NotificationAction.Trigger => JsonPayload.Write(writer => WriteCreate(writer, notification, link)),
            NotificationAction.Resolve => JsonPayload.Write(writer => WriteClose(writer, notification)),
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, "a notification that sends nothing has no Opsgenie body"),
        };
    }

    private static void WriteCreate(Utf8JsonWriter writer, Notification notification, string? link)
    {
        var transition = notification.Event;
        writer.WriteStartObject();
        writer.WriteString("message", SlackPayload.Cut($"[{NotificationPolicy.NameOf(transition.Next)}] {notification.DisplayName}" + (transition.GroupKey == "*" ? "" : " on " + transition.GroupKey), MaxMessageChars));
        writer.WriteString("alias", Alias(notification));
        writer.WriteString("description", SlackPayload.Cut(notification.Message, MaxDescriptionChars));
        writer.WriteStartArray("tags");
        foreach (var tag in notification.MonitorTags.Where(t => t.Length <= MaxTagChars).Take(MaxTags))
        {
            writer.WriteStringValue(tag);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("details");
        writer.WriteString("monitor_id", transition.MonitorId);
        writer.WriteString("group", transition.GroupKey);
        writer.WriteString("previous", NotificationPolicy.NameOf(transition.Previous));
        writer.WriteString("state", NotificationPolicy.NameOf(transition.Next));
        writer.WriteString("value", JsonPayload.NumberText(transition.Value));
        writer.WriteString("threshold", JsonPayload.NumberText(transition.Threshold));
        writer.WriteString("reason", transition.ReasonText);
        writer.WriteString("transition_id", notification.Id.ToString());
        writer.WriteString("time", JsonPayload.Time(transition.TimeMs));
        if (link is not null)
        {
            writer.WriteString("status_page", link);
        }

        if (notification.Replaces.Count > 0)
        {
            // Details are string to string: the coalesced ids, comma-separated.
            writer.WriteString("replaces", string.Join(",", notification.Replaces));
        }

        writer.WriteEndObject();
        writer.WriteString("entity", SlackPayload.Cut(transition.GroupKey == "*" ? notification.DisplayName : transition.GroupKey, MaxAliasChars));
        writer.WriteString("source", Source);
        writer.WriteString("priority", PriorityOf(transition.Next));
        writer.WriteEndObject();
    }

    private static void WriteClose(Utf8JsonWriter writer, Notification notification)
    {
        writer.WriteStartObject();
        writer.WriteString("source", Source);
        writer.WriteString("note", SlackPayload.Cut($"Recovered ({notification.Event.ReasonText}), transition {notification.Id}", MaxDescriptionChars));
        writer.WriteEndObject();
    }
}
