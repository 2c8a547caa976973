using System.Text.Json;
using Alerting.Engine.State;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Notifications.Tests;

/// <summary>
/// Slack, Opsgenie and the Alertmanager's authentication against a real HTTP receiver on loopback:
/// the request each one sends (address, headers, the JSON shape the service documents), and the
/// dispatcher's guarantees kept for them (a retried attempt carries the same transition id).
/// </summary>
public sealed class ReceiverKindsTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new();
    private static readonly Uri StatusPage = new("http://status.example.test:7701/");

    private static readonly HashSet<string> SlackBlockTypes = ["header", "section", "context", "actions", "divider"];

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeMilliseconds(Events.BaseMs));
    private readonly Recorder _recorder = new();
    private Receiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync(_clock);

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Slack_gets_an_incoming_webhook_payload_with_blocks_and_a_retry_keeps_the_transition_id()
    {
        var endpoint = new SlackEndpoint { Name = "slack", Url = new Uri(_receiver.Url, "services/T0/B0/x"), StatusPageUrl = StatusPage };
        await using var dispatcher = new NotificationDispatcher([endpoint], new DeliveryOptions(), Http, _recorder, _clock, new Random(11), term: 3);
        _receiver.Script(new Reply(500, Body: "internal_error"), new Reply(200, Body: "ok"));
        var trigger = Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Alert, message: "CPU <high> & rising on host:a");

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("slack", trigger));
        var first = await _receiver.NextAsync();
        _clock.Advance((await _recorder.NextRetryAsync()).Delay);
        var second = await _receiver.NextAsync();
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);

        Assert.Equal("/services/T0/B0/x", second.Path);
        Assert.Equal(first.TransitionId, second.TransitionId);
        Assert.Equal("m1/host:a/1", second.TransitionId);
        Assert.Equal(first.Body, second.Body);
        Assert.StartsWith("application/json", second.Headers["Content-Type"], StringComparison.Ordinal);

        using var json = JsonDocument.Parse(second.Body);
        var root = json.RootElement;
        Assert.Equal("[ALERT] CPU high on host:a", root.GetProperty("text").GetString());
        var blocks = root.GetProperty("blocks").EnumerateArray().ToList();
        Assert.All(blocks, b => Assert.Contains(b.GetProperty("type").GetString()!, SlackBlockTypes));

        var header = blocks[0];
        Assert.Equal("header", header.GetProperty("type").GetString());
        Assert.Equal("plain_text", header.GetProperty("text").GetProperty("type").GetString());
        Assert.Equal("[ALERT] CPU high", header.GetProperty("text").GetProperty("text").GetString());

        var fields = blocks[1].GetProperty("fields").EnumerateArray().Select(f =>
        {
            Assert.Equal("mrkdwn", f.GetProperty("type").GetString());
            return f.GetProperty("text").GetString();
        }).ToList();
        Assert.InRange(fields.Count, 1, 10);
        Assert.Equal(["*State*\nOK → ALERT", "*Group*\nhost:a", "*Value*\n93.5", "*Threshold*\n90"], fields);

        var message = blocks[2].GetProperty("text");
        Assert.Equal("mrkdwn", message.GetProperty("type").GetString());
        Assert.Equal("CPU &lt;high&gt; &amp; rising on host:a", message.GetProperty("text").GetString());

        Assert.Equal("context", blocks[3].GetProperty("type").GetString());
        Assert.Contains("m1/host:a/1", blocks[3].GetProperty("elements")[0].GetProperty("text").GetString(), StringComparison.Ordinal);

        var button = blocks[4].GetProperty("elements")[0];
        Assert.Equal("actions", blocks[4].GetProperty("type").GetString());
        Assert.Equal("button", button.GetProperty("type").GetString());
        Assert.Equal("http://status.example.test:7701/status/group?monitor=m1&group=host%3Aa", button.GetProperty("url").GetString());
        Assert.Equal(5, blocks.Count);
    }

    [Fact]
    public void Slack_resolve_says_resolved_and_long_text_is_cut_to_Slacks_limits()
    {
        var resolve = Events.Make("m1", "*", 2, AlertState.Alert, AlertState.Ok, name: new string('n', 400), message: new string('x', 5_000));
        using var json = JsonDocument.Parse(SlackPayload.Build(resolve, NotificationAction.Resolve, link: null));
        var blocks = json.RootElement.GetProperty("blocks").EnumerateArray().ToList();
        var header = blocks[0].GetProperty("text").GetProperty("text").GetString()!;
        Assert.StartsWith("[Resolved] nnn", header, StringComparison.Ordinal);
        Assert.Equal(SlackPayload.MaxHeaderChars, header.Length);
        Assert.Equal(SlackPayload.MaxSectionChars, blocks[2].GetProperty("text").GetProperty("text").GetString()!.Length);
        Assert.DoesNotContain(blocks, b => b.GetProperty("type").GetString() == "actions");
    }

    [Fact]
    public async Task Opsgenie_creates_by_alias_with_GenieKey_and_closes_the_same_alias()
    {
        var endpoint = new OpsgenieEndpoint { Name = "og", ApiKey = "genie-123", BaseUrl = _receiver.Url, StatusPageUrl = StatusPage };
        await using var dispatcher = new NotificationDispatcher([endpoint], new DeliveryOptions(), Http, _recorder, _clock, new Random(11), term: 3);
        _receiver.Script(new Reply(202, Body: "{\"result\":\"Request will be processed\"}"), new Reply(202));

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("og", Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Warn)));
        var create = await _receiver.NextAsync();
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("og", Events.Make("m1", "host:a", 2, AlertState.Warn, AlertState.Ok)));
        var close = await _receiver.NextAsync();
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);

        Assert.Equal("/v2/alerts", create.RawTarget);
        Assert.Equal("GenieKey genie-123", create.Headers["Authorization"]);
        using var created = JsonDocument.Parse(create.Body);
        var body = created.RootElement;
        Assert.Equal("[WARN] CPU high on host:a", body.GetProperty("message").GetString());
        Assert.Equal("m1/host:a", body.GetProperty("alias").GetString());
        Assert.Equal("CPU is high on {{host}}", body.GetProperty("description").GetString());
        Assert.Equal("P3", body.GetProperty("priority").GetString());
        Assert.Equal(["team:infra", "service:web"], body.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("host:a", body.GetProperty("entity").GetString());
        Assert.Equal("alerting", body.GetProperty("source").GetString());
        var details = body.GetProperty("details");
        Assert.All(details.EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
        Assert.Equal("m1/host:a/1", details.GetProperty("transition_id").GetString());
        Assert.Equal("http://status.example.test:7701/status/group?monitor=m1&group=host%3Aa", details.GetProperty("status_page").GetString());

        Assert.Equal("/v2/alerts/m1%2Fhost%3Aa/close?identifierType=alias", close.RawTarget);
        Assert.Equal("GenieKey genie-123", close.Headers["Authorization"]);
        using var closed = JsonDocument.Parse(close.Body);
        Assert.Equal("alerting", closed.RootElement.GetProperty("source").GetString());
        Assert.Equal("m1/host:a/2", close.TransitionId);
    }

    [Fact]
    public void Opsgenie_alias_of_an_overlong_key_stays_within_the_limit_and_distinct()
    {
        var a = OpsgeniePayload.Alias(Events.Make("m1", new string('a', 600) + "1", 1, AlertState.Ok, AlertState.Alert));
        var b = OpsgeniePayload.Alias(Events.Make("m1", new string('a', 600) + "2", 1, AlertState.Ok, AlertState.Alert));
        Assert.Equal(OpsgeniePayload.MaxAliasChars, a.Length);
        Assert.Equal(OpsgeniePayload.MaxAliasChars, b.Length);
        Assert.NotEqual(a, b);
        Assert.Equal(a, OpsgeniePayload.Alias(Events.Make("m1", new string('a', 600) + "1", 7, AlertState.Alert, AlertState.Ok)));
    }

    [Theory]
    [InlineData("user", "secret", null, "Basic dXNlcjpzZWNyZXQ=")]
    [InlineData(null, null, "tok-1", "Bearer tok-1")]
    public async Task Alertmanager_sends_the_configured_authorization_and_links_the_group_view(string? user, string? password, string? bearer, string expected)
    {
        var endpoint = new AlertmanagerEndpoint
        {
            Name = "am", BaseUrl = new Uri(_receiver.Url, "prefix/"), StatusPageUrl = StatusPage, Username = user, Password = password, BearerToken = bearer,
            Headers = new Dictionary<string, string> { ["X-Scope-OrgID"] = "team-a" },
        };
        await using var dispatcher = new NotificationDispatcher([endpoint], new DeliveryOptions(), Http, _recorder, _clock, new Random(11), term: 3);

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("am", Events.Make("m 1", "host:a,env:prod", 1, AlertState.Ok, AlertState.Alert)));
        var request = await _receiver.NextAsync();
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);

        Assert.Equal("/prefix/api/v2/alerts", request.Path);
        Assert.Equal(expected, request.Headers["Authorization"]);
        Assert.Equal("team-a", request.Headers["X-Scope-OrgID"]);
        using var json = JsonDocument.Parse(request.Body);
        Assert.Equal(
            "http://status.example.test:7701/status/group?monitor=m%201&group=host%3Aa%2Cenv%3Aprod",
            Assert.Single(json.RootElement.EnumerateArray()).GetProperty("generatorURL").GetString());
    }

    [Fact]
    public void Unusable_receiver_settings_are_refused_when_the_dispatcher_is_built()
    {
        NotificationEndpoint[] bad =
        [
            new OpsgenieEndpoint { Name = "og", ApiKey = " " },
            new AlertmanagerEndpoint { Name = "am", BaseUrl = _receiver.Url, Username = "u", Password = "p", BearerToken = "t" },
            new AlertmanagerEndpoint { Name = "am", BaseUrl = _receiver.Url, Username = "u" },
            new AlertmanagerEndpoint { Name = "am", BaseUrl = _receiver.Url, BearerToken = "t", Headers = new Dictionary<string, string> { ["authorization"] = "x" } },
            new SlackEndpoint { Name = "slack", Url = new Uri("ftp://example.test/") },
            new SlackEndpoint { Name = "slack", Url = _receiver.Url, StatusPageUrl = new Uri("ftp://status.example.test/") },
        ];
        foreach (var endpoint in bad)
        {
            var e = Assert.ThrowsAny<ArgumentException>(() => new NotificationDispatcher([endpoint], new DeliveryOptions(), Http, _recorder, _clock, new Random(1), term: 1));
            Assert.Contains($"endpoint '{endpoint.Name}'", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Group_link_escapes_monitor_and_group_and_keeps_a_path_prefix()
    {
        Assert.Equal("https://x.test/alerting/status/group?monitor=a%26b&group=%2A",
            NotificationEndpoint.GroupLink(new Uri("https://x.test/alerting"), "a&b", "*"));
        Assert.Null(NotificationEndpoint.GroupLink(null, "a", "*"));
    }
}
