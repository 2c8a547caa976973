using System.Globalization;
using System.Text;
using System.Text.Json;
using Alerting.Server.Security;
using Grpc.Core;
using static Alerting.Engine.StateMachine.TransitionHistory;

namespace Alerting.Server.Api;

/// <summary>
/// Live updates of the status page: <c>GET /status/events?after=INDEX</c> is a server-sent event
/// stream of the transition events after log index INDEX (the index the page was rendered at), read
/// from the transition history as <c>Alerts.Subscribe</c> reads it, and <c>/status/live.js</c> the
/// page's script that applies them (a group's state, the recent transitions). A stream takes one of
/// the <see cref="SubscriptionSlots"/>; the same key rules as the page apply.
/// </summary>
public static class StatusPageEvents
{
    public const string EventsRoute = "/status/events";

    public const string ScriptRoute = "/status/live.js";

    /// <summary>
    /// Events copied from the history per read. A read that fills it may have stopped inside one
    /// log index, where a resume after that index would skip events: the stream then sends
    /// <c>reload</c> and ends, and the page renders the state afresh.
    /// </summary>
    public const int EventsPerRead = 1_000;

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet(EventsRoute, Stream);
        routes.MapGet(ScriptRoute, (HttpContext http) =>
        {
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.CacheControl = "no-cache";
            return Results.Text(Script, "text/javascript; charset=utf-8");
        });
    }

    private static async Task Stream(HttpContext http, ApiKeyRing keys, EngineCalls engine, SubscriptionSlots slots, IHostApplicationLifetime lifetime)
    {
        StreamSlots.Lease lease;
        long after;
        try
        {
            keys.Authorize(StatusPage.PresentedKey(http.Request.Headers.Authorization.Count > 0 ? http.Request.Headers.Authorization[0] : null), ApiScopes.Read, "API key (HTTP Basic password or \"authorization: Bearer <api key>\")", "the status page's events");
            var text = http.Request.Query["after"].ToString();
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out after))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"after: \"{text}\" is not a log index (a whole number, 0 or more)"));
            }

            lease = slots.Slots.Acquire();
        }
        catch (RpcException e)
        {
            http.Response.StatusCode = Ingest.HttpIngest.StatusOf(e);
            await http.Response.WriteAsync(e.Status.Detail, http.RequestAborted).ConfigureAwait(false);
            return;
        }

        using (lease)
        {
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-store";
            await http.Response.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);

            // A stream ends when the browser goes away or the server stops (a graceful stop must not wait for it).
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
            var history = engine.Node.History;
            var batch = new List<HistoryItem>(EventsPerRead);
            try
            {
                while (true)
                {
                    batch.Clear();
                    var more = history.CopyAfter(after, null, batch, EventsPerRead);
                    if (batch.Count == EventsPerRead)
                    {
                        await http.Response.WriteAsync("event: reload\ndata: too many events at once\n\n", ended.Token).ConfigureAwait(false);
                        await http.Response.Body.FlushAsync(ended.Token).ConfigureAwait(false);
                        return;
                    }

                    if (batch.Count == 0)
                    {
                        await more.WaitAsync(ended.Token).ConfigureAwait(false);
                        continue;
                    }

                    await http.Response.WriteAsync(Format(batch), ended.Token).ConfigureAwait(false);
                    await http.Response.Body.FlushAsync(ended.Token).ConfigureAwait(false);
                    after = batch[^1].Event.LogIndex;
                }
            }
            catch (OperationCanceledException) when (ended.IsCancellationRequested)
            {
                // The browser left or the server is stopping.
            }
        }
    }

    /// <summary>One <c>transition</c> event per history item, its id the log index (the page resumes after it).</summary>
    internal static string Format(List<HistoryItem> batch)
    {
        var text = new StringBuilder(batch.Count * 256);
        foreach (var item in batch)
        {
            var e = item.Event;
            var json = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["monitorId"] = e.MonitorId,
                ["groupKey"] = e.GroupKey,
                ["previous"] = StateNames.Of(e.Previous),
                ["next"] = StateNames.Of(e.Next),
                ["value"] = double.IsNaN(e.Value) ? "—" : e.Value.ToString("G6", CultureInfo.InvariantCulture),
                ["time"] = DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture),
                ["reason"] = e.ReasonText,
                ["logIndex"] = e.LogIndex,
                ["renotification"] = e.IsRenotification,
            });
            text.Append("id: ").Append(e.LogIndex).Append("\nevent: transition\ndata: ").Append(json).Append("\n\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// The page's script: a group row on the page takes its new state in place; a transition is
    /// added to the top of the recent ones; a new group of a monitor on the page reloads the page
    /// (at most once every few seconds). Text goes in with textContent, never as markup.
    /// </summary>
    internal const string Script = """
        "use strict";
        (() => {
          const after = document.body.dataset.logIndex;
          if (after === undefined || typeof EventSource === "undefined") { return; }
          const recentMax = Number(document.body.dataset.recentMax);
          let reloadAt = 0;
          const reloadSoon = () => {
            if (reloadAt === 0) { reloadAt = Date.now(); setTimeout(() => location.reload(), 2000); }
          };
          const source = new EventSource("/status/events?after=" + encodeURIComponent(after));
          source.addEventListener("reload", () => { source.close(); location.reload(); });
          source.addEventListener("transition", message => {
            const t = JSON.parse(message.data);
            const section = [...document.querySelectorAll("tbody.monitor")].find(s => s.dataset.monitorId === t.monitorId);
            if (section) {
              const row = [...section.querySelectorAll("tr.group")].find(r => r.dataset.group === t.groupKey);
              if (row) {
                row.dataset.state = t.next;
                const cell = row.querySelector(".group-state");
                cell.textContent = t.next;
                cell.className = "group-state state-" + t.next;
                row.querySelector(".group-since").textContent = "since " + t.time;
              } else {
                reloadSoon();
              }
            }
            const table = document.querySelector("#transitions table");
            const tr = document.createElement("tr");
            tr.className = "transition";
            tr.dataset.monitorId = t.monitorId;
            const name = section ? section.querySelector(".monitor-name").textContent : t.monitorId;
            const change = t.previous + " \u2192 " + t.next + (t.renotification ? " (renotification)" : "");
            for (const [text, css] of [[t.time, ""], [name, ""], [t.groupKey, ""], [change, "change"], [t.value, ""], [t.reason, ""], [String(t.logIndex), ""]]) {
              const td = document.createElement("td");
              td.textContent = text;
              if (css) { td.className = css; }
              tr.appendChild(td);
            }
            const header = table.querySelector("tr");
            header.after(tr);
            const rows = table.querySelectorAll("tr.transition");
            for (let i = recentMax; i < rows.length; i++) { rows[i].remove(); }
          });
        })();
        """;
}
