using System.Text;
using System.Text.Json;

namespace Alerting.Notifications;

/// <summary>
/// Slack incoming-webhook bodies: a fallback <c>text</c> (shown in notifications) and Block Kit
/// <c>blocks</c>: a <c>header</c> (state and monitor), a <c>section</c> with the state change,
/// group, value and threshold as fields, a <c>section</c> with the message, and, when the status
/// page's address is configured, an <c>actions</c> block with a button linking to the group's view.
/// Text is cut to Slack's limits and <c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c> are escaped as Slack's
/// mrkdwn requires.
/// </summary>
public static class SlackPayload
{
    /// <summary>Slack's limit on a header block's plain text.</summary>
    public const int MaxHeaderChars = 150;

    /// <summary>Slack's limit on a section's text and a field's text.</summary>
    public const int MaxSectionChars = 3000;

    /// <summary>Slack's limit on a field's text.</summary>
    public const int MaxFieldChars = 2000;

    /// <summary>Slack's limit on a button's URL.</summary>
    public const int MaxUrlChars = 3000;

    public static byte[] Build(Notification notification, NotificationAction action, string? link)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (action == NotificationAction.None)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "a notification that sends nothing has no Slack body");
        }

        return JsonPayload.Write(writer => Write(writer, notification, action, link));
    }

    /// <summary>The header line, e.g. <c>[ALERT] CPU high</c> or <c>[Resolved] CPU high</c>.</summary>
    public static string Title(Notification notification, NotificationAction action)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var state = action == NotificationAction.Resolve ? "Resolved" : NotificationPolicy.NameOf(notification.Event.Next);
        return $"[{state}] {notification.DisplayName}";
    }

    private static void Write(Utf8JsonWriter writer, Notification notification, NotificationAction action, string? link)
    {
        var transition = notification.Event;
        var title = Title(notification, action);
        writer.WriteStartObject();
        writer.WriteString("text", Cut(title + (transition.GroupKey == "*" ? "" : " on " + transition.GroupKey), MaxSectionChars));
        writer.WriteStartArray("blocks");

        writer.WriteStartObject();
        writer.WriteString("type", "header");
        PlainText(writer, "text", Cut(title, MaxHeaderChars));
        writer.WriteEndObject();

        writer.WriteStartObject();
        writer.WriteString("type", "section");
        writer.WriteStartArray("fields");
        Field(writer, "State", NotificationPolicy.NameOf(transition.Previous) + " → " + NotificationPolicy.NameOf(transition.Next) + (transition.IsRenotification ? " (renotification)" : ""));
        Field(writer, "Group", transition.GroupKey);
        Field(writer, "Value", double.IsFinite(transition.Value) ? JsonPayload.NumberText(transition.Value) : "no value");
        Field(writer, "Threshold", double.IsFinite(transition.Threshold) ? JsonPayload.NumberText(transition.Threshold) : "none");
        writer.WriteEndArray();
        writer.WriteEndObject();

        if (notification.Message.Length > 0)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "section");
            writer.WriteStartObject("text");
            writer.WriteString("type", "mrkdwn");
            writer.WriteString("text", Cut(Escape(notification.Message), MaxSectionChars));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteStartObject();
        writer.WriteString("type", "context");
        writer.WriteStartArray("elements");
        writer.WriteStartObject();
        writer.WriteString("type", "mrkdwn");
        var context = new StringBuilder();
        context.Append("Transition ").Append(Escape(notification.Id.ToString())).Append(" at ").Append(JsonPayload.Time(transition.TimeMs)).Append(" (").Append(Escape(transition.ReasonText)).Append(')');
        if (notification.Replaces.Count > 0)
        {
            context.Append("; replaces ").Append(Escape(string.Join(", ", notification.Replaces)));
        }

        writer.WriteString("text", Cut(context.ToString(), MaxSectionChars));
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();

        if (link is not null && link.Length <= MaxUrlChars)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "actions");
            writer.WriteStartArray("elements");
            writer.WriteStartObject();
            writer.WriteString("type", "button");
            PlainText(writer, "text", "Status page");
            writer.WriteString("url", link);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void Field(Utf8JsonWriter writer, string name, string value)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "mrkdwn");
        writer.WriteString("text", Cut("*" + name + "*\n" + Escape(value), MaxFieldChars));
        writer.WriteEndObject();
    }

    private static void PlainText(Utf8JsonWriter writer, string name, string text)
    {
        writer.WriteStartObject(name);
        writer.WriteString("type", "plain_text");
        writer.WriteString("text", text);
        writer.WriteEndObject();
    }

    /// <summary>Slack's mrkdwn control characters; everything else is literal.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
    }

    /// <summary>At most <paramref name="max"/> characters, ending in '…' when cut (never inside a surrogate pair).</summary>
    internal static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var end = max - 1;
        if (char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }

        return string.Concat(text.AsSpan(0, end), "…");
    }
}
