namespace Alerting.Server.Notifications;

/// <summary>One configured receiver: <c>Notifications:Endpoints:i</c> in the settings.</summary>
public sealed class NotificationEndpointOptions
{
    /// <summary>Unique name; a monitor's message routes to it with <c>@Name</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>webhook</c>, <c>alertmanager</c> or <c>pagerduty</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>
    /// Webhook: the URL posted to. Alertmanager: the base URL (alerts go to <c>{Url}/api/v2/alerts</c>).
    /// PagerDuty: optional, the Events v2 enqueue URL (default PagerDuty's public one).
    /// </summary>
    public string Url { get; set; } = "";

    /// <summary>PagerDuty only: the integration's routing key.</summary>
    public string RoutingKey { get; set; } = "";

    /// <summary>Webhook only: extra request headers (e.g. <c>Authorization</c>).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
}
