namespace Alerting.Server.Notifications;

/// <summary>One configured receiver: <c>Notifications:Endpoints:i</c> in the settings.</summary>
public sealed class NotificationEndpointOptions
{
    /// <summary>Unique name; a monitor's message routes to it with <c>@Name</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>webhook</c>, <c>alertmanager</c>, <c>pagerduty</c>, <c>slack</c> or <c>opsgenie</c>.</summary>
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
    /// (see docs/notifications.md, "Payload templates"); empty: the built-in body.
    /// </summary>
    public string BodyTemplate { get; set; } = "";

    /// <summary>Opsgenie only: the API key of the Opsgenie API integration (sent as <c>GenieKey</c>).</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Alertmanager only: HTTP Basic user name (with <see cref="Password"/>).</summary>
    public string Username { get; set; } = "";

    /// <summary>Alertmanager only: HTTP Basic password.</summary>
    public string Password { get; set; } = "";

    /// <summary>Alertmanager only: sent as <c>Authorization: Bearer</c>.</summary>
    public string BearerToken { get; set; } = "";

    /// <summary>Webhook and Alertmanager: extra request headers (e.g. <c>Authorization</c>).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
}
