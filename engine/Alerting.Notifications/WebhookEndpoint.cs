namespace Alerting.Notifications;

/// <summary>A generic webhook: <see cref="WebhookPayload"/> posted to <see cref="Url"/> with the configured headers.</summary>
public sealed class WebhookEndpoint : HttpNotificationEndpoint
{
    public required Uri Url { get; init; }

    /// <summary>Extra request headers, e.g. an authorization token.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The body as a Liquid template (see <see cref="PayloadTemplate"/>); null: the built-in body.</summary>
    public PayloadTemplate? BodyTemplate { get; init; }

    private protected override Uri RequestUri => Url;

    private protected override byte[] Body(Notification notification, NotificationAction action, DateTimeOffset now, DeliveryOptions options) =>
        BodyTemplate?.Render(notification, action, GroupLink(notification.Event)) ?? WebhookPayload.Build(notification);

    private protected override void AddHeaders(HttpRequestMessage request)
    {
        foreach (var (name, value) in Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
