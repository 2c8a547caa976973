namespace Alerting.Server.Notifications;

/// <summary>One configured receiver: <c>Notifications:Endpoints:i</c> in the settings.</summary>
public sealed class NotificationEndpointOptions
{
    /// <summary>Unique name; a monitor's message routes to it with <c>@Name</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>webhook</c>, <c>alertmanager</c>, <c>pagerduty</c>, <c>slack</c>, <c>opsgenie</c> or <c>email</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>
    /// Webhook: the URL posted to. Alertmanager: the base URL (alerts go to <c>{Url}/api/v2/alerts</c>).
    /// PagerDuty: optional, the Events v2 enqueue URL (default PagerDuty's public one). Slack: the
    /// incoming webhook's URL. Opsgenie: optional, the API root (default Opsgenie's public one).
    /// </summary>
    public string Url { get; set; } = "";

    /// <summary>PagerDuty only: the integration's routing key.</summary>
    public string RoutingKey { get; set; } = "";

    /// <summary>
    /// Webhook, Slack and Opsgenie (its create request): the request body as a Liquid template
    /// (see docs/notifications.md, "Payload templates"); empty: the built-in body. Email: the
    /// plain-text body as a Liquid template (its output is text, not JSON).
    /// </summary>
    public string BodyTemplate { get; set; } = "";

    /// <summary>Opsgenie only: the API key of the Opsgenie API integration (sent as <c>GenieKey</c>).</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Alertmanager: HTTP Basic user name (with <see cref="Password"/>). Email: the SMTP login (empty: no AUTH).</summary>
    public string Username { get; set; } = "";

    /// <summary>Alertmanager: HTTP Basic password. Email: the SMTP password.</summary>
    public string Password { get; set; } = "";

    /// <summary>Email only: the SMTP server's host name or address.</summary>
    public string Host { get; set; } = "";

    /// <summary>Email only: the SMTP server's port; 0: 587 with STARTTLS, 25 without.</summary>
    public int Port { get; set; }

    /// <summary>Email only: <c>starttls</c> (the default; required, not opportunistic) or <c>none</c>.</summary>
    public string Security { get; set; } = "starttls";

    /// <summary>Email only: the sender, e.g. <c>Alerting &lt;alerts@example.org&gt;</c>.</summary>
    public string From { get; set; } = "";

    /// <summary>Email only: the recipients.</summary>
    public List<string> To { get; } = [];

    /// <summary>Email only: the subject as a Liquid template; empty: <c>[ALERT] name on group</c>.</summary>
    public string SubjectTemplate { get; set; } = "";

    /// <summary>Alertmanager only: sent as <c>Authorization: Bearer</c>.</summary>
    public string BearerToken { get; set; } = "";

    /// <summary>Webhook and Alertmanager: extra request headers (e.g. <c>Authorization</c>).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
}
