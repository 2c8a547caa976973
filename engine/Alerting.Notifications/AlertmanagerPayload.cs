using System.Text;
using System.Text.Json;
using Alerting.Engine.State;

namespace Alerting.Notifications;

/// <summary>
/// Alertmanager API v2 bodies for <c>POST /api/v2/alerts</c>.
/// </summary>
/// <remarks>
/// Alertmanager identifies an alert by the fingerprint of its labels, so the labels of a group are a
/// pure function of the monitor, the group and the severity: a trigger and its resolve carry identical
/// labels (DESIGN invariant 6). Alertmanager resolves an alert on its own once <c>endsAt</c> has passed,
/// so a firing alert is sent with <c>endsAt = send time + firing horizon</c>; every renotification (and
/// every retry) refreshes it, and the resolve sets <c>endsAt</c> to the recovery time. When a group moves
/// between non-OK states of different severity (WARN → ALERT) the alert under the old severity label is
/// resolved in the same request, or it would keep firing until its horizon ran out.
/// </remarks>
public static class AlertmanagerPayload
{
    /// <summary>Default horizon of a firing alert; the renotify interval should be shorter than this.</summary>
    public static readonly TimeSpan DefaultFiringHorizon = TimeSpan.FromHours(1);

    public static byte[] Build(Notification notification, NotificationAction action, DateTimeOffset now, TimeSpan firingHorizon) =>
        Build(notification, action, now, firingHorizon, generatorUrl: null);

    /// <summary>The body, each alert's <c>generatorURL</c> set to <paramref name="generatorUrl"/> (the group's status page view) when given.</summary>
    public static byte[] Build(Notification notification, NotificationAction action, DateTimeOffset now, TimeSpan firingHorizon, string? generatorUrl)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (action == NotificationAction.None)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "a notification that sends nothing has no Alertmanager body");
        }

        if (firingHorizon <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(firingHorizon), firingHorizon, "the firing horizon must be positive");
        }

        return JsonPayload.Write(writer => Write(writer, notification, action, now, firingHorizon, generatorUrl));
    }

    /// <summary>The labels of the group's alert under <paramref name="severity"/>, sorted by name.</summary>
    public static SortedDictionary<string, string> Labels(Notification notification, string severity)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        // Reserved labels first: the first writer of a name wins, so tags can never change the identity.
        labels["alertname"] = notification.DisplayName;
        labels["monitor_id"] = notification.Event.MonitorId;
        labels["severity"] = severity;
        var groupKey = notification.Event.GroupKey;
        if (groupKey != "*")
        {
            foreach (var tag in groupKey.Split(','))
            {
                AddTag(labels, tag);
            }
        }

        foreach (var tag in notification.MonitorTags)
        {
            AddTag(labels, tag);
        }

        return labels;
    }

    /// <summary>Alertmanager label names match <c>[a-zA-Z_][a-zA-Z0-9_]*</c>; anything else becomes '_'.</summary>
    public static string LabelName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var builder = new StringBuilder(name.Length + 1);
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            builder.Append('_');
        }

        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return builder.ToString();
    }

    private static void AddTag(SortedDictionary<string, string> labels, string tag)
    {
        var colon = tag.IndexOf(':', StringComparison.Ordinal);
        // A bare tag has no value; Alertmanager drops empty labels, so it becomes "true".
        var (name, value) = colon < 0 ? (tag, "true") : (tag[..colon], tag[(colon + 1)..]);
        labels.TryAdd(LabelName(name), value);
    }

    private static void Write(Utf8JsonWriter writer, Notification notification, NotificationAction action, DateTimeOffset now, TimeSpan firingHorizon, string? generatorUrl)
    {
        var transition = notification.Event;
        var eventTime = JsonPayload.Time(transition.TimeMs);
        writer.WriteStartArray();
        if (action == NotificationAction.Resolve)
        {
            WriteAlert(writer, notification, NotificationPolicy.SeverityOf(transition.Previous), eventTime, eventTime, generatorUrl);
        }
        else
        {
            var severity = NotificationPolicy.SeverityOf(transition.Next);
            WriteAlert(writer, notification, severity, eventTime, JsonPayload.Time(now + firingHorizon), generatorUrl);
            if (transition.Previous != AlertState.Ok)
            {
                var previousSeverity = NotificationPolicy.SeverityOf(transition.Previous);
                if (previousSeverity != severity)
                {
                    WriteAlert(writer, notification, previousSeverity, eventTime, eventTime, generatorUrl);
                }
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteAlert(Utf8JsonWriter writer, Notification notification, string severity, string startsAt, string endsAt, string? generatorUrl)
    {
        var transition = notification.Event;
        writer.WriteStartObject();
        writer.WriteStartObject("labels");
        foreach (var (name, value) in Labels(notification, severity))
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
        writer.WriteStartObject("annotations");
        writer.WriteString("summary", notification.Message);
        writer.WriteString("value", JsonPayload.NumberText(transition.Value));
        writer.WriteString("threshold", JsonPayload.NumberText(transition.Threshold));
        writer.WriteString("state", NotificationPolicy.NameOf(transition.Next));
        writer.WriteString("reason", transition.ReasonText);
        writer.WriteString("transition_id", notification.Id.ToString());
        if (notification.Replaces.Count > 0)
        {
            // Annotations are strings: the coalesced ids, comma-separated.
            writer.WriteString("replaces", string.Join(",", notification.Replaces));
        }

        writer.WriteEndObject();
        writer.WriteString("startsAt", startsAt);
        writer.WriteString("endsAt", endsAt);
        if (generatorUrl is not null)
        {
            writer.WriteString("generatorURL", generatorUrl);
        }

        writer.WriteEndObject();
    }
}
