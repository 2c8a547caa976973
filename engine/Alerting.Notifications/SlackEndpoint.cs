namespace Alerting.Notifications;

/// <summary>A Slack incoming webhook: <see cref="SlackPayload"/> posted to the webhook's <see cref="Url"/>.</summary>
public sealed class SlackEndpoint : HttpNotificationEndpoint
{
    /// <summary>The incoming webhook's URL (Slack gives it when the webhook is added to a channel).</summary>
    public required Uri Url { get; init; }

    /// <summary>The body as a Liquid template (see <see cref="PayloadTemplate"/>); null: the built-in body.</summary>
    public PayloadTemplate? BodyTemplate { get; init; }

    private protected override Uri RequestUri => Url;

    private protected override byte[] Body(Notification notification, NotificationAction action, DateTimeOffset now, DeliveryOptions options) =>
        BodyTemplate?.Render(notification, action, GroupLink(notification.Event)) ?? SlackPayload.Build(notification, action, GroupLink(notification.Event));
}
