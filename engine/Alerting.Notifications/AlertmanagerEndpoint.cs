using System.Text;

namespace Alerting.Notifications;

/// <summary>
/// An Alertmanager: <see cref="AlertmanagerPayload"/> posted to <c>{BaseUrl}/api/v2/alerts</c>, each
/// alert's <c>generatorURL</c> the group's status page view (when <see cref="NotificationEndpoint.StatusPageUrl"/>
/// is set), with HTTP Basic or Bearer authentication for an Alertmanager behind a proxy that asks for it.
/// </summary>
public sealed class AlertmanagerEndpoint : HttpNotificationEndpoint
{
    /// <summary>Alertmanager's root, e.g. <c>http://alertmanager:9093/</c> (a path prefix is kept).</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>HTTP Basic user name; set with <see cref="Password"/>, not with <see cref="BearerToken"/>.</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer {token}</c>.</summary>
    public string? BearerToken { get; init; }

    /// <summary>Extra request headers (not <c>Authorization</c> when Basic or Bearer is set).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    private protected override Uri RequestUri => new(WithTrailingSlash(BaseUrl), "api/v2/alerts");

    private protected override byte[] Body(Notification notification, NotificationAction action, DateTimeOffset now, DeliveryOptions options) =>
        AlertmanagerPayload.Build(notification, action, now, options.AlertmanagerFiringHorizon, GroupLink(notification.Event));

    private protected override void AddHeaders(HttpRequestMessage request)
    {
        foreach (var (name, value) in Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (Username is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Username + ":" + Password)));
        }
        else if (BearerToken is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", BearerToken);
        }
    }

    internal override void Validate()
    {
        RequireHttpUri(BaseUrl, "base_url");
        if (Username is not null && BearerToken is not null)
        {
            throw new ArgumentException($"endpoint '{Name}': set either username/password (Basic) or bearer_token, not both", nameof(BearerToken));
        }

        if ((Username is null) != (Password is null))
        {
            throw new ArgumentException($"endpoint '{Name}': Basic authentication needs both username and password", nameof(Password));
        }

        if ((Username is not null || BearerToken is not null) && Headers.Keys.Any(h => string.Equals(h, "Authorization", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"endpoint '{Name}': an Authorization header and Basic or Bearer authentication exclude each other", nameof(Headers));
        }

        base.Validate();
    }

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
