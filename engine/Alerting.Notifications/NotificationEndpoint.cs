namespace Alerting.Notifications;

/// <summary>
/// A configured receiver of notifications. The kinds (webhook, Alertmanager, PagerDuty, Slack, Opsgenie over HTTP;
/// email over SMTP) differ only in how one attempt is made (<see cref="SendAsync"/>); queueing, ordering, retries
/// and fencing are the dispatcher's and are the same for all.
/// </summary>
public abstract class NotificationEndpoint
{
    /// <summary>Header that carries the sender's term, so a receiver can ignore a deposed primary (DESIGN invariant 4).</summary>
    public const string TermHeader = "X-Alerting-Term";

    /// <summary>Header that carries the transition id, for receivers that deduplicate.</summary>
    public const string TransitionIdHeader = "X-Alerting-Transition-Id";

    private protected NotificationEndpoint()
    {
    }

    /// <summary>Unique name of the endpoint; delivery records name it.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The status page's public address (the server's HTTP root as users reach it), or null: payloads
    /// then carry no link. With it, each payload links to the group's view, <see cref="GroupLink"/>.
    /// </summary>
    public Uri? StatusPageUrl { get; init; }

    /// <summary>The route of a group's view on the status page (its query: <c>monitor</c>, <c>group</c>).</summary>
    public const string GroupViewRoute = "status/group";

    /// <summary>The status page's view of the event's group, or null when <see cref="StatusPageUrl"/> is not set.</summary>
    public string? GroupLink(Alerting.Engine.State.TransitionEvent transition) => GroupLink(StatusPageUrl, transition.MonitorId, transition.GroupKey);

    /// <summary>The group view under <paramref name="root"/>; null when <paramref name="root"/> is null.</summary>
    public static string? GroupLink(Uri? root, string monitorId, string groupKey)
    {
        if (root is null)
        {
            return null;
        }

        var text = root.AbsoluteUri;
        return (text.EndsWith('/') ? text : text + "/") + GroupViewRoute
            + "?monitor=" + Uri.EscapeDataString(monitorId) + "&group=" + Uri.EscapeDataString(groupKey);
    }

    /// <summary>
    /// Makes one attempt to hand <paramref name="notification"/> to the receiver and says how it went. Cancellation
    /// (<paramref name="cancellation"/>: the attempt's timeout or the dispatcher's stop) is thrown as an
    /// <see cref="OperationCanceledException"/>, which the dispatcher tells apart; every other outcome is an answer.
    /// The seam between the dispatcher (queues, ordering, retries, fencing) and a kind of receiver: HTTP receivers
    /// derive from <see cref="HttpNotificationEndpoint"/>, email from <see cref="EmailEndpoint"/>.
    /// </summary>
    internal abstract Task<SendAttempt> SendAsync(SendContext context, Notification notification, NotificationAction action, CancellationToken cancellation);

    /// <summary>Checks the configuration once, where it enters, with a message naming the field.</summary>
    internal virtual void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("an endpoint needs a non-empty name", nameof(Name));
        }

        if (StatusPageUrl is not null)
        {
            RequireHttpUri(StatusPageUrl, "status_page_url");
        }
    }

    private protected void RequireHttpUri(Uri? uri, string field)
    {
        if (uri is null || !uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"endpoint '{Name}': {field} must be an absolute http or https URL, got '{uri}'", field);
        }
    }
}
