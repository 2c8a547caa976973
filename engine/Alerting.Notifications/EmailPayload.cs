using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using MimeKit;

namespace Alerting.Notifications;

/// <summary>
/// The email for one notification: <c>multipart/alternative</c> with a plain-text part and a simple HTML
/// part showing the same content. Subject <c>[ALERT] name on group</c> (<c>[Resolved] …</c> on a resolve)
/// unless the endpoint's subject template says otherwise. <c>Message-ID</c> is derived from the transition
/// id (<see cref="MessageId"/>): the same on every retry, replica and failover, so a duplicate is
/// recognisable; <c>References</c> names the group's thread id, so mail clients thread a group's mails.
/// Headers <c>X-Alerting-Term</c> and <c>X-Alerting-Transition-Id</c> are those of the HTTP receivers.
/// </summary>
public static class EmailPayload
{
    /// <summary>Domain of the generated ids when the sender's address has none usable.</summary>
    public const string FallbackDomain = "alerting.invalid";

    public static MimeMessage Build(EmailEndpoint endpoint, Notification notification, NotificationAction action, DateTimeOffset now, ulong term)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(notification);
        if (action == NotificationAction.None)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "a notification that sends nothing has no email");
        }

        var link = endpoint.GroupLink(notification.Event);
        var from = Address(endpoint.From, "from");
        var domain = from.Domain.Length > 0 && !from.Domain.Contains(' ', StringComparison.Ordinal) ? from.Domain : FallbackDomain;
        var subject = endpoint.SubjectTemplate?.RenderText(notification, action, link) ?? Subject(notification, action);
        var text = endpoint.BodyTemplate?.RenderText(notification, action, link) ?? Text(notification, action, link);
        var html = endpoint.BodyTemplate is null ? Html(notification, action, link) : HtmlOf(text);

        var message = new MimeMessage();
        message.From.Add(from);
        foreach (var to in endpoint.To)
        {
            message.To.Add(Address(to, "to"));
        }

        message.Subject = OneLine(subject);
        message.Date = now;
        message.MessageId = MessageId(notification.Id, domain);
        message.References.Add(ThreadId(notification.Id, domain));
        message.Headers.Add(NotificationEndpoint.TermHeader, term.ToString(CultureInfo.InvariantCulture));
        message.Headers.Add(NotificationEndpoint.TransitionIdHeader, notification.Id.ToString());
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }

    /// <summary>
    /// <c>{hash of the transition id}.{transition number}@{domain}</c> (without the angle brackets): a function of
    /// the transition id alone, and a valid <c>msg-id</c> whatever characters the monitor id and group key hold.
    /// </summary>
    public static string MessageId(TransitionId id, string domain) =>
        Hash(id.ToString()) + "." + id.TransitionNumber.ToString(CultureInfo.InvariantCulture) + "@" + domain;

    /// <summary>The group's thread id, <c>{hash of monitorId/groupKey}@{domain}</c>: every message of a group references it.</summary>
    public static string ThreadId(TransitionId id, string domain) => Hash(id.Key) + "@" + domain;

    /// <summary>The built-in subject: <c>[ALERT] CPU high on host:a</c>.</summary>
    public static string Subject(Notification notification, NotificationAction action)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var group = notification.Event.GroupKey;
        return SlackPayload.Title(notification, action) + (group == "*" ? "" : " on " + group);
    }

    /// <summary>Parses one address (<c>name &lt;a@b&gt;</c> or <c>a@b</c>); <see cref="ArgumentException"/> naming <paramref name="field"/>.</summary>
    public static MailboxAddress Address(string text, string field)
    {
        if (!string.IsNullOrWhiteSpace(text) && MailboxAddress.TryParse(text, out var address) && address.Address.Contains('@', StringComparison.Ordinal))
        {
            return address;
        }

        throw new ArgumentException($"{field}: \"{text}\" is not an email address (e.g. alerts@example.org or Alerting <alerts@example.org>)", field);
    }

    private static IEnumerable<(string Name, string Value)> Facts(Notification notification, NotificationAction action, string? link)
    {
        var e = notification.Event;
        yield return ("State", $"{NotificationPolicy.NameOf(e.Previous)} → {NotificationPolicy.NameOf(e.Next)}{(e.IsRenotification ? " (renotification)" : "")}");
        yield return ("Group", e.GroupKey);
        yield return ("Value", Number(e.Value));
        yield return ("Threshold", Number(e.Threshold));
        yield return ("Time", JsonPayload.Time(e.TimeMs));
        yield return ("Reason", e.ReasonText);
        yield return ("Monitor", e.MonitorId);
        yield return ("Transition", notification.Id.ToString());
        if (notification.Replaces.Count > 0)
        {
            yield return ("Replaces", string.Join(", ", notification.Replaces));
        }

        if (link is not null)
        {
            yield return ("Status page", link);
        }
    }

    private static string Text(Notification notification, NotificationAction action, string? link)
    {
        var text = new StringBuilder();
        text.Append(Subject(notification, action)).Append("\n\n");
        if (notification.Message.Length > 0)
        {
            text.Append(notification.Message).Append("\n\n");
        }

        foreach (var (name, value) in Facts(notification, action, link))
        {
            text.Append(name).Append(": ").Append(value).Append('\n');
        }

        return text.ToString();
    }

    private static string Html(Notification notification, NotificationAction action, string? link)
    {
        var html = new StringBuilder();
        html.Append("<html><body>\n<h2>").Append(WebUtility.HtmlEncode(Subject(notification, action))).Append("</h2>\n");
        if (notification.Message.Length > 0)
        {
            html.Append("<p>").Append(Lines(notification.Message)).Append("</p>\n");
        }

        html.Append("<table>\n");
        foreach (var (name, value) in Facts(notification, action, link))
        {
            var shown = name == "Status page"
                ? $"<a href=\"{WebUtility.HtmlEncode(value)}\">{WebUtility.HtmlEncode(value)}</a>"
                : WebUtility.HtmlEncode(value);
            html.Append("<tr><th align=\"left\">").Append(WebUtility.HtmlEncode(name)).Append("</th><td>").Append(shown).Append("</td></tr>\n");
        }

        return html.Append("</table>\n</body></html>\n").ToString();
    }

    /// <summary>A template's text as HTML: escaped, its lines kept.</summary>
    private static string HtmlOf(string text) => "<html><body>\n<p>" + Lines(text) + "</p>\n</body></html>\n";

    private static string Lines(string text) => WebUtility.HtmlEncode(text).ReplaceLineEndings("<br>\n");

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Number(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "none";

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
}
