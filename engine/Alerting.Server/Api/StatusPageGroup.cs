using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Alerting.Engine.State;
using Alerting.Notifications;
using Alerting.Server.Security;
using Grpc.Core;
using static Alerting.Engine.StateMachine.TransitionHistory;
using LogMonitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Api;

/// <summary>
/// A group's view on the status page, <c>/status/group?monitor=ID&amp;group=KEY</c> (the link
/// notifications carry, <see cref="NotificationEndpoint.GroupLink(Uri?, string, string)"/>): the
/// group's state, its transitions still in the transition history (newest first, at most
/// <see cref="TransitionsShown"/>), and an inline SVG chart of the value each of them was evaluated
/// at over their window, against the monitor's critical and warning thresholds. Rendered on the
/// server (no script, no library); the same access rules and Content-Security-Policy as the page.
/// </summary>
public static class StatusPageGroup
{
    public const string Route = "/" + NotificationEndpoint.GroupViewRoute;

    /// <summary>Newest transitions of the group shown and charted.</summary>
    public const int TransitionsShown = 200;

    /// <summary>History events copied per lock hold while looking for the group's (the history's lock is also the apply loop's).</summary>
    public const int ScanChunk = 4_096;

    public const int ChartWidth = 640;

    public const int ChartHeight = 220;

    private const int Pad = 40;

    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet(Route, (HttpContext http, ApiKeyRing keys, EngineCalls engine) => Answer(http, keys, engine));

    /// <summary>What the view shows: the monitor, the group's state, and its transitions oldest first.</summary>
    internal sealed record GroupPage(string MonitorId, string MonitorName, string Query, double? Critical, double? Warning, GroupState State, List<TransitionEvent> Transitions);

