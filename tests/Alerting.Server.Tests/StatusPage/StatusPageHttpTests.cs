using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.StatusPage;

/// <summary>The status page over plain HTTP: who may read it, its answers to bad input, and its pages.</summary>
public sealed partial class StatusPageHttpTests
{
    private const string ReadKey = "read-key-0123456789";
    private const string IngestKey = "ingest-key-0123456789";

    [Fact]
    public async Task Keys_are_asked_for_with_a_Basic_challenge_and_the_read_scope_opens_the_page()
    {
        var options = TestServer.Options();
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = ReadKey, Scopes = { "read" } });
        options.ApiKeys.Add(new Hosting.ApiKeyOptions { Key = IngestKey, Scopes = { "ingest" } });
        await using var server = await TestServer.StartAsync(options);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress, Timeout = TestServer.Patience };

        using var anonymous = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic", Assert.Single(anonymous.Headers.WwwAuthenticate).Scheme);

        using var ingestOnly = await http.SendAsync(Get("/status", Basic("anyone", IngestKey)));
        Assert.Equal(HttpStatusCode.Forbidden, ingestOnly.StatusCode);

        using var page = await http.SendAsync(Get("/", Basic("anyone", ReadKey)));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("<td id=\"node-role\">primary</td>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var bearer = await http.SendAsync(Get("/status", new AuthenticationHeaderValue("Bearer", ReadKey)));
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);

        using var anonymousEvents = await http.GetAsync(new Uri("/status/events?after=0", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousEvents.StatusCode);
        using var badAfter = await http.SendAsync(Get("/status/events?after=-1", Basic("anyone", ReadKey)));
        Assert.Equal(HttpStatusCode.BadRequest, badAfter.StatusCode);
        Assert.Contains("after: \"-1\"", await badAfter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var badLastEventRequest = Get("/status/events?after=0", Basic("anyone", ReadKey));
        badLastEventRequest.Headers.Add("Last-Event-ID", "12.x");
        using var badLastEvent = await http.SendAsync(badLastEventRequest);
        Assert.Equal(HttpStatusCode.BadRequest, badLastEvent.StatusCode);
        Assert.Contains("Last-Event-ID: \"12.x\"", await badLastEvent.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var badFilter = await http.SendAsync(Get("/?state=firing", Basic("anyone", ReadKey)));
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.StatusCode);
        Assert.Contains("state: \"firing\"", await badFilter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_group_view_shows_its_transitions_and_charts_each_value_against_the_thresholds()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Monitor
        {
            Name = "load <b>",
            Type = "metric",
            Query = "min(last_1m):min:load{*} by {host} > 90",
            Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, Thresholds = new Thresholds { Critical = 90, Warning = 70 } },
        };
        var id = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call)).Monitor.Id;
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        var states = new List<string>();
        var batch = 0UL;
        // OK → ALERT → WARN → OK (the minimum over the window falls): each write waits for its transition.
        foreach (var (value, expected) in new[] { (97.0, "ALERT"), (75.0, "WARN"), (10.0, "OK") })
        {
            await server.Ingest.WriteBatchAsync(new WriteRequest { BatchId = ++batch, Points = { new Point { Metric = "load", Tags = { "host:a/1" }, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = value } } }, call);
            while (await subscription.ResponseStream.MoveNext(timeout.Token))
            {
                var e = subscription.ResponseStream.Current;
                if (e.MonitorId == id && e.GroupKey == "host:a/1")
                {
                    states.Add(e.NewState);
                    if (e.NewState == expected)
                    {
                        break;
                    }
                }
            }
        }

        Assert.Equal(["ALERT", "WARN", "OK"], states);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress, Timeout = TestServer.Patience };
        var main = await http.GetStringAsync(new Uri("/", UriKind.Relative), timeout.Token);
        var link = $"/status/group?monitor={Uri.EscapeDataString(id)}&amp;group=host%3Aa%2F1";
        Assert.Contains($"<a href=\"{link}\">host:a/1</a>", main, StringComparison.Ordinal);

        using var answer = await http.GetAsync(new Uri(WebUtility.HtmlDecode(link), UriKind.Relative), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.StartsWith("default-src 'none'", answer.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var page = await answer.Content.ReadAsStringAsync(timeout.Token);
        Assert.Contains("<h1>load &lt;b&gt;</h1>", page, StringComparison.Ordinal);
        Assert.Contains("<td id=\"group-state\" class=\"state-OK\">OK</td>", page, StringComparison.Ordinal);
        Assert.Contains("data-points=\"3\" data-thresholds=\"2\"", page, StringComparison.Ordinal);
        Assert.Equal(["97", "75", "10"], PointValues().Matches(page).Select(m => m.Groups[1].Value));
        var y = PointHeights().Matches(page).Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var critical = double.Parse(ThresholdHeight().Match(page).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        // SVG y grows downwards: 97 above the critical line, 75 and 10 below it, 10 lowest.
        Assert.True(y[0] < critical && y[1] > critical && y[2] > y[1], $"dots at y {string.Join(", ", y)}, critical line at y {critical}");
        Assert.Equal(["WARN → OK", "ALERT → WARN", "OK → ALERT"], HistoryChanges().Matches(page).Select(m => m.Groups[1].Value));

        using var unknown = await http.GetAsync(new Uri($"/status/group?monitor={Uri.EscapeDataString(id)}&group=host%3Ab", UriKind.Relative), timeout.Token);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var missing = await http.GetAsync(new Uri("/status/group?monitor=x", UriKind.Relative), timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [GeneratedRegex("<circle class=\"point point-[A-Z_]+\" cx=\"[0-9.]+\" cy=\"[0-9.]+\" r=\"4\" fill=\"#[0-9a-f]+\" data-value=\"([^\"]+)\"")]
    private static partial Regex PointValues();

    [GeneratedRegex("<circle class=\"point point-[A-Z_]+\" cx=\"[0-9.]+\" cy=\"([0-9.]+)\"")]
    private static partial Regex PointHeights();

    [GeneratedRegex("<line class=\"threshold threshold-critical\" x1=\"[0-9]+\" x2=\"[0-9]+\" y1=\"([0-9.]+)\"")]
    private static partial Regex ThresholdHeight();

    [GeneratedRegex("<tr class=\"transition\"><td>[^<]*</td><td class=\"change\">([^<]*)</td>")]
    private static partial Regex HistoryChanges();

    [Fact]
    public async Task Monitors_past_one_page_continue_on_the_next_page_each_listed_once()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var created = new List<string>();
        for (var i = 0; i < StatusPageReader.MonitorsPerPage + 1; i++)
        {
            var monitor = new Monitor
            {
                Name = $"monitor {i:D3}",
                Type = "metric",
                Query = $"avg(last_1m):avg:m{i}{{*}} > 1",
                Options = new MonitorOptions { NewGroupDelayMs = 0, Thresholds = new Thresholds { Critical = 1 } },
            };
            created.Add((await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, TestServer.Call(timeout.Token))).Monitor.Id);
        }

        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress, Timeout = TestServer.Patience };
        var first = await http.GetStringAsync(new Uri("/", UriKind.Relative), timeout.Token);
        var firstIds = MonitorIds(first);
        Assert.Equal(StatusPageReader.MonitorsPerPage, firstIds.Count);
        var next = NextLink().Match(first);
        Assert.True(next.Success, "a full first page links to the next");

        var second = await http.GetStringAsync(new Uri("/" + WebUtility.HtmlDecode(next.Groups[1].Value), UriKind.Relative), timeout.Token);
        var secondIds = MonitorIds(second);
        Assert.Single(secondIds);
        Assert.False(NextLink().IsMatch(second), "the last page links to no next page");
        Assert.Equal(created.Order(StringComparer.Ordinal), firstIds.Concat(secondIds).Order(StringComparer.Ordinal));
        Assert.Contains($"<td data-count=\"monitors\">{created.Count}</td>", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Groups_past_the_per_monitor_cap_and_transitions_past_the_recent_cap_are_cut_and_said_so()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var monitor = new Monitor
        {
            Name = "load",
            Type = "metric",
            Query = "max(last_5m):max:load{*} by {host} > 4",
            Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, Thresholds = new Thresholds { Critical = 4 } },
        };
        _ = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, TestServer.Call(timeout.Token));
        var hosts = StatusPageReader.RecentTransitions + 1;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var write = new WriteRequest { BatchId = 1 };
        for (var i = 0; i < hosts; i++)
        {
            write.Points.Add(new Point { Metric = "load", Tags = { $"host:h{i:D3}" }, UnixMs = now, Value = 5 });
        }

        // The ack comes once the entry is applied, its on-arrival evaluations included.
        _ = await server.Ingest.WriteBatchAsync(write, TestServer.Call(timeout.Token));

        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress, Timeout = TestServer.Patience };
        var page = await http.GetStringAsync(new Uri("/", UriKind.Relative), timeout.Token);

        var rows = GroupRow().Matches(page).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Enumerable.Range(0, StatusPageReader.GroupsPerMonitor).Select(i => $"host:h{i:D3}"), rows);
        Assert.Contains("class=\"more-groups\"", page, StringComparison.Ordinal);
        Assert.Equal(StatusPageReader.RecentTransitions, TransitionRow().Count(page));
    }

    private static List<string> MonitorIds(string html) =>
        [.. MonitorSection().Matches(html).Select(m => m.Groups[1].Value)];

    private static HttpRequestMessage Get(string path, AuthenticationHeaderValue authorization) =>
        new(HttpMethod.Get, new Uri(path, UriKind.Relative)) { Headers = { Authorization = authorization } };

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    [GeneratedRegex("<tbody class=\"monitor\" data-monitor-id=\"([^\"]+)\"")]
    private static partial Regex MonitorSection();

    [GeneratedRegex("<tr class=\"group\" data-group=\"([^\"]+)\"")]
    private static partial Regex GroupRow();

    [GeneratedRegex("<tr class=\"transition\"")]
    private static partial Regex TransitionRow();

    [GeneratedRegex("<a id=\"next-page\" href=\"([^\"]+)\"")]
    private static partial Regex NextLink();
}
