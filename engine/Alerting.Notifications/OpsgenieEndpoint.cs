namespace Alerting.Notifications;

/// <summary>
/// An Opsgenie integration (API key of an "API" integration): <see cref="OpsgeniePayload"/> posted to
/// the Alert API v2 with <c>Authorization: GenieKey {ApiKey}</c>; a trigger creates, a resolve closes by alias.
/// </summary>
public sealed class OpsgenieEndpoint : HttpNotificationEndpoint
{
    /// <summary>Opsgenie's public API root, the default of <see cref="BaseUrl"/> (EU accounts use <c>https://api.eu.opsgenie.com</c>).</summary>
    public static readonly Uri DefaultBaseUrl = new("https://api.opsgenie.com/");

    /// <summary>The API root; configurable for EU accounts, proxies and tests.</summary>
    public Uri BaseUrl { get; init; } = DefaultBaseUrl;

    /// <summary>The integration's API key.</summary>
    public required string ApiKey { get; init; }

    /// <summary>The create request's body as a Liquid template (see <see cref="PayloadTemplate"/>); null: the built-in one. A close keeps the built-in body.</summary>
    public PayloadTemplate? BodyTemplate { get; init; }

    private protected override Uri RequestUri => new(Root, "v2/alerts");

    private Uri Root => BaseUrl.AbsoluteUri.EndsWith('/') ? BaseUrl : new Uri(BaseUrl.AbsoluteUri + "/");

    private protected override Uri RequestUriFor(Notification notification, NotificationAction action) =>
        action == NotificationAction.Resolve
            ? new Uri(Root, "v2/alerts/" + Uri.EscapeDataString(OpsgeniePayload.Alias(notification)) + "/close?identifierType=alias")
            : RequestUri;

    private protected override byte[] Body(Notification notification, NotificationAction action, DateTimeOffset now, DeliveryOptions options) =>
        action == NotificationAction.Trigger && BodyTemplate is not null
            ? BodyTemplate.Render(notification, action, GroupLink(notification.Event))
            : OpsgeniePayload.Build(notification, action, GroupLink(notification.Event));

    private protected override void AddHeaders(HttpRequestMessage request) =>
        request.Headers.TryAddWithoutValidation("Authorization", "GenieKey " + ApiKey);

    internal override void Validate()
    {
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            throw new ArgumentException($"endpoint '{Name}': api_key must not be empty", nameof(ApiKey));
        }

        RequireHttpUri(BaseUrl, "base_url");
        base.Validate();
    }
}
