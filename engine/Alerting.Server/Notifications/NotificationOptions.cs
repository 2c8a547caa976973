using System.Text.RegularExpressions;
using Alerting.Notifications;
using Alerting.Server.Hosting;

namespace Alerting.Server.Notifications;

/// <summary>
/// The <c>Notifications</c> section of the settings: the endpoints, and the ones that receive
/// the events of monitors whose message mentions none (<c>Default</c>).
/// </summary>
public sealed partial class NotificationOptions
{
    public const string TypeWebhook = "webhook";

    public const string TypeAlertmanager = "alertmanager";

    public const string TypePagerDuty = "pagerduty";

    /// <summary>Longest endpoint name; names are also log entry fields and ledger keys.</summary>
    public const int MaxNameLength = 64;

    public List<NotificationEndpointOptions> Endpoints { get; } = [];

    /// <summary>Names of the endpoints that receive events of monitors whose message mentions no endpoint.</summary>
    public List<string> Default { get; } = [];

    /// <summary>Delivery limits and timings, the same for every endpoint.</summary>
    public NotificationDeliveryOptions Delivery { get; } = new();

    /// <summary>Checks the section; throws <see cref="ServerOptionsException"/> naming the field at fault.</summary>
    public void Validate()
    {
        Delivery.Validate();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Endpoints.Count; i++)
        {
            var endpoint = Endpoints[i];
            var field = $"Notifications:Endpoints:{i}";
            if (endpoint.Name.Length is 0 or > MaxNameLength || !NamePattern().IsMatch(endpoint.Name))
            {
                throw new ServerOptionsException(
                    $"{field}:Name \"{endpoint.Name}\" is not a usable endpoint name: use 1 to {MaxNameLength} letters, digits, '_', '-' or '.' (messages route to it with @name)");
            }

            if (!names.Add(endpoint.Name))
            {
                throw new ServerOptionsException($"{field}:Name \"{endpoint.Name}\" is used by another endpoint; names must be unique");
            }

            switch (endpoint.Type.ToLowerInvariant())
            {
                case TypeWebhook:
                case TypeAlertmanager:
                    RequireHttpUrl(endpoint.Url, $"{field}:Url", required: true);
                    break;
                case TypePagerDuty:
                    RequireHttpUrl(endpoint.Url, $"{field}:Url", required: false);
                    if (string.IsNullOrWhiteSpace(endpoint.RoutingKey))
                    {
                        throw new ServerOptionsException($"{field}:RoutingKey must be set for a pagerduty endpoint (the integration key of the PagerDuty service)");
                    }

                    break;
                default:
                    throw new ServerOptionsException(
                        $"{field}:Type \"{endpoint.Type}\" is not an endpoint type: use {TypeWebhook}, {TypeAlertmanager} or {TypePagerDuty}");
            }
        }

        for (var i = 0; i < Default.Count; i++)
        {
            if (!names.Contains(Default[i]))
            {
                throw new ServerOptionsException(
                    $"Notifications:Default:{i} \"{Default[i]}\" names no configured endpoint (configured: {(names.Count == 0 ? "none" : string.Join(", ", names.Order(StringComparer.Ordinal)))})");
            }
        }
    }

    /// <summary>The library's endpoints; call after <see cref="Validate"/>.</summary>
    public IReadOnlyList<NotificationEndpoint> CreateEndpoints() => Endpoints.Select(Create).ToList();

    private static NotificationEndpoint Create(NotificationEndpointOptions options) => options.Type.ToLowerInvariant() switch
    {
        TypeWebhook => new WebhookEndpoint { Name = options.Name, Url = new Uri(options.Url), Headers = new Dictionary<string, string>(options.Headers) },
        TypeAlertmanager => new AlertmanagerEndpoint { Name = options.Name, BaseUrl = new Uri(options.Url) },
        TypePagerDuty => options.Url.Length == 0
            ? new PagerDutyEndpoint { Name = options.Name, RoutingKey = options.RoutingKey }
            : new PagerDutyEndpoint { Name = options.Name, RoutingKey = options.RoutingKey, Url = new Uri(options.Url) },
        _ => throw new InvalidOperationException($"endpoint type \"{options.Type}\" passed validation but has no endpoint class"),
    };

    private static void RequireHttpUrl(string url, string field, bool required)
    {
        if (url.Length == 0 && !required)
        {
            return;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ServerOptionsException($"{field} \"{url}\" must be an absolute http or https URL (e.g. http://127.0.0.1:9000/hook)");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex NamePattern();
}
