namespace Alerting.Notifications;

/// <summary>A PagerDuty service integration: <see cref="PagerDutyPayload"/> posted to the Events API v2.</summary>
public sealed class PagerDutyEndpoint : HttpNotificationEndpoint
{
    /// <summary>PagerDuty's public Events API v2 enqueue URL, the default of <see cref="Url"/>.</summary>
    public static readonly Uri DefaultEventsUrl = new("https://events.pagerduty.com/v2/enqueue");

    /// <summary>Where events go; configurable for regional accounts, proxies and tests.</summary>
    public Uri Url { get; init; } = DefaultEventsUrl;

    /// <summary>The integration key of the PagerDuty service.</summary>
    public required string RoutingKey { get; init; }

    private protected override Uri RequestUri => Url;

    private protected override byte[] Body(Notification notification, NotificationAction action, DateTimeOffset now, DeliveryOptions options) =>
        PagerDutyPayload.Build(notification, action, RoutingKey);

    internal override void Validate()
    {
        if (string.IsNullOrWhiteSpace(RoutingKey))
        {
            throw new ArgumentException($"endpoint '{Name}': routing_key must not be empty", nameof(RoutingKey));
        }

        base.Validate();
    }
}
