namespace Alerting.Notifications;

/// <summary>A Slack incoming webhook: <see cref="SlackPayload"/> posted to the webhook's <see cref="Url"/>.</summary>
public sealed class SlackEndpoint : NotificationEndpoint
{
    /// <summary>The incoming webhook's URL (Slack gives it when the webhook is added to a channel).</summary>
    public required Uri Url { get; init; }

    private protected override Uri RequestUri => Url;

    private protected override byte[] Body(Notification notification, NotificationAction action, DateTimeOffset now, DeliveryOptions options) =>
        SlackPayload.Build(notification, action, GroupLink(notification.Event));
}
