using System.Text;
using Alerting.Engine.State;

namespace Alerting.Notifications.Tests;

public sealed class PayloadTests
{
    private static readonly DateTimeOffset SendTime = DateTimeOffset.FromUnixTimeMilliseconds(Events.BaseMs + 5_000);

    [Fact]
    public void Webhook_body_carries_the_transition_under_its_stable_id_with_message_and_monitor()
    {
        var notification = Events.Make("m1", "host:a,env:prod", 3, AlertState.Ok, AlertState.Alert, logIndex: 42);

        var json = Encoding.UTF8.GetString(WebhookPayload.Build(notification));

        AssertJson(
            "{'id':'m1/host:a,env:prod/3','action':'trigger','monitor':{'id':'m1','name':'CPU high','tags':['team:infra','service:web']},"
            + "'transition':{'monitor_id':'m1','group_key':'host:a,env:prod','transition_number':3,'previous':'OK','state':'ALERT','value':93.5,'threshold':90,"
            + "'time':'2026-01-01T00:00:00.000Z','log_index':42,'reason':'threshold crossed','flags':[],'renotify':false},'message':'CPU is high on {{host}}'}",
            json);
    }

    [Fact]
    public void A_coalesced_notification_names_the_ids_it_replaces_in_every_payload()
    {
        var notification = Events.Make("m1", "host:a", 4, AlertState.Alert, AlertState.Ok, logIndex: 42) with
        {
            Replaces = [new TransitionId("m1", "host:a", 2), new TransitionId("m1", "host:a", 3)],
        };
        var trigger = Events.Make("m1", "host:a", 4, AlertState.Ok, AlertState.Alert, logIndex: 42) with { Replaces = notification.Replaces };

        var webhook = System.Text.Json.JsonDocument.Parse(WebhookPayload.Build(notification)).RootElement;
        var alertmanager = System.Text.Json.JsonDocument.Parse(AlertmanagerPayload.Build(notification, NotificationAction.Resolve, SendTime, TimeSpan.FromHours(1))).RootElement;
        var pagerDuty = System.Text.Json.JsonDocument.Parse(PagerDutyPayload.Build(trigger, NotificationAction.Trigger, "R0UT1NGKEY")).RootElement;

        Assert.True(webhook.GetProperty("coalesced").GetBoolean());
        Assert.Equal(["m1/host:a/2", "m1/host:a/3"], webhook.GetProperty("replaces").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("m1/host:a/2,m1/host:a/3", alertmanager[0].GetProperty("annotations").GetProperty("replaces").GetString());
        var details = pagerDuty.GetProperty("payload").GetProperty("custom_details");
        Assert.True(details.GetProperty("coalesced").GetBoolean());
        Assert.Equal(["m1/host:a/2", "m1/host:a/3"], details.GetProperty("replaces").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Webhook_body_writes_missing_value_as_null_and_lists_flags()
    {
        var transition = new TransitionEvent("m2", "*", 1, AlertState.Ok, AlertState.NoData, double.NaN, double.NaN, Events.BaseMs + 1, 7,
            TransitionReason.NoData, GroupFlags.Pending | GroupFlags.Muted, true, false);
        var notification = new Notification(transition, "", [], "no data <b>\"x\"</b>");

        var json = Encoding.UTF8.GetString(WebhookPayload.Build(notification));

        AssertJson(
            "{'id':'m2/*/1','action':'trigger','monitor':{'id':'m2','name':'m2','tags':[]},"
            + "'transition':{'monitor_id':'m2','group_key':'*','transition_number':1,'previous':'OK','state':'NO_DATA','value':null,'threshold':null,"
            + "'time':'2026-01-01T00:00:00.001Z','log_index':7,'reason':'no data','flags':['pending','muted'],'renotify':false},'message':'no data <b>\\'x\\'</b>'}",
            json);
    }

    [Fact]
    public void Alertmanager_trigger_is_one_alert_with_group_and_monitor_labels_and_a_future_endsAt()
    {
        var notification = Events.Make("m1", "host:a,env:prod", 3, AlertState.Ok, AlertState.Alert);

        var json = Encoding.UTF8.GetString(AlertmanagerPayload.Build(notification, NotificationAction.Trigger, SendTime, TimeSpan.FromHours(1)));

        AssertJson(
            "[{'labels':{'alertname':'CPU high','env':'prod','host':'a','monitor_id':'m1','service':'web','severity':'critical','team':'infra'},"
            + "'annotations':{'summary':'CPU is high on {{host}}','value':'93.5','threshold':'90','state':'ALERT','reason':'threshold crossed','transition_id':'m1/host:a,env:prod/3'},"
            + "'startsAt':'2026-01-01T00:00:00.000Z','endsAt':'2026-01-01T01:00:05.000Z'}]",
            json);
    }

    [Fact]
    public void Alertmanager_resolve_has_the_trigger_labels_and_ends_at_the_recovery_time()
    {
        var trigger = Events.Make("m1", "host:a", 3, AlertState.Ok, AlertState.Alert);
        var resolve = Events.Make("m1", "host:a", 4, AlertState.Alert, AlertState.Ok, value: 42, timeMs: Events.BaseMs + 60_000);

        var json = Encoding.UTF8.GetString(AlertmanagerPayload.Build(resolve, NotificationAction.Resolve, SendTime, TimeSpan.FromHours(1)));

        AssertJson(
            "[{'labels':{'alertname':'CPU high','host':'a','monitor_id':'m1','service':'web','severity':'critical','team':'infra'},"
            + "'annotations':{'summary':'CPU is high on {{host}}','value':'42','threshold':'90','state':'OK','reason':'recovered','transition_id':'m1/host:a/4'},"
            + "'startsAt':'2026-01-01T00:01:00.000Z','endsAt':'2026-01-01T00:01:00.000Z'}]",
            json);
        Assert.Equal(AlertmanagerPayload.Labels(trigger, "critical"), AlertmanagerPayload.Labels(resolve, "critical"));
    }

    [Fact]
    public void Alertmanager_severity_change_resolves_the_alert_under_the_old_severity_in_the_same_request()
    {
        var escalation = Events.Make("m1", "*", 2, AlertState.Warn, AlertState.Alert);

        var json = Encoding.UTF8.GetString(AlertmanagerPayload.Build(escalation, NotificationAction.Trigger, SendTime, TimeSpan.FromMinutes(30)));

        AssertJson(
            "[{'labels':{'alertname':'CPU high','monitor_id':'m1','service':'web','severity':'critical','team':'infra'},"
            + "'annotations':{'summary':'CPU is high on {{host}}','value':'93.5','threshold':'90','state':'ALERT','reason':'threshold crossed','transition_id':'m1/*/2'},"
            + "'startsAt':'2026-01-01T00:00:00.000Z','endsAt':'2026-01-01T00:30:05.000Z'},"
            + "{'labels':{'alertname':'CPU high','monitor_id':'m1','service':'web','severity':'warning','team':'infra'},"
            + "'annotations':{'summary':'CPU is high on {{host}}','value':'93.5','threshold':'90','state':'ALERT','reason':'threshold crossed','transition_id':'m1/*/2'},"
            + "'startsAt':'2026-01-01T00:00:00.000Z','endsAt':'2026-01-01T00:00:00.000Z'}]",
            json);
    }

    [Fact]
    public void Alertmanager_labels_are_sanitized_and_reserved_labels_cannot_be_overridden_by_tags()
    {
        var transition = new TransitionEvent("m9", "host.name:a-1,9zone:eu", 1, AlertState.Ok, AlertState.Warn, 1, 1, Events.BaseMs, 1,
            TransitionReason.ThresholdCrossed, GroupFlags.None, true, false);
        var notification = new Notification(transition, "", ["severity:low", "canary", "host.name:other", "alertname:x"], "");

        var labels = AlertmanagerPayload.Labels(notification, "warning");

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["_9zone"] = "eu",
                ["alertname"] = "m9",
                ["canary"] = "true",
                ["host_name"] = "a-1",
                ["monitor_id"] = "m9",
                ["severity"] = "warning",
            },
            labels);
    }

    [Fact]
    public void PagerDuty_trigger_uses_the_group_key_as_dedup_key_and_maps_severity()
    {
        var notification = Events.Make("m1", "host:a", 3, AlertState.Ok, AlertState.Warn, logIndex: 42);

        var json = Encoding.UTF8.GetString(PagerDutyPayload.Build(notification, NotificationAction.Trigger, "R0UT1NGKEY"));

        AssertJson(
            "{'routing_key':'R0UT1NGKEY','event_action':'trigger','dedup_key':'m1/host:a','payload':{'summary':'CPU is high on {{host}}','source':'host:a',"
            + "'severity':'warning','timestamp':'2026-01-01T00:00:00.000Z','custom_details':{'transition_id':'m1/host:a/3','monitor_id':'m1','monitor_name':'CPU high',"
            + "'group_key':'host:a','previous':'OK','state':'WARN','value':93.5,'threshold':90,'reason':'threshold crossed','renotify':false,"
            + "'tags':['team:infra','service:web'],'message':'CPU is high on {{host}}'}}}",
            json);
    }

    [Fact]
    public void PagerDuty_resolve_carries_only_routing_key_action_and_dedup_key()
    {
        var notification = Events.Make("m1", "host:a", 4, AlertState.Alert, AlertState.Ok);

        var json = Encoding.UTF8.GetString(PagerDutyPayload.Build(notification, NotificationAction.Resolve, "R0UT1NGKEY"));

        Assert.Equal("""{"routing_key":"R0UT1NGKEY","event_action":"resolve","dedup_key":"m1/host:a"}""", json);
    }

    [Fact]
    public void PagerDuty_summary_is_cut_to_its_limit()
    {
        var notification = Events.Make("m1", "*", 1, AlertState.Ok, AlertState.Alert, message: new string('x', PagerDutyPayload.MaxSummaryChars + 10));

        using var json = System.Text.Json.JsonDocument.Parse(PagerDutyPayload.Build(notification, NotificationAction.Trigger, "k"));

        var summary = json.RootElement.GetProperty("payload").GetProperty("summary").GetString();
        Assert.Equal(new string('x', PagerDutyPayload.MaxSummaryChars), summary);
    }

    /// <summary>Expected JSON is written with single quotes for readability.</summary>
    private static void AssertJson(string expected, string actual) => Assert.Equal(expected.Replace('\'', '"'), actual);

    [Theory]
    [InlineData(AlertState.Ok, AlertState.Alert, true, false, NotificationAction.Trigger)]
    [InlineData(AlertState.Ok, AlertState.Warn, true, false, NotificationAction.Trigger)]
    [InlineData(AlertState.Ok, AlertState.NoData, true, false, NotificationAction.Trigger)]
    [InlineData(AlertState.Alert, AlertState.Alert, true, true, NotificationAction.Trigger)]
    [InlineData(AlertState.Alert, AlertState.Ok, true, false, NotificationAction.Resolve)]
    [InlineData(AlertState.NoData, AlertState.Ok, true, false, NotificationAction.Resolve)]
    [InlineData(AlertState.Ok, AlertState.Ok, true, false, NotificationAction.None)]
    [InlineData(AlertState.Ok, AlertState.Alert, false, false, NotificationAction.None)]
    [InlineData(AlertState.Alert, AlertState.Ok, false, false, NotificationAction.None)]
    public void Muted_or_flapping_events_send_nothing_and_the_others_trigger_or_resolve(AlertState previous, AlertState next, bool notify, bool renotify, NotificationAction expected)
    {
        var notification = Events.Make("m1", "*", 1, previous, next, notify: notify, renotify: renotify);

        Assert.Equal(expected, NotificationPolicy.ActionOf(notification.Event));
    }
}
