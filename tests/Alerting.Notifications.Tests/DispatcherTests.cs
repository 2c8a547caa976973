using Alerting.Engine.State;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Notifications.Tests;

public sealed class DispatcherTests : IAsyncLifetime
{
    private const ulong Term = 5;
    private const int Seed = 20260101;

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeMilliseconds(Events.BaseMs));
    private readonly Recorder _recorder = new();
    // One client for all tests, as an application would hold one.
    private static readonly HttpClient Http = new();

    private readonly List<NotificationDispatcher> _dispatchers = [];
    private Receiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync(_clock);

    public async Task DisposeAsync()
    {
        foreach (var dispatcher in _dispatchers)
        {
            await dispatcher.DisposeAsync();
        }

        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task Answers_500_then_429_are_retried_after_their_delays_and_the_event_is_delivered_once()
    {
        var dispatcher = Start(new DeliveryOptions { InitialBackoff = TimeSpan.FromSeconds(2) });
        _receiver.Script(new Reply(500), new Reply(429, RetryAfterSeconds: 7), new Reply(200));

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Trigger("host:a", 1)));

        var first = await _receiver.NextAsync();
        var retry1 = await _recorder.NextRetryAsync();
        Assert.Equal(500, retry1.StatusCode);
        Assert.InRange(retry1.Delay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        _clock.Advance(retry1.Delay);

        var second = await _receiver.NextAsync();
        Assert.True(second.ClockTime >= first.ClockTime + retry1.Delay, $"retry sent at {second.ClockTime}, before its backoff ended (seed {Seed})");
        var retry2 = await _recorder.NextRetryAsync();
        Assert.Equal(429, retry2.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), retry2.Delay);
        _clock.Advance(TimeSpan.FromSeconds(7));

        var third = await _receiver.NextAsync();
        Assert.True(third.ClockTime >= second.ClockTime + TimeSpan.FromSeconds(7), "Retry-After was not honoured");
        var report = await _recorder.NextCompletedAsync();
        Assert.Equal(DeliveryOutcome.Delivered, report.Outcome);
        Assert.Equal(3, report.Attempts);
        Assert.Equal(200, report.StatusCode);
        Assert.All(_receiver.All, r => Assert.Equal("m1/host:a/1", r.TransitionId));
        Assert.Equal(3, _receiver.All.Count);
        Assert.Single(_recorder.AllCompleted);
        Assert.Equal(new DeliveryCounters("hook", 0, 0, 1, 2, 0, 0, 0), dispatcher.Counters("hook"));
    }

    [Fact]
    public async Task Backoff_doubles_per_attempt_within_its_jitter_band()
    {
        var dispatcher = Start(new DeliveryOptions { InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(4) });
        _receiver.Script(new Reply(503), new Reply(503), new Reply(503), new Reply(503));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));

        foreach (var ceilingSeconds in new[] { 1, 2, 4, 4 })
        {
            var retry = await _recorder.NextRetryAsync();
            var ceiling = TimeSpan.FromSeconds(ceilingSeconds);
            Assert.InRange(retry.Delay, ceiling / 2, ceiling);
            _clock.Advance(retry.Delay);
        }

        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task A_client_error_is_not_retried_and_is_recorded_as_rejected(int status)
    {
        var dispatcher = Start(new DeliveryOptions());
        _receiver.Script(new Reply(status, Body: "bad field labels"));

        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));

        var report = await _recorder.NextCompletedAsync();
        Assert.Equal(DeliveryOutcome.Rejected, report.Outcome);
        Assert.Equal(status, report.StatusCode);
        Assert.Equal(1, report.Attempts);
        Assert.Contains("bad field labels", report.Detail, StringComparison.Ordinal);
        Assert.False(_recorder.HasUnreadRetry);
        Assert.Single(_receiver.All);
        Assert.Equal(1, dispatcher.Counters("hook").Failed);
    }

    [Fact]
    public async Task Retries_stop_at_max_attempts_and_the_delivery_is_recorded_as_exhausted()
    {
        var dispatcher = Start(new DeliveryOptions { MaxAttempts = 2 });
        _receiver.Script(new Reply(502), new Reply(502), new Reply(200));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));

        _clock.Advance((await _recorder.NextRetryAsync()).Delay);

        var report = await _recorder.NextCompletedAsync();
        Assert.Equal(DeliveryOutcome.Exhausted, report.Outcome);
        Assert.Equal(2, report.Attempts);
        Assert.Equal(2, _receiver.All.Count);
    }

    [Fact]
    public async Task A_delivery_older_than_max_age_is_not_retried_again()
    {
        var dispatcher = Start(new DeliveryOptions { MaxAge = TimeSpan.FromSeconds(5), InitialBackoff = TimeSpan.FromSeconds(10), MaxBackoff = TimeSpan.FromSeconds(10) });
        _receiver.Script(new Reply(500), new Reply(500), new Reply(200));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));

        var retry = await _recorder.NextRetryAsync();
        Assert.True(retry.Delay >= TimeSpan.FromSeconds(5), $"delay {retry.Delay} (seed {Seed})");
        _clock.Advance(retry.Delay);

        var report = await _recorder.NextCompletedAsync();
        Assert.Equal((DeliveryOutcome.Exhausted, 2), (report.Outcome, report.Attempts));
        Assert.Contains("gave up", report.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_in_flight_to_one_endpoint_stay_within_the_concurrency_limit()
    {
        var dispatcher = Start(new DeliveryOptions { MaxConcurrentRequestsPerEndpoint = 1 });
        var release = new TaskCompletionSource();
        _receiver.Policy = r => r.TransitionId.Contains("host:a", StringComparison.Ordinal) ? new Reply(200, Gate: release.Task) : new Reply(200);
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        await _receiver.NextAsync();

        dispatcher.Enqueue("hook", Events.Trigger("host:b", 1));
        Assert.Equal(2, dispatcher.Counters("hook").QueueDepth);
        Assert.Single(_receiver.All);
        release.SetResult();

        Assert.Equal("m1/host:b/1", (await _receiver.NextAsync()).TransitionId);
        var done = new[] { await _recorder.NextCompletedAsync(), await _recorder.NextCompletedAsync() };
        Assert.All(done, r => Assert.Equal(DeliveryOutcome.Delivered, r.Outcome));
    }

    [Fact]
    public async Task A_request_that_times_out_is_retried()
    {
        var dispatcher = Start(new DeliveryOptions { RequestTimeout = TimeSpan.FromSeconds(3) });
        var never = new TaskCompletionSource();
        _receiver.Script(new Reply(200, Gate: never.Task), new Reply(200));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        await _receiver.NextAsync();

        _clock.Advance(TimeSpan.FromSeconds(3));

        var retry = await _recorder.NextRetryAsync();
        Assert.Equal(0, retry.StatusCode);
        Assert.Contains("timed out", retry.Detail, StringComparison.Ordinal);
        _clock.Advance(retry.Delay);
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
    }

    [Fact]
    public async Task A_network_error_is_retried()
    {
        var closedPort = new Uri("http://127.0.0.1:1/");
        var dispatcher = Start(new DeliveryOptions(), new WebhookEndpoint { Name = "down", Url = closedPort });

        dispatcher.Enqueue("down", Events.Trigger("host:a", 1));

        var retry = await _recorder.NextRetryAsync();
        Assert.Equal(0, retry.StatusCode);
        Assert.StartsWith("network error", retry.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_of_one_key_are_sent_one_at_a_time_in_order()
    {
        var dispatcher = Start(new DeliveryOptions());
        var release = new TaskCompletionSource();
        _receiver.Script(new Reply(200, Gate: release.Task), new Reply(200));

        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        await _receiver.NextAsync();
        dispatcher.Enqueue("hook", Events.Resolve("host:a", 2));
        Assert.Single(_receiver.All);
        release.SetResult();

        Assert.Equal("m1/host:a/1", (await _recorder.NextCompletedAsync()).Id.ToString());
        Assert.Equal("m1/host:a/2", (await _receiver.NextAsync()).TransitionId);
        Assert.Equal("m1/host:a/2", (await _recorder.NextCompletedAsync()).Id.ToString());
        Assert.Equal(["m1/host:a/1", "m1/host:a/2"], _receiver.All.Select(r => r.TransitionId));
    }

    [Fact]
    public async Task A_resolve_supersedes_a_trigger_waiting_to_retry_and_the_trigger_never_lands_after_it()
    {
        var dispatcher = Start(new DeliveryOptions());
        _receiver.Script(new Reply(503), new Reply(200));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        var retry = await _recorder.NextRetryAsync();

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Resolve("host:a", 2)));

        var superseded = await _recorder.NextCompletedAsync();
        Assert.Equal(("m1/host:a/1", DeliveryOutcome.Superseded), (superseded.Id.ToString(), superseded.Outcome));
        Assert.Contains("m1/host:a/2", superseded.Detail, StringComparison.Ordinal);
        var resolved = await _recorder.NextCompletedAsync();
        Assert.Equal(("m1/host:a/2", DeliveryOutcome.Delivered), (resolved.Id.ToString(), resolved.Outcome));
        _clock.Advance(retry.Delay + TimeSpan.FromMinutes(10));
        await dispatcher.DisposeAsync();
        Assert.Equal(["m1/host:a/1", "m1/host:a/2"], _receiver.All.Select(r => r.TransitionId));
        Assert.Equal(1, dispatcher.Counters("hook").Superseded);
    }

    [Fact]
    public async Task A_trigger_in_flight_that_fails_after_its_resolve_arrived_is_superseded_not_retried()
    {
        var dispatcher = Start(new DeliveryOptions());
        var release = new TaskCompletionSource();
        _receiver.Script(new Reply(503, Gate: release.Task), new Reply(200));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        await _receiver.NextAsync();

        dispatcher.Enqueue("hook", Events.Resolve("host:a", 2));
        release.SetResult();

        Assert.Equal(DeliveryOutcome.Superseded, (await _recorder.NextCompletedAsync()).Outcome);
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
        Assert.False(_recorder.HasUnreadRetry);
        Assert.Equal(["m1/host:a/1", "m1/host:a/2"], _receiver.All.Select(r => r.TransitionId));
    }

    [Fact]
    public async Task A_full_endpoint_answers_overloaded_and_a_superseding_event_still_fits()
    {
        var dispatcher = Start(new DeliveryOptions { MaxKeysPerEndpoint = 2, MaxQueuedPerEndpoint = 3 });
        var release = new TaskCompletionSource();
        _receiver.Policy = _ => new Reply(200, Gate: release.Task);

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Trigger("host:a", 1)));
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Trigger("host:b", 1)));
        Assert.Equal(EnqueueResult.Overloaded, dispatcher.Enqueue("hook", Events.Trigger("host:c", 1)));
        await _receiver.NextAsync();
        await _receiver.NextAsync();
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Resolve("host:a", 2)));
        Assert.Equal(EnqueueResult.Overloaded, dispatcher.Enqueue("hook", Events.Resolve("host:b", 2)));
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Trigger("host:a", 3)));

        var counters = dispatcher.Counters("hook");
        Assert.Equal((3, 2, 2L, 1L), (counters.QueueDepth, counters.Keys, counters.Overloaded, counters.Superseded));
        release.SetResult();
        var outcomes = new List<DeliveryReport>();
        for (var i = 0; i < 4; i++)
        {
            outcomes.Add(await _recorder.NextCompletedAsync());
        }

        Assert.Equal(
            ["m1/host:a/1", "m1/host:a/2", "m1/host:a/3", "m1/host:b/1"],
            outcomes.Select(r => r.Id.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Coalesced_events_are_sent_once_as_the_newest_state_listing_the_ids_they_replace()
    {
        var dispatcher = Start(new DeliveryOptions());
        var release = new TaskCompletionSource();
        _receiver.Script(new Reply(200, Gate: release.Task), new Reply(200));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        await _receiver.NextAsync();

        // 1 is on the wire; 2 and 3 wait behind it, so 4 replaces both and says so.
        dispatcher.Enqueue("hook", Events.Resolve("host:a", 2));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 3));
        dispatcher.Enqueue("hook", Events.Resolve("host:a", 4));
        release.SetResult();

        var reports = new List<DeliveryReport>();
        for (var i = 0; i < 4; i++)
        {
            reports.Add(await _recorder.NextCompletedAsync());
        }

        var sent = _receiver.All;
        Assert.Equal(["m1/host:a/1", "m1/host:a/4"], sent.Select(r => r.TransitionId));
        using var body = System.Text.Json.JsonDocument.Parse(sent[1].Body);
        Assert.True(body.RootElement.GetProperty("coalesced").GetBoolean());
        Assert.Equal(["m1/host:a/2", "m1/host:a/3"], body.RootElement.GetProperty("replaces").EnumerateArray().Select(e => e.GetString()));
        var last = reports.Single(r => r.Id.TransitionNumber == 4);
        Assert.Equal(DeliveryOutcome.Delivered, last.Outcome);
        Assert.Equal(["m1/host:a/2", "m1/host:a/3"], last.Replaces.Select(id => id.ToString()));
        Assert.Equal(2, reports.Count(r => r.Outcome == DeliveryOutcome.Superseded));
    }

    [Fact]
    public async Task With_coalescing_off_every_event_of_a_key_is_sent_in_order()
    {
        var dispatcher = Start(new DeliveryOptions { Coalesce = false, MaxQueuedPerEndpoint = 3 });
        var release = new TaskCompletionSource();
        _receiver.Script(new Reply(200, Gate: release.Task), new Reply(200), new Reply(200));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        await _receiver.NextAsync();

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Resolve("host:a", 2)));
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Trigger("host:a", 3)));
        // Without coalescing a newer event of the key needs room of its own: the queue limit is crossed.
        Assert.Equal(EnqueueResult.Overloaded, dispatcher.Enqueue("hook", Events.Resolve("host:a", 4)));
        release.SetResult();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
        }

        Assert.Equal(["m1/host:a/1", "m1/host:a/2", "m1/host:a/3"], _receiver.All.Select(r => r.TransitionId));
        Assert.All(_receiver.All, r => Assert.DoesNotContain("replaces", r.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Waiting_for_room_completes_when_a_delivery_leaves_a_full_queue()
    {
        var dispatcher = Start(new DeliveryOptions { MaxQueuedPerEndpoint = 1 });
        var release = new TaskCompletionSource();
        _receiver.Script(new Reply(200, Gate: release.Task), new Reply(200));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        Assert.Equal(EnqueueResult.Overloaded, dispatcher.Enqueue("hook", Events.Trigger("host:b", 1)));

        var room = dispatcher.WhenRoomAsync("hook", CancellationToken.None);
        await _receiver.NextAsync();
        Assert.False(room.IsCompleted);
        release.SetResult();
        await room.WaitAsync(Receiver.WaitLimit);

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Trigger("host:b", 1)));
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
    }

    [Fact]
    public async Task A_stuck_key_does_not_hold_back_another_key()
    {
        var dispatcher = Start(new DeliveryOptions());
        var stuck = new TaskCompletionSource();
        _receiver.Policy = r => r.TransitionId.Contains("host:a", StringComparison.Ordinal) ? new Reply(200, Gate: stuck.Task) : new Reply(200);
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        await _receiver.NextAsync();

        dispatcher.Enqueue("hook", Events.Trigger("host:b", 1));
        dispatcher.Enqueue("hook", Events.Trigger("host:c", 1));

        var done = new[] { await _recorder.NextCompletedAsync(), await _recorder.NextCompletedAsync() };
        Assert.Equal(["m1/host:b/1", "m1/host:c/1"], done.Select(r => r.Id.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(1, dispatcher.Counters("hook").QueueDepth);
        stuck.SetResult();
        Assert.Equal("m1/host:a/1", (await _recorder.NextCompletedAsync()).Id.ToString());
    }

    [Fact]
    public async Task Fencing_with_a_higher_term_cancels_requests_in_flight_and_sends_nothing_more()
    {
        var dispatcher = Start(new DeliveryOptions());
        var never = new TaskCompletionSource();
        _receiver.Policy = r => r.TransitionId.Contains("host:a", StringComparison.Ordinal) ? new Reply(200, Gate: never.Task) : new Reply(503);
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 1));
        dispatcher.Enqueue("hook", Events.Trigger("host:b", 1));
        await _recorder.NextRetryAsync();
        await _receiver.NextAsync();
        await _receiver.NextAsync();

        Assert.False(dispatcher.Fence(Term));
        Assert.True(dispatcher.Fence(Term + 1));

        Assert.Equal("m1/host:a/1", await _receiver.NextAbortedAsync());
        Assert.Equal(EnqueueResult.Fenced, dispatcher.Enqueue("hook", Events.Trigger("host:c", 1)));
        await dispatcher.DisposeAsync();
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(2, _receiver.All.Count);
        Assert.Empty(_recorder.AllCompleted);
        Assert.Equal(["m1/host:a/1", "m1/host:b/1"], dispatcher.Pending().Select(p => p.Notification.Id.ToString()));
        Assert.All(_receiver.All, r => Assert.Equal("5", r.Term));
    }

    [Fact]
    public async Task A_new_dispatcher_resumes_pending_deliveries_in_log_order_keeping_only_the_newest_per_key()
    {
        var old = Start(new DeliveryOptions());
        _receiver.Policy = _ => new Reply(503);
        old.Enqueue("hook", Events.Trigger("host:b", 1, logIndex: 10));
        old.Enqueue("hook", Events.Trigger("host:a", 1, logIndex: 11));
        await _recorder.NextRetryAsync();
        await _recorder.NextRetryAsync();
        old.Fence(Term + 1);
        await old.DisposeAsync();
        var pending = old.Pending().ToList();
        pending.Add(new PendingDelivery("hook", Events.Resolve("host:a", 2, logIndex: 12)));
        _receiver.Policy = null;

        var resumed = Start(new DeliveryOptions(), term: Term + 1);
        var results = resumed.Resume([pending[2], pending[0], pending[1]]);

        Assert.Equal([EnqueueResult.Accepted, EnqueueResult.Accepted, EnqueueResult.Accepted], results);
        var reports = new List<DeliveryReport>();
        for (var i = 0; i < 3; i++)
        {
            reports.Add(await _recorder.NextCompletedAsync());
        }

        Assert.Contains(reports, r => r.Id.ToString() == "m1/host:a/1" && r.Outcome == DeliveryOutcome.Superseded);
        Assert.Contains(reports, r => r.Id.ToString() == "m1/host:a/2" && r.Outcome == DeliveryOutcome.Delivered);
        Assert.Contains(reports, r => r.Id.ToString() == "m1/host:b/1" && r.Outcome == DeliveryOutcome.Delivered);
        var afterResume = _receiver.All.Where(r => r.Term == "6").Select(r => r.TransitionId).ToList();
        Assert.Equal(["m1/host:a/2", "m1/host:b/1"], afterResume.Order(StringComparer.Ordinal));
        Assert.Empty(resumed.Pending());
    }

    [Fact]
    public async Task A_duplicate_is_ignored_and_an_event_older_than_the_queued_one_is_recorded_as_superseded()
    {
        var dispatcher = Start(new DeliveryOptions());
        var release = new TaskCompletionSource();
        _receiver.Script(new Reply(200, Gate: release.Task));
        dispatcher.Enqueue("hook", Events.Trigger("host:a", 3));
        await _receiver.NextAsync();

        Assert.Equal(EnqueueResult.Duplicate, dispatcher.Enqueue("hook", Events.Trigger("host:a", 3)));
        Assert.Equal(EnqueueResult.Stale, dispatcher.Enqueue("hook", Events.Trigger("host:a", 2)));

        var stale = await _recorder.NextCompletedAsync();
        Assert.Equal(("m1/host:a/2", DeliveryOutcome.Superseded, 0), (stale.Id.ToString(), stale.Outcome, stale.Attempts));
        release.SetResult();
        Assert.Equal("m1/host:a/3", (await _recorder.NextCompletedAsync()).Id.ToString());
        Assert.Single(_receiver.All);
    }

    [Fact]
    public async Task Muted_events_are_not_queued_and_nothing_is_sent()
    {
        var dispatcher = Start(new DeliveryOptions());

        var result = dispatcher.Enqueue("hook", Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Alert, notify: false));

        Assert.Equal(EnqueueResult.NotNotified, result);
        await dispatcher.DisposeAsync();
        Assert.Empty(_receiver.All);
        Assert.Empty(dispatcher.Pending());
    }

    [Fact]
    public async Task Each_endpoint_kind_posts_its_own_body_to_its_own_path_with_the_term_and_headers()
    {
        var dispatcher = Start(
            new DeliveryOptions(),
            new WebhookEndpoint { Name = "hook", Url = new Uri(_receiver.Url, "hooks/alerts"), Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer t0k" } },
            new AlertmanagerEndpoint { Name = "am", BaseUrl = new Uri(_receiver.Url, "am") },
            new PagerDutyEndpoint { Name = "pd", Url = new Uri(_receiver.Url, "v2/enqueue"), RoutingKey = "R0UT1NGKEY" });
        var notification = Events.Trigger("host:a", 1);

        foreach (var endpoint in new[] { "hook", "am", "pd" })
        {
            dispatcher.Enqueue(endpoint, notification);
            await _recorder.NextCompletedAsync();
        }

        var received = _receiver.All;
        Assert.Equal(["/hooks/alerts", "/am/api/v2/alerts", "/v2/enqueue"], received.Select(r => r.Path));
        Assert.Equal("Bearer t0k", received[0].Headers["Authorization"]);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(WebhookPayload.Build(notification)), received[0].Body);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(AlertmanagerPayload.Build(notification, NotificationAction.Trigger, _clock.GetUtcNow(), TimeSpan.FromHours(1))), received[1].Body);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(PagerDutyPayload.Build(notification, NotificationAction.Trigger, "R0UT1NGKEY")), received[2].Body);
        Assert.All(received, r => Assert.Equal(("5", "m1/host:a/1"), (r.Term, r.TransitionId)));
    }

    [Fact]
    public void Configuration_errors_name_the_field()
    {
        var duplicate = Assert.Throws<ArgumentException>(() => Start(new DeliveryOptions(),
            new WebhookEndpoint { Name = "x", Url = _receiver.Url }, new WebhookEndpoint { Name = "x", Url = _receiver.Url }));
        Assert.Contains("used twice", duplicate.Message, StringComparison.Ordinal);
        var relative = Assert.Throws<ArgumentException>(() => Start(new DeliveryOptions(), new WebhookEndpoint { Name = "x", Url = new Uri("/hook", UriKind.Relative) }));
        Assert.Contains("url must be an absolute http or https URL", relative.Message, StringComparison.Ordinal);
        var noKey = Assert.Throws<ArgumentException>(() => Start(new DeliveryOptions(), new PagerDutyEndpoint { Name = "pd", RoutingKey = " " }));
        Assert.Contains("routing_key", noKey.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Start(new DeliveryOptions { MaxKeysPerEndpoint = 0 }));
        Assert.Equal(new Uri("https://events.pagerduty.com/v2/enqueue"), new PagerDutyEndpoint { Name = "pd", RoutingKey = "k" }.Url);
    }

    private NotificationDispatcher Start(DeliveryOptions options, params NotificationEndpoint[] endpoints) => Start(options, Term, endpoints);

    private NotificationDispatcher Start(DeliveryOptions options, ulong term, params NotificationEndpoint[] endpoints)
    {
        if (endpoints.Length == 0)
        {
            endpoints = [new WebhookEndpoint { Name = "hook", Url = new Uri(_receiver.Url, "hook") }];
        }

        var dispatcher = new NotificationDispatcher(endpoints, options, Http, _recorder, _clock, new Random(Seed), term);
        _dispatchers.Add(dispatcher);
        return dispatcher;
    }
}
