namespace Alerting.Notifications;

/// <summary>An Alertmanager: <see cref="AlertmanagerPayload"/> posted to <c>{BaseUrl}/api/v2/alerts</c>.</summary>
public sealed class AlertmanagerEndpoint : NotificationEndpoint
{
    /// <summary>Alertmanager's root, e.g. <c>http://alertmanager:9093/</c> (a path prefix is kept).</summary>
    public required Uri BaseUrl { get; init; }

    private protected override Uri RequestUri => new(WithTrailingSlash(BaseUrl), "api/v2/alerts");

    private protected override byte[] Body(Notification notification, NotificationAction action, DateTimeOffset now, DeliveryOptions options) =>
        AlertmanagerPayload.Build(notification, action, now, options.AlertmanagerFiringHorizon);

    internal override void Validate()
    {
        RequireHttpUri(BaseUrl, "base_url");
        base.Validate();
    }

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
