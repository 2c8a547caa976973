using Alerting.Server.Hosting;
using Alerting.Server.Notifications;
using Microsoft.Extensions.Configuration;

namespace Alerting.Server.Tests.Notifications;

public sealed class NotificationOptionsTests
{
    [Fact]
    public void Settings_json_binds_endpoints_headers_and_defaults()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "webhook-ops",
            ["Notifications:Endpoints:0:Type"] = "webhook",
            ["Notifications:Endpoints:0:Url"] = "http://127.0.0.1:9000/hook",
            ["Notifications:Endpoints:0:Headers:Authorization"] = "Bearer s3cret",
            ["Notifications:Endpoints:1:Name"] = "pager",
            ["Notifications:Endpoints:1:Type"] = "PagerDuty",
            ["Notifications:Endpoints:1:RoutingKey"] = "R0UT1NG",
            ["Notifications:Default:0"] = "webhook-ops",
        });

        options.Validate();
        var endpoints = options.Notifications.CreateEndpoints();
        var webhook = Assert.IsType<Alerting.Notifications.WebhookEndpoint>(endpoints[0]);
        Assert.Equal(new Uri("http://127.0.0.1:9000/hook"), webhook.Url);
        Assert.Equal("Bearer s3cret", webhook.Headers["Authorization"]);
        var pager = Assert.IsType<Alerting.Notifications.PagerDutyEndpoint>(endpoints[1]);
        Assert.Equal(Alerting.Notifications.PagerDutyEndpoint.DefaultEventsUrl, pager.Url);
        Assert.Equal(["webhook-ops"], options.Notifications.Default);
    }

    [Fact]
    public void Slack_opsgenie_and_alertmanager_auth_bind_and_every_endpoint_links_the_status_page()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Notifications:StatusPageUrl"] = "https://alerting.example.test/",
            ["Notifications:Endpoints:0:Name"] = "chat",
            ["Notifications:Endpoints:0:Type"] = "slack",
            ["Notifications:Endpoints:0:Url"] = "https://hooks.example.test/services/T0/B0/x",
            ["Notifications:Endpoints:1:Name"] = "oncall",
            ["Notifications:Endpoints:1:Type"] = "Opsgenie",
            ["Notifications:Endpoints:1:ApiKey"] = "genie",
            ["Notifications:Endpoints:2:Name"] = "am",
            ["Notifications:Endpoints:2:Type"] = "alertmanager",
            ["Notifications:Endpoints:2:Url"] = "http://127.0.0.1:9093/",
            ["Notifications:Endpoints:2:BearerToken"] = "tok",
        });

        options.Validate();
        var endpoints = options.Notifications.CreateEndpoints();
        Assert.All(endpoints, e => Assert.Equal(new Uri("https://alerting.example.test/"), e.StatusPageUrl));
        Assert.Equal(new Uri("https://hooks.example.test/services/T0/B0/x"), Assert.IsType<Alerting.Notifications.SlackEndpoint>(endpoints[0]).Url);
        var opsgenie = Assert.IsType<Alerting.Notifications.OpsgenieEndpoint>(endpoints[1]);
        Assert.Equal(("genie", Alerting.Notifications.OpsgenieEndpoint.DefaultBaseUrl), (opsgenie.ApiKey, opsgenie.BaseUrl));
        var alertmanager = Assert.IsType<Alerting.Notifications.AlertmanagerEndpoint>(endpoints[2]);
        Assert.Equal(("tok", (string?)null), (alertmanager.BearerToken, alertmanager.Username));
    }

    [Theory]
    [InlineData("Notifications:StatusPageUrl", "status.example.test", "Notifications:StatusPageUrl")]
    [InlineData("Notifications:Endpoints:0:ApiKey", "", "Notifications:Endpoints:0:ApiKey")]
    [InlineData("Notifications:Endpoints:1:Username", "u", "Notifications:Endpoints:1: set either Username")]
    [InlineData("Notifications:Endpoints:1:Headers:Authorization", "x", "Notifications:Endpoints:1:Headers:Authorization")]
    public void A_bad_new_receiver_setting_is_refused_naming_its_field(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "oncall",
            ["Notifications:Endpoints:0:Type"] = "opsgenie",
            ["Notifications:Endpoints:0:ApiKey"] = "genie",
            ["Notifications:Endpoints:1:Name"] = "am",
            ["Notifications:Endpoints:1:Type"] = "alertmanager",
            ["Notifications:Endpoints:1:Url"] = "http://127.0.0.1:9093/",
            ["Notifications:Endpoints:1:BearerToken"] = "tok",
        };
        settings[key] = value;
        var e = Assert.Throws<ServerOptionsException>(() => Bind(settings).Validate());
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_template_binds_and_a_bad_one_is_refused_naming_the_field_and_position()
    {
        var good = Bind(new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "chat",
            ["Notifications:Endpoints:0:Type"] = "slack",
            ["Notifications:Endpoints:0:Url"] = "http://127.0.0.1:9000/slack",
            ["Notifications:Endpoints:0:BodyTemplate"] = "{\"text\": {{ message | json }}}",
        });
        good.Validate();
        Assert.NotNull(Assert.IsType<Alerting.Notifications.SlackEndpoint>(good.Notifications.CreateEndpoints()[0]).BodyTemplate);

        var bad = Bind(new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "chat",
            ["Notifications:Endpoints:0:Type"] = "slack",
            ["Notifications:Endpoints:0:Url"] = "http://127.0.0.1:9000/slack",
            ["Notifications:Endpoints:0:BodyTemplate"] = "{\"text\": {{ message | json }\n}",
        });
        var error = Assert.Throws<ServerOptionsException>(bad.Validate);
        Assert.StartsWith("Notifications:Endpoints:0:BodyTemplate: the template does not parse", error.Message, StringComparison.Ordinal);
        Assert.Matches(@"\(\d+:\d+\)", error.Message);

        var wrongType = Bind(new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "pager",
            ["Notifications:Endpoints:0:Type"] = "pagerduty",
            ["Notifications:Endpoints:0:RoutingKey"] = "R",
            ["Notifications:Endpoints:0:BodyTemplate"] = "{}",
        });
        Assert.Contains("BodyTemplate is for webhook, slack, opsgenie and email", Assert.Throws<ServerOptionsException>(wrongType.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_email_endpoint_binds_its_smtp_settings_and_templates()
    {
        var options = Bind(Email(new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Username"] = "alerting",
            ["Notifications:Endpoints:0:Password"] = "s3cret",
            ["Notifications:Endpoints:0:SubjectTemplate"] = "{{ state }} {{ monitor.name }}",
            ["Notifications:Endpoints:0:BodyTemplate"] = "{{ message }} (not JSON)",
        }));

        options.Validate();
        var email = Assert.IsType<Alerting.Notifications.EmailEndpoint>(options.Notifications.CreateEndpoints()[0]);
        Assert.Equal(("smtp.example.test", 587, Alerting.Notifications.EmailSecurity.StartTls), (email.Host, email.Port, email.Security));
        Assert.Equal(("alerting", "s3cret"), (email.Username, email.Password));
        Assert.Equal("Alerting <alerts@example.test>", email.From);
        Assert.Equal(["oncall@example.test", "lead@example.test"], email.To);
        Assert.Equal("{{ state }} {{ monitor.name }}", email.SubjectTemplate?.Source);
        Assert.Equal("{{ message }} (not JSON)", email.BodyTemplate?.Source);

        var plain = Bind(Email(new Dictionary<string, string?> { ["Notifications:Endpoints:0:Security"] = "None" }));
        plain.Validate();
        var relay = Assert.IsType<Alerting.Notifications.EmailEndpoint>(plain.Notifications.CreateEndpoints()[0]);
        Assert.Equal((25, Alerting.Notifications.EmailSecurity.None, (string?)null), (relay.Port, relay.Security, relay.Username));
    }

    [Theory]
    [InlineData("Host", "", "Notifications:Endpoints:0:Host must be set")]
    [InlineData("Port", "70000", "Notifications:Endpoints:0:Port 70000")]
    [InlineData("Security", "ssl", "Notifications:Endpoints:0:Security \"ssl\"")]
    [InlineData("From", "nobody", "Notifications:Endpoints:0:From: \"nobody\" is not an email address")]
    [InlineData("To:1", "not an address", "Notifications:Endpoints:0:To:1: \"not an address\"")]
    [InlineData("Password", "p", "Notifications:Endpoints:0:Password is set without a Username")]
    [InlineData("SubjectTemplate", "{% if %}", "Notifications:Endpoints:0:SubjectTemplate: the template does not parse")]
    public void A_bad_email_setting_is_refused_naming_its_field(string key, string value, string expected)
    {
        var settings = Email([]);
        settings["Notifications:Endpoints:0:" + key] = value;
        var e = Assert.Throws<ServerOptionsException>(() => Bind(settings).Validate());
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Email(Dictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "mail",
            ["Notifications:Endpoints:0:Type"] = "email",
            ["Notifications:Endpoints:0:Host"] = "smtp.example.test",
            ["Notifications:Endpoints:0:From"] = "Alerting <alerts@example.test>",
            ["Notifications:Endpoints:0:To:0"] = "oncall@example.test",
            ["Notifications:Endpoints:0:To:1"] = "lead@example.test",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public void Delivery_limits_bind_from_settings_and_reach_the_dispatcher_options()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Notifications:Delivery:MaxAttempts"] = "3",
            ["Notifications:Delivery:InitialBackoff"] = "00:00:00.250",
            ["Notifications:Delivery:MaxBackoff"] = "00:00:30",
            ["Notifications:Delivery:RequestTimeout"] = "00:00:02",
            ["Notifications:Delivery:MaxAge"] = "01:00:00",
            ["Notifications:Delivery:MaxRetryAfter"] = "00:01:00",
            ["Notifications:Delivery:MaxQueuedPerEndpoint"] = "100",
            ["Notifications:Delivery:MaxKeysPerEndpoint"] = "50",
            ["Notifications:Delivery:MaxConcurrentRequestsPerEndpoint"] = "4",
            ["Notifications:Delivery:ReadAhead"] = "500",
            ["Notifications:Delivery:Coalesce"] = "false",
        });

        options.Validate();
        var delivery = options.Notifications.Delivery.ToDeliveryOptions();
        Assert.Equal(
            (3, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), TimeSpan.FromHours(1), TimeSpan.FromMinutes(1), 100, 50, 4, false),
            (delivery.MaxAttempts, delivery.InitialBackoff, delivery.MaxBackoff, delivery.RequestTimeout, delivery.MaxAge, delivery.MaxRetryAfter,
                delivery.MaxQueuedPerEndpoint, delivery.MaxKeysPerEndpoint, delivery.MaxConcurrentRequestsPerEndpoint, delivery.Coalesce));
        Assert.Equal(500, options.Notifications.Delivery.ReadAhead);
    }

    [Theory]
    [InlineData("MaxAttempts", "0", "Notifications:Delivery:MaxAttempts must be positive")]
    [InlineData("MaxQueuedPerEndpoint", "-1", "Notifications:Delivery:MaxQueuedPerEndpoint must be positive")]
    [InlineData("ReadAhead", "0", "Notifications:Delivery:ReadAhead must be positive")]
    [InlineData("RequestTimeout", "00:00:00", "Notifications:Delivery:RequestTimeout must be positive")]
    [InlineData("MaxBackoff", "00:00:00.001", "Notifications:Delivery:MaxBackoff")]
    public void Unusable_delivery_limit_stops_startup_naming_the_field(string field, string value, string expected)
    {
        var error = Assert.Throws<ServerOptionsException>(() => Bind(new Dictionary<string, string?> { ["Notifications:Delivery:" + field] = value }).Validate());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Type", "sms", "Notifications:Endpoints:0:Type \"sms\"")]
    [InlineData("Url", "ftp://example.com/hook", "Notifications:Endpoints:0:Url")]
    [InlineData("Url", "", "Notifications:Endpoints:0:Url")]
    [InlineData("Name", "ops team", "Notifications:Endpoints:0:Name")]
    public void Unusable_endpoint_setting_stops_startup_naming_the_field(string field, string value, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "ops",
            ["Notifications:Endpoints:0:Type"] = "webhook",
            ["Notifications:Endpoints:0:Url"] = "http://127.0.0.1:9000/hook",
        };
        settings["Notifications:Endpoints:0:" + field] = value;

        var error = Assert.Throws<ServerOptionsException>(() => Bind(settings).Validate());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Endpoint_name_longer_than_the_limit_stops_startup()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Type"] = "webhook",
            ["Notifications:Endpoints:0:Url"] = "http://127.0.0.1:9000/hook",
        };
        settings["Notifications:Endpoints:0:Name"] = new string('a', NotificationOptions.MaxNameLength);
        Bind(settings).Validate();

        settings["Notifications:Endpoints:0:Name"] = new string('a', NotificationOptions.MaxNameLength + 1);
        var error = Assert.Throws<ServerOptionsException>(() => Bind(settings).Validate());

        Assert.Contains("Notifications:Endpoints:0:Name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_endpoints_with_one_name_stop_startup()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "ops",
            ["Notifications:Endpoints:0:Type"] = "webhook",
            ["Notifications:Endpoints:0:Url"] = "http://127.0.0.1:9000/a",
            ["Notifications:Endpoints:1:Name"] = "ops",
            ["Notifications:Endpoints:1:Type"] = "webhook",
            ["Notifications:Endpoints:1:Url"] = "http://127.0.0.1:9000/b",
        });

        var error = Assert.Throws<ServerOptionsException>(options.Validate);

        Assert.Contains("Notifications:Endpoints:1:Name \"ops\" is used by another endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_naming_an_unknown_endpoint_stops_startup()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "ops",
            ["Notifications:Endpoints:0:Type"] = "alertmanager",
            ["Notifications:Endpoints:0:Url"] = "http://127.0.0.1:9093",
            ["Notifications:Default:0"] = "opps",
        });

        var error = Assert.Throws<ServerOptionsException>(options.Validate);

        Assert.Contains("Notifications:Default:0 \"opps\" names no configured endpoint (configured: ops)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pagerduty_endpoint_without_routing_key_stops_startup()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Notifications:Endpoints:0:Name"] = "pager",
            ["Notifications:Endpoints:0:Type"] = "pagerduty",
        });

        var error = Assert.Throws<ServerOptionsException>(options.Validate);

        Assert.Contains("Notifications:Endpoints:0:RoutingKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Example_settings_file_loads_with_a_default_webhook_and_an_environment_override()
    {
        var file = Path.Combine(RepositoryRoot(), "examples", "settings.json");
        var environment = new Dictionary<string, string?> { ["ALERTING_Notifications__Endpoints__0__Headers__X-Team"] = "ops" };

        var options = ServerConfiguration.Load(["--settings", file], environment);

        options.Validate();
        Assert.Equal("ops", Assert.Single(options.Notifications.Endpoints).Headers["X-Team"]);

        Assert.Equal(["webhook"], options.Notifications.Default);
        Assert.Equal("http://127.0.0.1:9000/hook", Assert.Single(options.Notifications.Endpoints).Url);
    }

    private static ServerOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new ServerOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().Bind(options);
        return options;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Alerting.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Alerting.sln not found above the test binaries");
    }
}
