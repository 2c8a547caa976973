using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Alerting.Notifications;

/// <summary>How the connection to the SMTP server is secured.</summary>
public enum EmailSecurity : byte
{
    /// <summary>Plain SMTP, no TLS (a relay on the same host or a trusted network).</summary>
    None,

    /// <summary>STARTTLS, required: a server that does not offer it is refused.</summary>
    StartTls,
}

/// <summary>
/// Email over SMTP (MailKit): one message per attempt (<see cref="EmailPayload"/>), to every address of
/// <see cref="To"/>. The SMTP server's answer is the receiver's: 250 after the message is delivered, a 5xx
/// reply (a refused sender or message, failed authentication, every recipient unknown) is final, and a 4xx
/// reply, a refused or dropped connection or a TLS failure is retried like an HTTP 5xx. A recipient the server
/// refuses while it accepts others does not stop the message to the others; the delivery's detail names it. The <c>Message-ID</c> is derived from
/// the transition id, so a retry or a resend after a failover carries the same id and a duplicate is recognisable.
/// </summary>
public sealed class EmailEndpoint : NotificationEndpoint
{
    /// <summary>The SMTP server's host name or address.</summary>
    public required string Host { get; init; }

    /// <summary>The SMTP server's port: 25 (relay) or 587 (submission, with STARTTLS).</summary>
    public int Port { get; init; } = 25;

    public EmailSecurity Security { get; init; } = EmailSecurity.StartTls;

    /// <summary>User name for SMTP authentication (with <see cref="Password"/>); null: no authentication.</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>The sender, e.g. <c>Alerting &lt;alerts@example.org&gt;</c>.</summary>
    public required string From { get; init; }

    /// <summary>The recipients; at least one.</summary>
    public required IReadOnlyList<string> To { get; init; }

    /// <summary>The subject as a Liquid template (<see cref="PayloadTemplate.ParseText"/>); null: <c>[ALERT] name on group</c>.</summary>
    public PayloadTemplate? SubjectTemplate { get; init; }

    /// <summary>The plain-text body as a Liquid template; null: the built-in body. The HTML part shows the same text.</summary>
    public PayloadTemplate? BodyTemplate { get; init; }

    internal override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException($"endpoint '{Name}': host must be set", nameof(Host));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, $"endpoint '{Name}': port must be 1 to 65535");
        }

        if (Password is not null && Username is null)
        {
            throw new ArgumentException($"endpoint '{Name}': a password needs a user name", nameof(Password));
        }

        _ = EmailPayload.Address(From, $"endpoint '{Name}': from");
        if (To.Count == 0)
        {
            throw new ArgumentException($"endpoint '{Name}': to must name at least one recipient", nameof(To));
        }

        foreach (var address in To)
        {
            _ = EmailPayload.Address(address, $"endpoint '{Name}': to");
        }
    }

    internal override async Task<SendAttempt> SendAsync(SendContext context, Notification notification, NotificationAction action, CancellationToken cancellation)
    {
        MimeMessage message;
        try
        {
            message = EmailPayload.Build(this, notification, action, context.Now, context.Term);
        }
        catch (PayloadTemplateException e)
        {
            return new SendAttempt(SendOutcome.Rejected, 0, null, "payload template: " + e.Message);
        }

        using (message)
        {
            using var client = new RecipientTolerantClient();
            try
            {
                await client.ConnectAsync(Host, Port, Security == EmailSecurity.StartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, cancellation).ConfigureAwait(false);
                if (Username is not null)
                {
                    await client.AuthenticateAsync(Username, Password ?? "", cancellation).ConfigureAwait(false);
                }

                _ = await client.SendAsync(message, cancellation).ConfigureAwait(false);
                await QuitAsync(client).ConfigureAwait(false);
                return new SendAttempt(SendOutcome.Delivered, 250, null, client.Refused.Count == 0 ? null : "refused recipients: " + string.Join("; ", client.Refused.Select(r => $"{r.Mailbox.Address} ({(int)r.Response.StatusCode} {r.Response.Response})")));
            }
            catch (SmtpCommandException e)
            {
                var code = (int)e.StatusCode;
                var detail = $"SMTP {code}: {e.Message}";
                return code >= 500
                    ? new SendAttempt(SendOutcome.Rejected, code, null, detail)
                    : new SendAttempt(SendOutcome.Retry, code, null, detail);
            }
            catch (AuthenticationException e)
            {
                return new SendAttempt(SendOutcome.Rejected, 535, null, "SMTP authentication failed: " + e.Message);
            }
            catch (NotSupportedException e)
            {
                // The server lacks what the configuration requires (STARTTLS, or authentication): it would answer the same again.
                return new SendAttempt(SendOutcome.Rejected, 0, null, "SMTP server: " + e.Message);
            }
            catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or SslHandshakeException or ServiceNotConnectedException)
            {
                return new SendAttempt(SendOutcome.Retry, 0, null, $"SMTP connection: {e.Message}");
            }
        }
    }

    /// <summary>Sends to the recipients the server accepts; fails (with the first 4xx refusal, else the first refusal) only when it accepts none.</summary>
    private sealed class RecipientTolerantClient : SmtpClient
    {
        public List<(MailboxAddress Mailbox, SmtpResponse Response)> Refused { get; } = [];

        protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) => Refused.Add((mailbox, response));

        protected override void OnNoRecipientsAccepted(MimeMessage message)
        {
            var (mailbox, response) = Refused.Find(r => (int)r.Response.StatusCode < 500) is { Mailbox: not null } temporary ? temporary : Refused[0];
            throw new SmtpCommandException(SmtpErrorCode.RecipientNotAccepted, response.StatusCode, mailbox, $"<{mailbox.Address}>: {response.Response}");
        }
    }

    /// <summary>Says goodbye; the message is already accepted, so a failing QUIT changes nothing.</summary>
    private static async Task QuitAsync(SmtpClient client)
    {
        try
        {
            using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.DisconnectAsync(quit: true, quit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or SmtpCommandException or OperationCanceledException)
        {
            // Delivered already (the server answered 250 to the message).
        }
    }
}
