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

    public const string TypeSlack = "slack";

    public const string TypeOpsgenie = "opsgenie";

    public const string TypeEmail = "email";

    /// <summary>Longest endpoint name; names are also log entry fields and ledger keys.</summary>
    public const int MaxNameLength = 64;

    public List<NotificationEndpointOptions> Endpoints { get; } = [];

    /// <summary>
    /// The status page's address as the people who get notifications reach it (e.g.
    /// <c>https://alerting.example.org/</c>); payloads then link to the group's view on it
    /// (Alertmanager's <c>generatorURL</c>, Slack's button, Opsgenie's details). Empty: no links.
    /// </summary>
    public string StatusPageUrl { get; set; } = "";

    /// <summary>Names of the endpoints that receive events of monitors whose message mentions no endpoint.</summary>
    public List<string> Default { get; } = [];

    /// <summary>Delivery limits and timings, the same for every endpoint.</summary>
    public NotificationDeliveryOptions Delivery { get; } = new();

    /// <summary>Checks the section; throws <see cref="ServerOptionsException"/> naming the field at fault.</summary>
    public void Validate()
    {
        Delivery.Validate();
        RequireHttpUrl(StatusPageUrl, "Notifications:StatusPageUrl", required: false);
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
                case TypeSlack:
                    RequireHttpUrl(endpoint.Url, $"{field}:Url", required: true);
                    break;
                case TypeAlertmanager:
                    RequireHttpUrl(endpoint.Url, $"{field}:Url", required: true);
                    if (endpoint.Username.Length > 0 && endpoint.BearerToken.Length > 0)
                    {
                        throw new ServerOptionsException($"{field}: set either Username and Password (HTTP Basic) or BearerToken, not both");
                    }

                    if ((endpoint.Username.Length > 0 || endpoint.BearerToken.Length > 0) && endpoint.Headers.ContainsKey("Authorization"))
                    {
                        throw new ServerOptionsException($"{field}:Headers:Authorization cannot be set with Username/Password or BearerToken (both set the Authorization header)");
                    }

                    break;
                case TypeOpsgenie:
                    RequireHttpUrl(endpoint.Url, $"{field}:Url", required: false);
                    if (string.IsNullOrWhiteSpace(endpoint.ApiKey))
                    {
                        throw new ServerOptionsException($"{field}:ApiKey must be set for an opsgenie endpoint (the API key of an Opsgenie API integration)");
                    }

                    break;
                case TypePagerDuty:
                    RequireHttpUrl(endpoint.Url, $"{field}:Url", required: false);
                    if (string.IsNullOrWhiteSpace(endpoint.RoutingKey))
                    {
                        throw new ServerOptionsException($"{field}:RoutingKey must be set for a pagerduty endpoint (the integration key of the PagerDuty service)");
                    }

                    break;
                case TypeEmail:
                    ValidateEmail(endpoint, field);
                    break;
                default:
                    throw new ServerOptionsException(
                        $"{field}:Type \"{endpoint.Type}\" is not an endpoint type: use {TypeWebhook}, {TypeAlertmanager}, {TypePagerDuty}, {TypeSlack}, {TypeOpsgenie} or {TypeEmail}");
            }

            if (endpoint.BodyTemplate.Length > 0)
            {
                if (endpoint.Type.ToLowerInvariant() is not (TypeWebhook or TypeSlack or TypeOpsgenie or TypeEmail))
                {
                    throw new ServerOptionsException($"{field}:BodyTemplate is for webhook, slack, opsgenie and email endpoints only, not {endpoint.Type}");
                }

                ParseTemplate(endpoint.BodyTemplate, $"{field}:BodyTemplate", json: !string.Equals(endpoint.Type, TypeEmail, StringComparison.OrdinalIgnoreCase));
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

    private static void ValidateEmail(NotificationEndpointOptions endpoint, string field)
    {
        if (string.IsNullOrWhiteSpace(endpoint.Host))
        {
            throw new ServerOptionsException($"{field}:Host must be set for an email endpoint (the SMTP server)");
        }

        if (endpoint.Port is < 0 or > 65535)
        {
            throw new ServerOptionsException($"{field}:Port {endpoint.Port} is not a port (1 to 65535; 0: 587 with STARTTLS, 25 without)");
        }

        if (SecurityOf(endpoint) is null)
        {
            throw new ServerOptionsException($"{field}:Security \"{endpoint.Security}\" is not a choice: use starttls or none");
        }

        if (endpoint.Password.Length > 0 && endpoint.Username.Length == 0)
        {
            throw new ServerOptionsException($"{field}:Password is set without a Username");
        }

        Address(endpoint.From, $"{field}:From");
        if (endpoint.To.Count == 0)
        {
            throw new ServerOptionsException($"{field}:To must name at least one recipient");
        }

        for (var i = 0; i < endpoint.To.Count; i++)
        {
            Address(endpoint.To[i], $"{field}:To:{i}");
        }

        if (endpoint.SubjectTemplate.Length > 0)
        {
            ParseTemplate(endpoint.SubjectTemplate, $"{field}:SubjectTemplate", json: false);
        }
    }

    private static void Address(string text, string field)
    {
        try
        {
            _ = EmailPayload.Address(text, field);
        }
        catch (ArgumentException e)
        {
            throw new ServerOptionsException(e.Message.Replace($" (Parameter '{field}')", "", StringComparison.Ordinal));
        }
    }

    private static PayloadTemplate ParseTemplate(string source, string field, bool json)
    {
        try
        {
            return json ? PayloadTemplate.Parse(source) : PayloadTemplate.ParseText(source);
        }
        catch (ArgumentException e)
        {
            throw new ServerOptionsException($"{field}: {e.Message.Replace(" (Parameter 'source')", "", StringComparison.Ordinal)}");
        }
    }

    private static EmailSecurity? SecurityOf(NotificationEndpointOptions endpoint) => endpoint.Security.ToLowerInvariant() switch
    {
        "starttls" => EmailSecurity.StartTls,
        "none" => EmailSecurity.None,
        _ => null,
    };

    /// <summary>The library's endpoints; call after <see cref="Validate"/>.</summary>
    public IReadOnlyList<NotificationEndpoint> CreateEndpoints()
    {
        var statusPage = StatusPageUrl.Length == 0 ? null : new Uri(StatusPageUrl);
        return Endpoints.Select(e => Create(e, statusPage)).ToList();
    }

    private static NotificationEndpoint Create(NotificationEndpointOptions options, Uri? statusPage) => options.Type.ToLowerInvariant() switch
    {
        TypeWebhook => new WebhookEndpoint { Name = options.Name, Url = new Uri(options.Url), Headers = new Dictionary<string, string>(options.Headers), StatusPageUrl = statusPage, BodyTemplate = Template(options) },
        TypeAlertmanager => new AlertmanagerEndpoint
        {
            Name = options.Name,
            BaseUrl = new Uri(options.Url),
            StatusPageUrl = statusPage,
            Username = options.Username.Length == 0 ? null : options.Username,
            Password = options.Username.Length == 0 ? null : options.Password,
            BearerToken = options.BearerToken.Length == 0 ? null : options.BearerToken,
            Headers = new Dictionary<string, string>(options.Headers),
        },
        TypePagerDuty => options.Url.Length == 0
            ? new PagerDutyEndpoint { Name = options.Name, RoutingKey = options.RoutingKey, StatusPageUrl = statusPage }
            : new PagerDutyEndpoint { Name = options.Name, RoutingKey = options.RoutingKey, Url = new Uri(options.Url), StatusPageUrl = statusPage },
        TypeSlack => new SlackEndpoint { Name = options.Name, Url = new Uri(options.Url), StatusPageUrl = statusPage, BodyTemplate = Template(options) },
        TypeOpsgenie => options.Url.Length == 0
            ? new OpsgenieEndpoint { Name = options.Name, ApiKey = options.ApiKey, StatusPageUrl = statusPage, BodyTemplate = Template(options) }
            : new OpsgenieEndpoint { Name = options.Name, ApiKey = options.ApiKey, BaseUrl = new Uri(options.Url), StatusPageUrl = statusPage, BodyTemplate = Template(options) },
        TypeEmail => new EmailEndpoint
        {
            Name = options.Name,
            Host = options.Host,
            Security = SecurityOf(options) ?? EmailSecurity.StartTls,
            Port = options.Port != 0 ? options.Port : SecurityOf(options) == EmailSecurity.None ? 25 : 587,
            Username = options.Username.Length == 0 ? null : options.Username,
            Password = options.Username.Length == 0 ? null : options.Password,
            From = options.From,
            To = options.To.ToArray(),
            SubjectTemplate = options.SubjectTemplate.Length == 0 ? null : PayloadTemplate.ParseText(options.SubjectTemplate),
            BodyTemplate = options.BodyTemplate.Length == 0 ? null : PayloadTemplate.ParseText(options.BodyTemplate),
            StatusPageUrl = statusPage,
        },
        _ => throw new InvalidOperationException($"endpoint type \"{options.Type}\" passed validation but has no endpoint class"),
    };

    private static PayloadTemplate? Template(NotificationEndpointOptions options) =>
        options.BodyTemplate.Length == 0 ? null : PayloadTemplate.Parse(options.BodyTemplate);

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
