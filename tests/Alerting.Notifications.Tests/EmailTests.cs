using Alerting.Engine.State;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Alerting.Notifications.Tests;

/// <summary>
/// The email receiver through the dispatcher against a real SMTP server (aiosmtpd on loopback): what arrives
/// (envelope recipients, subject, text and HTML parts, Message-ID derived from the transition id), and the
/// dispatcher's guarantees for SMTP answers (5xx final, 4xx and connection failures retried with the same id).
/// </summary>
public sealed class EmailTests
{
    private static readonly HttpClient Http = new();
    private static readonly Uri StatusPage = new("http://status.example.test:7701/");

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeMilliseconds(Events.BaseMs));
    private readonly Recorder _recorder = new();

    [SmtpFact]
    public async Task A_firing_then_recovering_group_arrives_as_two_emails_with_ids_from_their_transitions()
    {
        await using var smtp = await SmtpReceiver.StartAsync();
        var endpoint = Endpoint(smtp.Port, ["oncall@example.org", "Team Lead <lead@example.org>"]);
        await using var dispatcher = Start(endpoint);

        var trigger = Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Alert, message: "CPU <high> & rising on host:a");
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("mail", trigger));
        var (firing, firingTo) = await smtp.NextMessageAsync();
        var firingReport = await _recorder.NextCompletedAsync();
        Assert.Equal(DeliveryOutcome.Delivered, firingReport.Outcome);
        Assert.Equal(250, firingReport.StatusCode);

        var resolve = Events.Make("m1", "host:a", 2, AlertState.Alert, AlertState.Ok, value: 42, message: "CPU <high> & rising on host:a");
        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("mail", resolve));
        var (recovered, recoveredTo) = await smtp.NextMessageAsync();
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);

        Assert.Equal(["oncall@example.org", "lead@example.org"], firingTo);
        Assert.Equal(["oncall@example.org", "lead@example.org"], recoveredTo);
        Assert.Equal("alerts@example.org", firing.From.Mailboxes.Single().Address);
        Assert.Equal(["oncall@example.org", "lead@example.org"], firing.To.Mailboxes.Select(m => m.Address));

        Assert.Equal("[ALERT] CPU high on host:a", firing.Subject);
        Assert.Equal("[Resolved] CPU high on host:a", recovered.Subject);
        Assert.Equal(EmailPayload.MessageId(new TransitionId("m1", "host:a", 1), "example.org"), firing.MessageId);
        Assert.Equal(EmailPayload.MessageId(new TransitionId("m1", "host:a", 2), "example.org"), recovered.MessageId);
        Assert.NotEqual(firing.MessageId, recovered.MessageId);
        Assert.Equal(firing.References.Single(), recovered.References.Single());
        Assert.Equal("m1/host:a/1", firing.Headers[NotificationEndpoint.TransitionIdHeader]);
        Assert.Equal("3", firing.Headers[NotificationEndpoint.TermHeader]);

        Assert.Contains("CPU <high> & rising on host:a", firing.TextBody, StringComparison.Ordinal);
        Assert.Contains("State: OK → ALERT\n", firing.TextBody, StringComparison.Ordinal);
        Assert.Contains("Value: 93.5\n", firing.TextBody, StringComparison.Ordinal);
        Assert.Contains("Threshold: 90\n", firing.TextBody, StringComparison.Ordinal);
        Assert.Contains("Status page: http://status.example.test:7701/status/group?monitor=m1&group=host%3Aa\n", firing.TextBody, StringComparison.Ordinal);
        Assert.Contains("State: ALERT → OK\n", recovered.TextBody, StringComparison.Ordinal);
        Assert.Contains("Value: 42\n", recovered.TextBody, StringComparison.Ordinal);

        Assert.Contains("CPU &lt;high&gt; &amp; rising on host:a", firing.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<high>", firing.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("<a href=\"http://status.example.test:7701/status/group?monitor=m1&amp;group=host%3Aa\">", firing.HtmlBody, StringComparison.Ordinal);
        Assert.Equal("multipart/alternative", firing.Body!.ContentType.MimeType);
    }

    [SmtpFact]
    public async Task Subject_and_body_templates_shape_the_email()
    {
        await using var smtp = await SmtpReceiver.StartAsync();
        var endpoint = Endpoint(
            smtp.Port,
            ["oncall@example.org"],
            subject: PayloadTemplate.ParseText("{{ severity | upcase }}: {{ monitor.name }} ({{ group }})"),
            body: PayloadTemplate.ParseText("{{ message }}\nvalue {{ value }} over {{ threshold }}\n{{ link }}"));
        await using var dispatcher = Start(endpoint);

        dispatcher.Enqueue("mail", Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Alert, message: "disk <full>"));
        var (message, _) = await smtp.NextMessageAsync();
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);

        Assert.Equal("CRITICAL: CPU high (host:a)", message.Subject);
        Assert.Equal("disk <full>\nvalue 93.5 over 90\nhttp://status.example.test:7701/status/group?monitor=m1&group=host%3Aa", message.TextBody!.ReplaceLineEndings("\n").TrimEnd('\n'));
        Assert.Contains("disk &lt;full&gt;<br>", message.HtmlBody, StringComparison.Ordinal);
        Assert.Equal(EmailPayload.MessageId(new TransitionId("m1", "host:a", 1), "example.org"), message.MessageId);
    }

    [SmtpFact]
    public async Task A_permanent_5xx_answer_is_a_rejected_attempt_and_is_not_retried()
    {
        await using var smtp = await SmtpReceiver.StartAsync();
        await using var dispatcher = Start(Endpoint(smtp.Port, ["reject-me@example.org"]));

        dispatcher.Enqueue("mail", Events.Trigger("host:a", 1));
        var report = await _recorder.NextCompletedAsync();

        Assert.Equal(DeliveryOutcome.Rejected, report.Outcome);
        Assert.Equal(550, report.StatusCode);
        Assert.Equal(1, report.Attempts);
        Assert.Contains("no such user", report.Detail, StringComparison.Ordinal);
        Assert.False(_recorder.HasUnreadRetry);
        Assert.Equal(0, smtp.AcceptedCount);
    }

    [SmtpFact]
    public async Task A_refused_recipient_does_not_stop_the_message_to_the_others_and_is_named_in_the_detail()
    {
        await using var smtp = await SmtpReceiver.StartAsync();
        await using var dispatcher = Start(Endpoint(smtp.Port, ["reject-typo@example.org", "oncall@example.org"]));

        dispatcher.Enqueue("mail", Events.Trigger("host:a", 1));
        var (message, recipients) = await smtp.NextMessageAsync();
        var report = await _recorder.NextCompletedAsync();

        Assert.Equal(["oncall@example.org"], recipients);
        Assert.Equal(DeliveryOutcome.Delivered, report.Outcome);
        Assert.StartsWith("refused recipients: reject-typo@example.org (550 ", report.Detail, StringComparison.Ordinal);
        Assert.Equal(["reject-typo@example.org", "oncall@example.org"], message.To.Mailboxes.Select(m => m.Address));
    }

    [SmtpFact]
    public async Task A_4xx_answer_is_retried_after_backoff_and_the_retry_carries_the_same_message_id()
    {
        await using var smtp = await SmtpReceiver.StartAsync();
        await using var dispatcher = Start(Endpoint(smtp.Port, ["later@example.org"]));

        dispatcher.Enqueue("mail", Events.Trigger("host:a", 1));
        var refusedId = await smtp.NextTempFailAsync();
        var retry = await _recorder.NextRetryAsync();
        Assert.Equal(451, retry.StatusCode);
        Assert.Equal(1, retry.Attempts);
        Assert.InRange(retry.Delay, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        Assert.Equal(0, smtp.AcceptedCount);

        _clock.Advance(retry.Delay);
        var (message, _) = await smtp.NextMessageAsync();
        var report = await _recorder.NextCompletedAsync();

        Assert.Equal(DeliveryOutcome.Delivered, report.Outcome);
        Assert.Equal(2, report.Attempts);
        Assert.Equal("<" + message.MessageId + ">", refusedId);
    }

    [SmtpFact]
    public async Task Authentication_is_used_when_configured_and_a_refused_login_is_final()
    {
        await using var smtp = await SmtpReceiver.StartAsync("alerting:s3cret");
        var good = Endpoint(smtp.Port, ["oncall@example.org"], user: "alerting", password: "s3cret");
        var bad = Endpoint(smtp.Port, ["oncall@example.org"], name: "bad", user: "alerting", password: "wrong");
        await using var dispatcher = Start(good, bad);

        dispatcher.Enqueue("bad", Events.Trigger("host:a", 1));
        var refused = await _recorder.NextCompletedAsync();
        Assert.Equal(DeliveryOutcome.Rejected, refused.Outcome);
        Assert.Equal("bad", refused.Endpoint);
        Assert.Equal(0, smtp.AcceptedCount);

        dispatcher.Enqueue("mail", Events.Trigger("host:a", 1));
        var (message, _) = await smtp.NextMessageAsync();
        Assert.Equal(DeliveryOutcome.Delivered, (await _recorder.NextCompletedAsync()).Outcome);
        Assert.Equal("[ALERT] CPU high on host:a", message.Subject);
    }

    [Fact]
    public async Task A_refused_connection_is_retried()
    {
        var port = FreePort();
        await using var dispatcher = Start(Endpoint(port, ["oncall@example.org"]));

        dispatcher.Enqueue("mail", Events.Trigger("host:a", 1));
        var retry = await _recorder.NextRetryAsync();

        Assert.Equal(0, retry.StatusCode);
        Assert.StartsWith("SMTP connection:", retry.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_problems_are_refused_where_the_dispatcher_is_built()
    {
        EmailEndpoint[] bad =
        [
            Endpoint(25, []),
            Endpoint(25, ["not an address"]),
            Endpoint(25, ["oncall@example.org"], from: "nobody"),
            Endpoint(0, ["oncall@example.org"]),
            Endpoint(25, ["oncall@example.org"], host: " "),
            Endpoint(25, ["oncall@example.org"], password: "p"),
        ];
        foreach (var endpoint in bad)
        {
            Assert.ThrowsAny<ArgumentException>(() => Start(endpoint));
        }
    }

    [Fact]
    public void The_message_id_is_a_valid_id_for_any_monitor_id_and_group_key()
    {
        var id = new TransitionId("mon <1>@x", "host:a b,c", 7);
        var messageId = EmailPayload.MessageId(id, "example.org");

        Assert.Matches("^[0-9a-f]{32}\\.7@example\\.org$", messageId);
        Assert.Equal(messageId, EmailPayload.MessageId(id, "example.org"));
        Assert.NotEqual(messageId, EmailPayload.MessageId(id with { GroupKey = "host:a b,d" }, "example.org"));
        var endpoint = Endpoint(25, ["oncall@example.org"]);
        using var message = EmailPayload.Build(endpoint, Events.Make("mon <1>@x", "host:a b,c", 7, AlertState.Ok, AlertState.Warn), NotificationAction.Trigger, DateTimeOffset.UnixEpoch, 1);
        Assert.Equal(messageId, message.MessageId);
        Assert.Equal("[WARN] CPU high on host:a b,c", message.Subject);
    }

    private static EmailEndpoint Endpoint(
        int port,
        string[] to,
        string name = "mail",
        string host = "127.0.0.1",
        string from = "Alerting <alerts@example.org>",
        string? user = null,
        string? password = null,
        PayloadTemplate? subject = null,
        PayloadTemplate? body = null) => new()
    {
        Name = name,
        Host = host,
        Port = port,
        Security = EmailSecurity.None,
        From = from,
        To = to,
        Username = user,
        Password = password,
        SubjectTemplate = subject,
        BodyTemplate = body,
        StatusPageUrl = StatusPage,
    };

    private NotificationDispatcher Start(params NotificationEndpoint[] endpoints) =>
        new(endpoints, new DeliveryOptions(), Http, _recorder, _clock, new Random(5), term: 3);

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
