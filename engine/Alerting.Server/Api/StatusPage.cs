using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Alerting.Engine.State;
using Alerting.Server.Security;
using Grpc.Core;
using static Alerting.Server.Api.StatusPageReader;

namespace Alerting.Server.Api;

/// <summary>
/// The status web page at <c>/</c> (and <c>/status</c>): the node's role and log positions, groups
/// counted by state, a page of monitors with their groups (filterable by state), and the newest
/// transitions. HTML rendered on the server, with inline styles and one small script of the server's
/// own (<see cref="StatusPageEvents"/>) that applies transitions as they happen (server-sent
/// events); it loads nothing from anywhere else (the Content-Security-Policy forbids it). Without
/// script the page reloads itself every <see cref="RefreshSeconds"/> seconds. Every user-written text (names, queries, tags, group keys)
/// is HTML-encoded. With API keys configured the page needs a key with the read scope, as
/// <c>authorization: Bearer &lt;key&gt;</c> or as the password of HTTP Basic authentication (a
/// browser asks for it; the user name is ignored).
/// </summary>
public static class StatusPage
{
    public const string Route = "/status";

    /// <summary>How often the page reloads itself when the browser runs no script (a meta refresh).</summary>
    public const int RefreshSeconds = 10;

    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", (HttpContext http, ApiKeyRing keys, StatusPageReader reader) => Answer(http, keys, reader));
        routes.MapGet(Route, (HttpContext http, ApiKeyRing keys, StatusPageReader reader) => Answer(http, keys, reader));
    }

    private static async Task<IResult> Answer(HttpContext http, ApiKeyRing keys, StatusPageReader reader)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        try
        {
            keys.Authorize(PresentedKey(http.Request.Headers.Authorization.Count > 0 ? http.Request.Headers.Authorization[0] : null), ApiScopes.Read, "API key (HTTP Basic password or \"authorization: Bearer <api key>\")", "the status page");
            var filterName = http.Request.Query["state"].ToString();
            var filter = StateFilter.Parse(filterName)
                ?? throw new RpcException(new Status(StatusCode.InvalidArgument, $"state: \"{filterName}\" is not one of {string.Join(", ", StateFilter.Names)}"));
            var token = http.Request.Query["page"].ToString();
            var view = await reader.ReadAsync(Paging.MonitorsSlot(token), filter).ConfigureAwait(false);
            return Results.Content(Render(view, filter), "text/html; charset=utf-8");
        }
        catch (RpcException e)
        {
            if (e.StatusCode == StatusCode.Unauthenticated)
            {
                headers.WWWAuthenticate = "Basic realm=\"alerting\", charset=\"UTF-8\"";
            }

            return Results.Text(e.Status.Detail, "text/plain; charset=utf-8", statusCode: Ingest.HttpIngest.StatusOf(e));
        }
    }

    /// <summary>The key of a Bearer header, or the password of a Basic one; null when neither.</summary>
    internal static string? PresentedKey(string? header)
    {
        if (ApiKeyRing.BearerKey(header) is { } bearer)
        {
            return bearer;
        }

        const string Basic = "Basic ";
        if (header is null || !header.StartsWith(Basic, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[Basic.Length..].Trim()));
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : pair[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal static string Render(StatusView view, StateFilter filter)
    {
        var node = view.Node;
        var page = view.Page;
        var html = new StringBuilder(16 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append(CultureInfo.InvariantCulture, $"<noscript><meta http-equiv=\"refresh\" content=\"{RefreshSeconds}\"></noscript>")
            .Append("<script src=\"").Append(StatusPageEvents.ScriptRoute).Append("\" defer></script>")
            .Append("<title>Alerting status</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin-bottom:1em}")
            .Append("td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}th{background:#f4f4f4}")
            .Append("code{font-size:.9em}.state-ALERT{background:#f8c6c6}.state-WARN{background:#fbe7b5}.state-NO_DATA{background:#ddd}.state-OK{background:#d4efd4}")
            .Append("tr.monitor th{background:#e8eef8}nav a{margin-right:.8em}nav a.current{font-weight:bold}")
            .Append(CultureInfo.InvariantCulture, $"</style></head><body data-log-index=\"{page.AppliedIndex}\" data-recent-max=\"{RecentTransitions}\"><h1>Alerting status</h1>\n");

        html.Append("<section id=\"node\"><h2>Node</h2><table>");
        Row(html, "node id", node.NodeId, "node-id");
        Row(html, "role", node.Role, "node-role");
        Row(html, "term", node.Term.ToString(CultureInfo.InvariantCulture), "node-term");
        Row(html, "durability", node.Durability, "node-durability");
        Row(html, "log index (last / durable / committed / applied)", string.Create(CultureInfo.InvariantCulture, $"{node.LogIndex} / {node.DurableIndex} / {node.CommitIndex} / {node.AppliedIndex}"), "node-log");
        Row(html, "logical time", Time(node.LogicalTimeUnixMs), "node-time");
        if (node.PrimaryAddress.Length > 0)
        {
            Row(html, "primary", node.PrimaryAddress, "node-primary");
        }

        foreach (var peer in node.Peers)
        {
            Row(html, "peer " + peer.NodeId + " acknowledged", peer.MatchIndex.ToString(CultureInfo.InvariantCulture), "node-peer");
        }

        html.Append("</table></section>\n<section id=\"counts\"><h2>Groups by state</h2><table><tr>");
        foreach (var state in Enum.GetValues<AlertState>())
        {
            html.Append("<th class=\"state-").Append(StateNames.Of(state)).Append("\">").Append(StateNames.Of(state)).Append("</th>");
        }

        html.Append("<th>monitors</th><th>series</th></tr><tr>");
        foreach (var state in Enum.GetValues<AlertState>())
        {
            html.Append("<td data-count=\"").Append(StateNames.Of(state)).Append("\">").Append(view.GroupCounts[(int)state]).Append("</td>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<td data-count=\"monitors\">{page.MonitorCount}</td><td data-count=\"series\">{page.SeriesCount}</td></tr></table>")
            .Append("<p>Group counts come from the last count of every group, at most a few seconds old.</p></section>\n");

        html.Append("<section id=\"monitors\"><h2>Monitors</h2><nav>show groups:");
        foreach (var name in StateFilter.Names)
        {
            html.Append(" <a href=\"?state=").Append(name).Append('"').Append(name == filter.Name ? " class=\"current\"" : "").Append('>').Append(name).Append("</a>");
        }

        html.Append("</nav><table>");
        if (page.Monitors.Count == 0)
        {
            html.Append("<tr><td>no monitor on this page</td></tr>");
        }

        foreach (var monitor in page.Monitors)
        {
            html.Append("<tbody class=\"monitor\" data-monitor-id=\"").Append(Html.Encode(monitor.Id)).Append("\"><tr class=\"monitor\"><th colspan=\"2\" class=\"monitor-name\">")
                .Append(Html.Encode(monitor.Name)).Append("</th><th colspan=\"2\"><code class=\"monitor-query\">").Append(Html.Encode(monitor.Query)).Append("</code>");
            if (monitor.Tags.Count > 0)
            {
                html.Append(" <span class=\"monitor-tags\">").Append(Html.Encode(string.Join(", ", monitor.Tags))).Append("</span>");
            }

            html.Append("</th></tr>");
            if (monitor.Groups.Count == 0)
            {
                html.Append("<tr><td colspan=\"4\">no group yet</td></tr>");
            }

            foreach (var group in monitor.Groups)
            {
                var state = StateNames.Of(group.State);
                html.Append("<tr class=\"group\" data-group=\"").Append(Html.Encode(group.Key)).Append("\" data-state=\"").Append(state).Append("\"><td class=\"group-key\"><a href=\"")
                    .Append(Html.Encode(StatusPageGroup.Route + "?monitor=" + Uri.EscapeDataString(monitor.Id) + "&group=" + Uri.EscapeDataString(group.Key))).Append("\">")
                    .Append(Html.Encode(group.Key)).Append("</a></td><td class=\"group-state state-").Append(state).Append("\">").Append(state).Append("</td><td class=\"group-flags\">")
                    .Append(Flags(group)).Append("</td><td class=\"group-since\">since ").Append(Time(group.SinceMs)).Append("</td></tr>");
            }

            if (monitor.MoreGroups)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td colspan=\"4\" class=\"more-groups\">more groups than the first {GroupsPerMonitor} shown; alertctl states lists them all</td></tr>");
            }

            html.Append("</tbody>");
        }

        html.Append("</table>");
        if (page.NextSlot is { } next)
        {
            html.Append("<p><a id=\"next-page\" href=\"?state=").Append(filter.Name).Append("&amp;page=").Append(UrlEncoder.Default.Encode(Paging.MonitorsToken(next))).Append("\">next page</a></p>");
        }

        html.Append("</section>\n<section id=\"transitions\"><h2>Recent transitions</h2><table><tr><th>time</th><th>monitor</th><th>group</th><th>change</th><th>value</th><th>reason</th><th>log index</th></tr>");
        foreach (var t in page.Recent)
        {
            html.Append("<tr class=\"transition\" data-monitor-id=\"").Append(Html.Encode(t.MonitorId)).Append("\"><td>").Append(Time(t.TimeMs)).Append("</td><td>").Append(Html.Encode(t.MonitorName))
                .Append("</td><td>").Append(Html.Encode(t.GroupKey)).Append("</td><td class=\"change\">").Append(StateNames.Of(t.Previous)).Append(" → ").Append(StateNames.Of(t.Next))
                .Append(t.Renotification ? " (renotification)" : "").Append("</td><td>").Append(Value(t.Value)).Append("</td><td>").Append(Html.Encode(t.Reason))
                .Append("</td><td>").Append(t.LogIndex).Append("</td></tr>");
        }

        html.Append("</table></section></body></html>\n");
        return html.ToString();
    }

    private static void Row(StringBuilder html, string label, string value, string id) =>
        html.Append("<tr><th>").Append(label).Append("</th><td id=\"").Append(id).Append("\">").Append(Html.Encode(value)).Append("</td></tr>");

    private static string Flags(GroupView group)
    {
        var flags = new List<string>(3);
        if (group.Pending)
        {
            flags.Add("pending " + StateNames.Of(group.PendingLevel));
        }

        if (group.Muted)
        {
            flags.Add("muted");
        }

        if (group.Flapping)
        {
            flags.Add("flapping");
        }

        return string.Join(", ", flags);
    }

    private static string Time(long unixMs) => unixMs is <= 0 or long.MaxValue
        ? "—"
        : DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    private static string Value(double value) => double.IsNaN(value) ? "—" : value.ToString("G6", CultureInfo.InvariantCulture);
}
