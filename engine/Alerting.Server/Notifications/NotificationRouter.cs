using System.Text.RegularExpressions;

namespace Alerting.Server.Notifications;

/// <summary>
/// Datadog-style routing: each <c>@name</c> in a monitor's rendered message that names a
/// configured endpoint routes the event there; a message that names none goes to the default
/// endpoints. The rendered message is used, not the template, so conditional blocks
/// (<c>{{#is_alert}}@pager{{/is_alert}}</c>) route per state.
/// </summary>
public sealed partial class NotificationRouter
{
    private readonly HashSet<string> _endpoints;
    private readonly IReadOnlyList<string> _defaults;

    public NotificationRouter(IEnumerable<string> endpoints, IReadOnlyList<string> defaults)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(defaults);
        _endpoints = new HashSet<string>(endpoints, StringComparer.Ordinal);
        _defaults = defaults.Distinct(StringComparer.Ordinal).ToArray();
        if (_defaults.FirstOrDefault(d => !_endpoints.Contains(d)) is { } unknown)
        {
            throw new ArgumentException($"default endpoint \"{unknown}\" is not configured", nameof(defaults));
        }
    }

    /// <summary>The endpoints that receive an event whose rendered message is <paramref name="message"/>, each once, in order of mention.</summary>
    public IReadOnlyList<string> Route(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        List<string>? routed = null;
        foreach (Match mention in Mention().Matches(message))
        {
            var name = mention.Groups[1].Value;
            if (_endpoints.Contains(name))
            {
                routed ??= [];
                if (!routed.Contains(name))
                {
                    routed.Add(name);
                }
            }
        }

        return routed ?? _defaults;
    }

    // Not preceded by a name character, so "ops@example.com" is an address, not a mention; a
    // trailing '.' ends the sentence, not the name.
    [GeneratedRegex(@"(?<![A-Za-z0-9_.+-])@([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)")]
    private static partial Regex Mention();
}