    private static async Task<IResult> Answer(HttpContext http, ApiKeyRing keys, EngineCalls engine)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        try
        {
            keys.Authorize(StatusPage.PresentedKey(http.Request.Headers.Authorization.Count > 0 ? http.Request.Headers.Authorization[0] : null), ApiScopes.Read, "API key (HTTP Basic password or \"authorization: Bearer <api key>\")", "the status page");
            var monitorId = http.Request.Query["monitor"].ToString();
            var groupKey = http.Request.Query["group"].ToString();
            if (monitorId.Length == 0 || groupKey.Length == 0)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "monitor and group are both needed: /status/group?monitor=<monitor id>&group=<group key>"));
            }

            var found = await engine.Query(state =>
            {
                if (!state.TryGetMonitor(monitorId, out var monitor) || monitor is null || !state.TryGetGroupState(monitorId, groupKey, out var group) || group is not { } g)
                {
                    return ((LogMonitor, GroupState)?)null;
                }

                return (monitor, g);
            }).ConfigureAwait(false);
            if (found is not { } f)
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"no group \"{groupKey}\" of monitor \"{monitorId}\""));
            }

            var thresholds = f.Item1.Options?.Thresholds;
            var page = new GroupPage(
                monitorId, f.Item1.Name, f.Item1.Query,
                thresholds is { HasCritical: true } ? thresholds.Critical : null,
                thresholds is { HasWarning: true } ? thresholds.Warning : null,
                f.Item2,
                Transitions(engine.Node.History, monitorId, groupKey));
            return Results.Content(Render(page), "text/html; charset=utf-8");
        }
        catch (RpcException e)
        {
            if (e.StatusCode == StatusCode.Unauthenticated)
            {
                headers.WWWAuthenticate = "Basic realm=\"alerting\", charset=\"UTF-8\"";
            }

            return Results.Text(e.Status.Detail, "text/plain; charset=utf-8", statusCode: e.StatusCode == StatusCode.NotFound ? StatusCodes.Status404NotFound : Ingest.HttpIngest.StatusOf(e));
        }
    }

    /// <summary>The newest <see cref="TransitionsShown"/> events of the group still kept, oldest first, read <see cref="ScanChunk"/> events at a time.</summary>
    internal static List<TransitionEvent> Transitions(Engine.StateMachine.TransitionHistory history, string monitorId, string groupKey)
    {
        var newest = new Queue<TransitionEvent>(TransitionsShown);
        var chunk = new List<HistoryItem>(ScanChunk);
        var sequence = history.OldestSequence;
        while (true)
        {
            chunk.Clear();
            _ = history.CopyFrom(sequence, chunk, ScanChunk, out var next);
            foreach (var item in chunk)
            {
                if (item.Event.MonitorId == monitorId && item.Event.GroupKey == groupKey)
                {
                    if (newest.Count == TransitionsShown)
                    {
                        newest.Dequeue();
                    }

                    newest.Enqueue(item.Event);
                }
            }

            if (chunk.Count < ScanChunk)
            {
                return [.. newest];
            }

            sequence = next;
        }
    }

    internal static string Render(GroupPage page)
    {
        var html = new StringBuilder(8 * 1024);
        var state = StateNames.Of(page.State.State);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(Html.Encode(page.MonitorName)).Append(" · ").Append(Html.Encode(page.State.GroupKey)).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin-bottom:1em}")
            .Append("td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}th{background:#f4f4f4}")
            .Append(".state-ALERT{background:#f8c6c6}.state-WARN{background:#fbe7b5}.state-NO_DATA{background:#ddd}.state-OK{background:#d4efd4}")
            .Append("svg text{font-size:11px;fill:#444}")
            .Append("</style></head><body><p><a href=\"/\">status</a></p><h1>")
            .Append(Html.Encode(page.MonitorName)).Append("</h1><table>");
        Row(html, "monitor id", page.MonitorId, "monitor-id");
        Row(html, "query", page.Query, "monitor-query");
        Row(html, "group", page.State.GroupKey, "group-key");
        html.Append("<tr><th>state</th><td id=\"group-state\" class=\"state-").Append(state).Append("\">").Append(state).Append("</td></tr>");
        Row(html, "since", Time(page.State.StateSinceMs), "group-since");
        Row(html, "thresholds", string.Create(CultureInfo.InvariantCulture, $"critical {Number(page.Critical)}, warning {Number(page.Warning)}"), "group-thresholds");
        html.Append("</table>\n<section id=\"chart\"><h2>Evaluated value at each transition</h2>");
        Chart(html, page);
        html.Append("</section>\n<section id=\"history\"><h2>Transitions</h2>");
        if (page.Transitions.Count == 0)
        {
            html.Append("<p>No transition of this group is still kept in the transition history.</p>");
        }
        else
        {
            html.Append("<table><tr><th>time</th><th>change</th><th>value</th><th>threshold</th><th>reason</th><th>log index</th></tr>");
            for (var i = page.Transitions.Count - 1; i >= 0; i--)
            {
                var t = page.Transitions[i];
                html.Append("<tr class=\"transition\"><td>").Append(Time(t.TimeMs)).Append("</td><td class=\"change\">").Append(StateNames.Of(t.Previous)).Append(" → ").Append(StateNames.Of(t.Next))
                    .Append(t.IsRenotification ? " (renotification)" : "").Append("</td><td>").Append(Value(t.Value)).Append("</td><td>").Append(Value(t.Threshold))
                    .Append("</td><td>").Append(Html.Encode(t.ReasonText)).Append("</td><td>").Append(t.LogIndex).Append("</td></tr>");
            }

            html.Append("</table>");
        }

        html.Append("</section></body></html>\n");
        return html.ToString();
    }

    /// <summary>
    /// The chart: time across (from the first to the last charted transition), value up; a dot per
    /// transition with a value, coloured by the state it entered and joined by a line; a dashed line
    /// per configured threshold. Its scale covers the values and the thresholds.
    /// </summary>
    private static void Chart(StringBuilder html, GroupPage page)
    {
        var points = page.Transitions.Where(t => double.IsFinite(t.Value)).ToList();
        var lines = new List<(string Name, double Value)>(2);
        if (page.Critical is { } critical && double.IsFinite(critical))
        {
            lines.Add(("critical", critical));
        }

        if (page.Warning is { } warning && double.IsFinite(warning))
        {
            lines.Add(("warning", warning));
        }

        html.Append(CultureInfo.InvariantCulture, $"<svg id=\"group-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{ChartWidth}\" height=\"{ChartHeight}\" viewBox=\"0 0 {ChartWidth} {ChartHeight}\" role=\"img\" data-points=\"{points.Count}\" data-thresholds=\"{lines.Count}\">");
        html.Append("<title>Value of ").Append(Html.Encode(page.State.GroupKey)).Append(" at its transitions against the thresholds</title>");
        html.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Pad}\" y=\"10\" width=\"{ChartWidth - Pad - 10}\" height=\"{ChartHeight - Pad - 10}\" fill=\"#fafafa\" stroke=\"#ccc\"/>");
        if (points.Count == 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{ChartWidth / 2}\" y=\"{ChartHeight / 2}\" text-anchor=\"middle\">no evaluated value yet</text></svg>");
            return;
        }

        var low = Math.Min(points.Min(p => p.Value), lines.Count == 0 ? double.PositiveInfinity : lines.Min(l => l.Value));
        var high = Math.Max(points.Max(p => p.Value), lines.Count == 0 ? double.NegativeInfinity : lines.Max(l => l.Value));
        var span = high - low;
        var margin = span > 0 ? span * 0.1 : Math.Max(Math.Abs(high) * 0.1, 1);
        low -= margin;
        high += margin;
        var first = points[0].TimeMs;
        var last = points[^1].TimeMs;
        double X(long timeMs) => last == first ? Pad + ((ChartWidth - Pad - 10) / 2.0) : Pad + ((timeMs - first) * (double)(ChartWidth - Pad - 10) / (last - first));
        double Y(double value) => 10 + ((high - value) * (ChartHeight - Pad - 10) / (high - low));

        foreach (var (name, value) in lines)
        {
            var y = Y(value);
            html.Append(CultureInfo.InvariantCulture, $"<line class=\"threshold threshold-{name}\" x1=\"{Pad}\" x2=\"{ChartWidth - 10}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"{(name == "critical" ? "#c33" : "#d90")}\" stroke-dasharray=\"6 4\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{ChartWidth - 12}\" y=\"{y - 3:F1}\" text-anchor=\"end\">{name} {Value(value)}</text>");
        }

        html.Append("<polyline class=\"value\" fill=\"none\" stroke=\"#36c\" points=\"");
        foreach (var p in points)
        {
            html.Append(CultureInfo.InvariantCulture, $"{X(p.TimeMs):F1},{Y(p.Value):F1} ");
        }

        html.Append("\"/>");
        foreach (var p in points)
        {
            var state = StateNames.Of(p.Next);
            html.Append(CultureInfo.InvariantCulture, $"<circle class=\"point point-{state}\" cx=\"{X(p.TimeMs):F1}\" cy=\"{Y(p.Value):F1}\" r=\"4\" fill=\"{Colour(p.Next)}\" data-value=\"{Value(p.Value)}\" data-state=\"{state}\"><title>")
                .Append(Time(p.TimeMs)).Append(": ").Append(Value(p.Value)).Append(" → ").Append(state).Append("</title></circle>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Pad - 4}\" y=\"14\" text-anchor=\"end\">{Value(high)}</text><text x=\"{Pad - 4}\" y=\"{ChartHeight - Pad}\" text-anchor=\"end\">{Value(low)}</text>")
            .Append(CultureInfo.InvariantCulture, $"<text x=\"{Pad}\" y=\"{ChartHeight - Pad + 16}\">{Time(first)}</text><text x=\"{ChartWidth - 10}\" y=\"{ChartHeight - Pad + 16}\" text-anchor=\"end\">{Time(last)}</text></svg>");
    }

    private static string Colour(AlertState state) => state switch
    {
        AlertState.Alert => "#c33",
        AlertState.Warn => "#d90",
        AlertState.NoData => "#888",
        _ => "#393",
    };

    private static void Row(StringBuilder html, string label, string value, string id) =>
        html.Append("<tr><th>").Append(label).Append("</th><td id=\"").Append(id).Append("\">").Append(Html.Encode(value)).Append("</td></tr>");

    private static string Number(double? value) => value is { } v ? Value(v) : "none";

    private static string Time(long unixMs) => unixMs is <= 0 or long.MaxValue
        ? "—"
        : DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    private static string Value(double value) => double.IsNaN(value) ? "—" : value.ToString("G6", CultureInfo.InvariantCulture);
}
