using System.Text.Json;
using Alerting.Engine.State;

namespace Alerting.Notifications.Tests;

/// <summary>Against a real Alertmanager: the trigger shows up with our labels, the resolve takes it away.</summary>
public sealed class AlertmanagerTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new();

    private readonly Recorder _recorder = new();
    private AlertmanagerProcess? _alertmanager;

    private Uri Url => _alertmanager!.Url;

    public async Task InitializeAsync() => _alertmanager = await AlertmanagerProcess.StartAsync(Http);

    public async Task DisposeAsync()
    {
        if (_alertmanager is not null)
        {
            await _alertmanager.DisposeAsync();
        }
    }

    [Fact]
    public async Task Alertmanager_lists_the_triggered_alert_with_our_labels_and_drops_it_on_resolve()
    {
        // Alertmanager compares endsAt with its own clock, so this test runs on the real one.
        await using var dispatcher = new NotificationDispatcher(
            [new AlertmanagerEndpoint { Name = "am", BaseUrl = Url, StatusPageUrl = new Uri("http://status.example.test:7701/") }], new DeliveryOptions(), Http, _recorder, TimeProvider.System, new Random(7), term: 1);
        var startMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var trigger = Events.Make("m-am", "host:a,env:prod", 1, AlertState.Ok, AlertState.Alert, timeMs: startMs - 1_000);

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("am", trigger));
        var delivered = await _recorder.NextCompletedAsync();
        Assert.True(delivered.Outcome == DeliveryOutcome.Delivered, $"trigger not delivered: {delivered}");

        var alerts = await AlertsAsync(active: true);
        var alert = Assert.Single(alerts);
        var labels = alert.GetProperty("labels");
        Assert.Equal("CPU high", labels.GetProperty("alertname").GetString());
        Assert.Equal("m-am", labels.GetProperty("monitor_id").GetString());
        Assert.Equal("a", labels.GetProperty("host").GetString());
        Assert.Equal("prod", labels.GetProperty("env").GetString());
        Assert.Equal("critical", labels.GetProperty("severity").GetString());
        Assert.Equal("infra", labels.GetProperty("team").GetString());
        Assert.Equal("active", alert.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("m-am/host:a,env:prod/1", alert.GetProperty("annotations").GetProperty("transition_id").GetString());
        // Alertmanager keeps the generator URL and shows it as the alert's source link.
        Assert.Equal("http://status.example.test:7701/status/group?monitor=m-am&group=host%3Aa%2Cenv%3Aprod", alert.GetProperty("generatorURL").GetString());
        var fingerprint = alert.GetProperty("fingerprint").GetString();

        var resolve = Events.Make("m-am", "host:a,env:prod", 2, AlertState.Alert, AlertState.Ok, timeMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1);
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("am", resolve));
        delivered = await _recorder.NextCompletedAsync();
        Assert.True(delivered.Outcome == DeliveryOutcome.Delivered, $"resolve not delivered: {delivered}");

        Assert.Empty(await AlertsAsync(active: true));
        Assert.DoesNotContain(await AlertsAsync(active: false), a => a.GetProperty("fingerprint").GetString() == fingerprint);
    }

    [Fact]
    public async Task Alertmanager_keeps_one_active_alert_when_a_group_escalates_from_warn_to_alert()
    {
        await using var dispatcher = new NotificationDispatcher(
            [new AlertmanagerEndpoint { Name = "am", BaseUrl = Url }], new DeliveryOptions(), Http, _recorder, TimeProvider.System, new Random(7), term: 1);
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        dispatcher.Enqueue("am", Events.Make("m-am", "host:b", 1, AlertState.Ok, AlertState.Warn, timeMs: nowMs - 2_000));
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
        dispatcher.Enqueue("am", Events.Make("m-am", "host:b", 2, AlertState.Warn, AlertState.Alert, timeMs: nowMs - 1_000));
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);

        var alert = Assert.Single(await AlertsAsync(active: true));
        Assert.Equal("critical", alert.GetProperty("labels").GetProperty("severity").GetString());
    }

    private async Task<List<JsonElement>> AlertsAsync(bool active)
    {
        var query = $"api/v2/alerts?active={(active ? "true" : "false")}&silenced=true&inhibited=true&filter={Uri.EscapeDataString("monitor_id=\"m-am\"")}";
        using var response = await Http.GetAsync(new Uri(Url, query));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {query} answered {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
