using System.Globalization;
using System.Net;

namespace Alerting.Notifications;

/// <summary>
/// A receiver reached with one HTTP request per attempt (webhook, Alertmanager, PagerDuty, Slack, Opsgenie): the
/// kinds differ only in the request they build. 2xx is delivered; 408, 429, 5xx and network errors are retried
/// (honouring Retry-After); any other status is final.
/// </summary>
public abstract class HttpNotificationEndpoint : NotificationEndpoint
{
    private protected HttpNotificationEndpoint()
    {
    }

    /// <summary>The request for one attempt. Built per attempt: Alertmanager's firing horizon counts from the send time.</summary>
    internal HttpRequestMessage CreateRequest(Notification notification, NotificationAction action, DateTimeOffset now, DeliveryOptions options, ulong term)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, RequestUriFor(notification, action))
        {
            Content = new ByteArrayContent(Body(notification, action, now, options)),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(TermHeader, term.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(TransitionIdHeader, notification.Id.ToString());
        AddHeaders(request);
        return request;
    }

    internal override void Validate()
    {
        base.Validate();
        RequireHttpUri(RequestUri, "url");
    }

    internal override async Task<SendAttempt> SendAsync(SendContext context, Notification notification, NotificationAction action, CancellationToken cancellation)
    {
        HttpRequestMessage built;
        try
        {
            built = CreateRequest(notification, action, context.Now, context.Options, context.Term);
        }
        catch (PayloadTemplateException e)
        {
            // The endpoint's own template cannot make this body; it would fail the same way again.
            return new SendAttempt(SendOutcome.Rejected, 0, null, "payload template: " + e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Building a request is deterministic: it would fail the same way again. Recorded as
            // rejected rather than thrown, which would end this key's worker with its queue held
            // (DESIGN invariant 9: nothing background throws into the runtime).
            return new SendAttempt(SendOutcome.Rejected, 0, null, $"cannot build the request: {e.GetType().Name}: {e.Message}");
        }

        using var request = built;
        try
        {
            using var response = await context.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return new SendAttempt(SendOutcome.Delivered, status, null, null);
            }

            var body = await ErrorBodyAsync(response, cancellation).ConfigureAwait(false);
            var detail = $"HTTP {status}{(body.Length > 0 ? ": " + body : "")}";
            return IsRetryable(response.StatusCode)
                ? new SendAttempt(SendOutcome.Retry, status, RetryAfter(response, context), detail)
                : new SendAttempt(SendOutcome.Rejected, status, null, detail);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new SendAttempt(SendOutcome.Retry, 0, null, "network error: " + e.Message);
        }
    }

    private protected abstract Uri RequestUri { get; }

    /// <summary>Where one notification goes; <see cref="RequestUri"/> unless the action has its own address.</summary>
    private protected virtual Uri RequestUriFor(Notification notification, NotificationAction action) => RequestUri;

    private protected abstract byte[] Body(Notification notification, NotificationAction action, DateTimeOffset now, DeliveryOptions options);

    private protected virtual void AddHeaders(HttpRequestMessage request)
    {
    }

    /// <summary>408 and 429 ask to come back later and 5xx is the receiver's fault; any other 4xx would fail again.</summary>
    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static TimeSpan? RetryAfter(HttpResponseMessage response, SendContext context)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? asked = header?.Delta ?? (header?.Date is { } date ? date - context.Now : null);
        if (asked is not { } delay)
        {
            return null;
        }

        var max = context.Options.MaxRetryAfter;
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > max ? max : delay;
    }

    private static async Task<string> ErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellation)
    {
        var buffer = new byte[NotificationDispatcher.MaxErrorBodyBytes];
        var stream = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellation).ConfigureAwait(false);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read).Trim();
        }
    }
}
