using System.Globalization;
using System.Text;
using System.Text.Json;
using Alerting.Server.Security;
using Grpc.Core;
using Alerting.Engine.StateMachine;
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

    private static async Task Stream(HttpContext http, ApiKeyRing keys, EngineCalls engine, SubscriptionSlots slots, IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        StreamSlots.Lease lease;
        Cursor from;
        try
        {
            keys.Authorize(StatusPage.PresentedKey(http.Request.Headers.Authorization.Count > 0 ? http.Request.Headers.Authorization[0] : null), ApiScopes.Read, "API key (HTTP Basic password or \"authorization: Bearer <api key>\")", "the status page's events");
            // A browser reconnecting after a broken stream sends the id of the last event it took:
            // it resumes from there, not from the index the page was rendered at.
            var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
            if (lastEventId.Length > 0)
            {
                from = Cursor.Parse(lastEventId) ?? throw new RpcException(new Status(StatusCode.InvalidArgument, $"Last-Event-ID: \"{lastEventId}\" is not an event id of this stream (INDEX or INDEX.N)"));
            }
            else
            {
                var text = http.Request.Query["after"].ToString();
                if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"after: \"{text}\" is not a log index (a whole number, 0 or more)"));
                }

                from = new Cursor(after, 0);
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
            // A stream ends when the browser goes away or the server stops (a graceful stop must not wait for it).
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
            await Pump(engine.Node.History, http.Response, from, loggers.CreateLogger(typeof(StatusPageEvents).FullName!), ended.Token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Where a stream resumes: after the first <see cref="Seen"/> events of log index
    /// <see cref="Index"/> when <see cref="Seen"/> is above 0, else after the whole index. It is the
    /// event id sent with each event: <c>INDEX</c> on the last event of an index, <c>INDEX.N</c> on
    /// the N-th event of an index that has more.
    /// </summary>
    internal readonly record struct Cursor(long Index, int Seen)
    {
        public static Cursor? Parse(string text)
        {
            var dot = text.IndexOf('.', StringComparison.Ordinal);
            var indexText = dot < 0 ? text : text[..dot];
            if (!long.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                return null;
            }

            if (dot < 0)
            {
                return new Cursor(index, 0);
            }

            return int.TryParse(text.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seen) && seen > 0 && index > 0
                ? new Cursor(index, seen)
                : null;
        }

        /// <summary>
        /// True when the history may no longer hold every event this cursor still has to send: the
        /// oldest kept index may have lost part of its events, so only the indices above it are
        /// whole (<paramref name="forgottenBefore"/> 0: nothing was ever dropped).
        /// </summary>
        public bool IsBehind(long forgottenBefore) =>
            forgottenBefore > 0 && forgottenBefore != long.MaxValue && (Seen > 0 ? Index <= forgottenBefore : Index < forgottenBefore);
    }

    /// <summary>
    /// Sends the events after <paramref name="from"/> as they are appended to the history, until
    /// <paramref name="ended"/>. When the history no longer holds everything the stream still has
    /// to send (it fell behind what the server keeps) it sends <c>reload</c> and ends; so it does
    /// when one read fills <see cref="EventsPerRead"/>. Any failure (a broken connection, a fault
    /// of its own) is logged and ends the stream; nothing is thrown to the host.
    /// </summary>
    internal static async Task Pump(TransitionHistory history, HttpResponse response, Cursor from, ILogger log, CancellationToken ended)
    {
        var batch = new List<HistoryItem>(EventsPerRead);
        var cursor = from;
        try
        {
            await response.Body.FlushAsync(ended).ConfigureAwait(false);
            while (true)
            {
                batch.Clear();
                var more = history.CopyAfter(cursor.Seen > 0 ? cursor.Index - 1 : cursor.Index, null, batch, EventsPerRead);
                // Read after the copy: an event dropped before or during it shows in the bound.
                var forgotten = history.ForgottenBeforeIndex;
                if (cursor.IsBehind(forgotten))
                {
                    await SendReload(response, $"events before log index {forgotten} are no longer kept", ended).ConfigureAwait(false);
                    return;
                }

                if (batch.Count == EventsPerRead)
                {
                    await SendReload(response, "too many events at once", ended).ConfigureAwait(false);
                    return;
                }

                var skip = 0;
                if (cursor.Seen > 0)
                {
                    while (skip < batch.Count && skip < cursor.Seen && batch[skip].Event.LogIndex == cursor.Index)
                    {
                        skip++;
                    }
                }

                if (batch.Count == skip)
                {
                    await more.WaitAsync(ended).ConfigureAwait(false);
                    continue;
                }

                var seenBefore = cursor.Seen > 0 && batch[skip].Event.LogIndex == cursor.Index ? cursor.Seen : 0;
                await response.WriteAsync(Format(batch, skip, seenBefore), ended).ConfigureAwait(false);
                await response.Body.FlushAsync(ended).ConfigureAwait(false);
                // A read that did not fill the batch holds whole indices (the events of one log entry are appended at once).
                cursor = new Cursor(batch[^1].Event.LogIndex, 0);
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // The browser left or the server is stopping.
        }
        catch (Exception e)
        {
            // A write to a connection that broke, or a fault of the stream itself: the stream ends
            // here (the browser reconnects with the last event id it took) and the host goes on.
            log.LogWarning(e, "Status page event stream after {Cursor} ended by a failure", cursor);
        }
    }

    private static async Task SendReload(HttpResponse response, string why, CancellationToken ended)
    {
        await response.WriteAsync("event: reload\ndata: " + why + "\n\n", ended).ConfigureAwait(false);
        await response.Body.FlushAsync(ended).ConfigureAwait(false);
    }

    /// <summary>
    /// One <c>transition</c> event per history item from <paramref name="start"/> on, its id the
    /// <see cref="Cursor"/> after it: the log index on the last event of an index, <c>INDEX.N</c> on
    /// the N-th of an index with more after it (<paramref name="seenBefore"/> events of the first
    /// index were sent before).
    /// </summary>
    internal static string Format(List<HistoryItem> batch, int start, int seenBefore)
    {
        var text = new StringBuilder((batch.Count - start) * 256);
        var ordinal = seenBefore;
        for (var i = start; i < batch.Count; i++)
        {
            var item = batch[i];
            var e = item.Event;
            ordinal++;
            var lastOfIndex = i == batch.Count - 1 || batch[i + 1].Event.LogIndex != e.LogIndex;
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
            text.Append("id: ").Append(e.LogIndex);
            if (!lastOfIndex)
            {
                text.Append('.').Append(ordinal);
            }

            text.Append("\nevent: transition\ndata: ").Append(json).Append("\n\n");
            if (lastOfIndex)
            {
                ordinal = 0;
            }
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
