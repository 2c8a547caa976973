using System.Text.Json;
using Alerting.Engine.State;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Notifications.Tests;

/// <summary>Receivers' own bodies as Liquid templates (Fluid): the documented model, refusal at configuration time, and a body that cannot be made.</summary>
public sealed class PayloadTemplateTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly HttpClient Http = new();

    private const string Everything = """
        { "title": {{ "[" | append: state | append: "] " | append: monitor.name | json }},
          "id": {{ monitor.id | json }}, "tags": {{ monitor.tags | json }}, "group": {{ group | json }},
          "state": {{ state | json }}, "previous": {{ previous_state | json }}, "action": {{ action | json }}, "severity": {{ severity | json }},
          "value": {{ value | json }}, "threshold": {{ threshold | json }},
          "critical": {{ thresholds.critical | json }}, "warning": {{ thresholds.warning | json }},
          "message": {{ message | json }}, "link": {{ link | json }}, "transition_id": {{ transition_id | json }}, "key": {{ key | json }},
          "time": {{ time | json }}, "reason": {{ reason | json }}, "renotification": {{ renotification | json }}, "replaces": {{ replaces | json }} }
        """;

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeMilliseconds(Events.BaseMs));
    private readonly Recorder _recorder = new();
    private Receiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync(_clock);

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_webhook_template_sees_the_documented_model_and_its_output_is_the_body()
    {
        var endpoint = new WebhookEndpoint { Name = "hook", Url = _receiver.Url, StatusPageUrl = new Uri("http://status.example.test/"), BodyTemplate = PayloadTemplate.Parse(Everything) };
        await using var dispatcher = new NotificationDispatcher([endpoint], new DeliveryOptions(), Http, _recorder, _clock, new Random(3), term: 1);
        var trigger = Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Warn, message: "disk \"full\"\non a") with { Critical = 90, Warning = null };

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", trigger));
        var request = await _receiver.NextAsync();
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);

        using var json = JsonDocument.Parse(request.Body);
        var body = json.RootElement;
        Assert.Equal("[WARN] CPU high", body.GetProperty("title").GetString());
        Assert.Equal("m1", body.GetProperty("id").GetString());
        Assert.Equal(["team:infra", "service:web"], body.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(("host:a", "WARN", "OK", "trigger", "warning"), (body.GetProperty("group").GetString(), body.GetProperty("state").GetString(), body.GetProperty("previous").GetString(), body.GetProperty("action").GetString(), body.GetProperty("severity").GetString()));
        Assert.Equal(93.5, body.GetProperty("value").GetDouble());
        Assert.Equal(90, body.GetProperty("threshold").GetDouble());
        Assert.Equal(90, body.GetProperty("critical").GetDouble());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("warning").ValueKind);
        Assert.Equal("disk \"full\"\non a", body.GetProperty("message").GetString());
        Assert.Equal("http://status.example.test/status/group?monitor=m1&group=host%3Aa", body.GetProperty("link").GetString());
        Assert.Equal(("m1/host:a/1", "m1/host:a"), (body.GetProperty("transition_id").GetString(), body.GetProperty("key").GetString()));
        Assert.Equal("2026-01-01T00:00:00.000Z", body.GetProperty("time").GetString());
        Assert.Equal(JsonValueKind.False, body.GetProperty("renotification").ValueKind);
        Assert.Empty(body.GetProperty("replaces").EnumerateArray());
        Assert.Equal("m1/host:a/1", request.TransitionId);
    }

    [Fact]
    public void A_template_that_does_not_parse_is_refused_with_the_position_of_the_error()
    {
        var e = Assert.Throws<ArgumentException>(() => PayloadTemplate.Parse("{ \"a\": {{ state | json }},\n  \"b\": {% if %} }"));
        Assert.Contains("does not parse", e.Message, StringComparison.Ordinal);
        Assert.Matches(@"\(2:\d+\)", e.Message);
        output.WriteLine(e.Message);
    }

    [Fact]
    public void The_slack_example_of_the_docs_renders_a_slack_body()
    {
        const string Example = "{\"text\": {{ \"[\" | append: state | append: \"] \" | append: monitor.name | append: \" on \" | append: group | json }}, \"blocks\": [{\"type\": \"section\", \"text\": {\"type\": \"mrkdwn\", \"text\": {{ message | append: \"\\n<\" | append: link | append: \"|status page>\" | json }}}}]}";
        var body = PayloadTemplate.Parse(Example).Render(Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Alert), NotificationAction.Trigger, "http://s.test/x");
        using var json = JsonDocument.Parse(body);
        Assert.Equal("[ALERT] CPU high on host:a", json.RootElement.GetProperty("text").GetString());
        Assert.Equal("CPU is high on {{host}}\n<http://s.test/x|status page>", json.RootElement.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("state is {{ state }}", "not JSON")]
    [InlineData("{% for i in (1..1000) %}{% for j in (1..1000) %}{% endfor %}{% endfor %}{}", "failed to render")]
    public void A_template_whose_sample_render_is_unusable_is_refused(string source, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => PayloadTemplate.Parse(source));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_the_template_cannot_make_is_rejected_and_never_sent()
    {
        // JSON for the sample (host:a) but not for host:b.
        var template = PayloadTemplate.Parse("{% if group == \"host:a\" %}{\"ok\": true}{% else %}not json{% endif %}");
        var endpoint = new SlackEndpoint { Name = "slack", Url = _receiver.Url, BodyTemplate = template };
        await using var dispatcher = new NotificationDispatcher([endpoint], new DeliveryOptions(), Http, _recorder, _clock, new Random(3), term: 1);

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("slack", Events.Make("m1", "host:b", 1, AlertState.Ok, AlertState.Alert)));
        var report = await _recorder.NextCompletedAsync();
        Assert.Equal(DeliveryOutcome.Rejected, report.Outcome);
        Assert.Contains("payload template", report.Detail, StringComparison.Ordinal);
        Assert.Contains("not JSON", report.Detail, StringComparison.Ordinal);

        // The next group's body is fine and is the first request the receiver sees.
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("slack", Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Alert)));
        Assert.Equal("{\"ok\": true}", (await _receiver.NextAsync()).Body);
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
        Assert.Single(_receiver.All);
    }

    [Fact]
    public async Task An_opsgenie_template_shapes_the_create_and_the_close_keeps_its_built_in_body()
    {
        var template = PayloadTemplate.Parse("{\"message\": {{ monitor.name | json }}, \"alias\": {{ key | json }}, \"priority\": {% if state == \"ALERT\" %}\"P1\"{% else %}\"P2\"{% endif %}}");
        var endpoint = new OpsgenieEndpoint { Name = "og", ApiKey = "k", BaseUrl = _receiver.Url, BodyTemplate = template };
        await using var dispatcher = new NotificationDispatcher([endpoint], new DeliveryOptions(), Http, _recorder, _clock, new Random(3), term: 1);

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("og", Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Alert)));
        Assert.Equal("{\"message\": \"CPU high\", \"alias\": \"m1/host:a\", \"priority\": \"P1\"}", (await _receiver.NextAsync()).Body);
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("og", Events.Make("m1", "host:a", 2, AlertState.Alert, AlertState.Ok)));
        var close = await _receiver.NextAsync();
        Assert.Equal("/v2/alerts/m1%2Fhost%3Aa/close?identifierType=alias", close.RawTarget);
        Assert.Equal("alerting", JsonDocument.Parse(close.Body).RootElement.GetProperty("source").GetString());
    }
}
