using System.Text.Json;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Grpc.Core;

namespace Alerting.Server.Tests;

public sealed class PagingTests
{
    private const int Hosts = 23;

    [Fact]
    public async Task Paging_through_states_with_a_small_page_returns_every_group_once_in_the_order_of_one_big_page()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        await CreateMonitorsWithGroups(server, call, "a", "b", "c");

        var whole = await server.Alerts.ListStatesAsync(new ListStatesRequest { PageSize = Paging.MaxPageSize }, call);
        var paged = new List<GroupStateInfo>();
        var pages = 0;
        var request = new ListStatesRequest { PageSize = 7 };
        do
        {
            var page = await server.Alerts.ListStatesAsync(request, call);
            Assert.True(page.States.Count <= 7, $"page {pages} holds {page.States.Count}, more than its page_size");
            paged.AddRange(page.States);
            request.PageToken = page.NextPageToken;
            pages++;
        }
        while (request.PageToken.Length > 0);

        Assert.Empty(whole.NextPageToken);
        Assert.Equal(3 * Hosts, whole.States.Count);
        Assert.Equal(whole.States.Select(Key), paged.Select(Key));
        Assert.Equal((3 * Hosts + 6) / 7, pages);
        var ordered = whole.States.Select(s => s.GroupKey).Take(Hosts).ToList();
        Assert.Equal(ordered.Order(StringComparer.Ordinal), ordered);
    }

    [Fact]
    public async Task Paging_one_monitors_states_and_with_a_state_filter_matches_the_big_page()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var ids = await CreateMonitorsWithGroups(server, call, "a", "b", "c");

        foreach (var filter in new[] { new ListStatesRequest { MonitorId = ids[1] }, new ListStatesRequest { State = "ALERT" }, new ListStatesRequest { State = "OK" } })
        {
            var big = filter.Clone();
            big.PageSize = Paging.MaxPageSize;
            var whole = await server.Alerts.ListStatesAsync(big, call);
            var paged = new List<GroupStateInfo>();
            var request = filter.Clone();
            request.PageSize = 4;
            do
            {
                var page = await server.Alerts.ListStatesAsync(request, call);
                paged.AddRange(page.States);
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);

            Assert.NotEmpty(whole.States);
            Assert.Equal(whole.States.Select(Key), paged.Select(Key));
        }
    }

    [Fact]
    public async Task Groups_of_monitors_that_live_through_the_listing_appear_once_when_another_is_deleted_meanwhile()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var ids = await CreateMonitorsWithGroups(server, call, "a", "b", "c");

        var first = await server.Alerts.ListStatesAsync(new ListStatesRequest { PageSize = Hosts + 5 }, call);
        await server.Monitors.DeleteAsync(new DeleteMonitorRequest { Id = ids[1] }, call);
        var rest = new List<GroupStateInfo>();
        var request = new ListStatesRequest { PageSize = 5, PageToken = first.NextPageToken };
        while (request.PageToken.Length > 0)
        {
            var page = await server.Alerts.ListStatesAsync(request, call);
            rest.AddRange(page.States);
            request.PageToken = page.NextPageToken;
        }

        var seen = first.States.Concat(rest).Where(s => s.MonitorId != ids[1]).Select(Key).ToList();
        Assert.Equal(2 * Hosts, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.DoesNotContain(rest, s => s.MonitorId == ids[1]);
    }

    [Fact]
    public async Task Paging_through_monitors_returns_each_once_in_the_order_of_one_big_page()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var ids = await CreateMonitorsWithGroups(server, call, "m1", "m2", "m3", "m4", "m5");

        foreach (var filter in new[] { new ListMonitorsRequest(), new ListMonitorsRequest { State = "ALERT" }, new ListMonitorsRequest { NameContains = "M" } })
        {
            var big = filter.Clone();
            big.PageSize = Paging.MaxPageSize;
            var whole = await server.Monitors.ListAsync(big, call);
            var paged = new List<string>();
            var request = filter.Clone();
            request.PageSize = 2;
            var pages = 0;
            do
            {
                var page = await server.Monitors.ListAsync(request, call);
                Assert.True(page.Monitors.Count <= 2);
                paged.AddRange(page.Monitors.Select(m => m.Id));
                request.PageToken = page.NextPageToken;
                pages++;
            }
            while (request.PageToken.Length > 0);

            Assert.Empty(whole.NextPageToken);
            Assert.Equal(ids, whole.Monitors.Select(m => m.Id));
            Assert.Equal(ids, paged);
            Assert.Equal(3, pages);
        }
    }

    [Fact]
    public async Task A_bad_page_token_and_a_page_size_past_the_max_are_invalid_argument_naming_the_field()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        await CreateMonitorsWithGroups(server, call, "a", "b");
        var monitorsToken = (await server.Monitors.ListAsync(new ListMonitorsRequest { PageSize = 1 }, call)).NextPageToken;
        var statesToken = (await server.Alerts.ListStatesAsync(new ListStatesRequest { PageSize = 1 }, call)).NextPageToken;

        var failures = new List<RpcException>
        {
            await Assert.ThrowsAsync<RpcException>(() => server.Alerts.ListStatesAsync(new ListStatesRequest { PageToken = "not a token" }, call).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => server.Alerts.ListStatesAsync(new ListStatesRequest { PageToken = monitorsToken }, call).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => server.Monitors.ListAsync(new ListMonitorsRequest { PageToken = statesToken }, call).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => server.Monitors.ListAsync(new ListMonitorsRequest { PageToken = "AAAA" }, call).ResponseAsync),
        };
        var sizes = new List<RpcException>
        {
            await Assert.ThrowsAsync<RpcException>(() => server.Alerts.ListStatesAsync(new ListStatesRequest { PageSize = Paging.MaxPageSize + 1 }, call).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => server.Monitors.ListAsync(new ListMonitorsRequest { PageSize = Paging.MaxPageSize + 1 }, call).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => server.Monitors.ListAsync(new ListMonitorsRequest { PageSize = -1 }, call).ResponseAsync),
        };

        Assert.NotEmpty(monitorsToken);
        Assert.NotEmpty(statesToken);
        Assert.All(failures, e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.All(failures, e => Assert.StartsWith("page_token: ", e.Status.Detail, StringComparison.Ordinal));
        Assert.All(sizes, e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.All(sizes, e => Assert.StartsWith("page_size: ", e.Status.Detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Http_get_of_v1_states_pages_with_query_parameters()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        await CreateMonitorsWithGroups(server, TestServer.Call(timeout.Token), "a");
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };

        var keys = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var uri = new Uri($"/v1/states?page_size=10&page_token={Uri.EscapeDataString(token)}", UriKind.Relative);
            using var response = await http.GetAsync(uri, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            Assert.True(response.IsSuccessStatusCode, body);
            using var json = JsonDocument.Parse(body);
            keys.AddRange(json.RootElement.GetProperty("states").EnumerateArray().Select(s => s.GetProperty("groupKey").GetString()!));
            token = json.RootElement.TryGetProperty("nextPageToken", out var next) ? next.GetString()! : "";
            pages++;
        }
        while (token.Length > 0);
        using var tooBig = await http.GetAsync(new Uri($"/v1/states?page_size={Paging.MaxPageSize + 1}", UriKind.Relative), timeout.Token);

        Assert.Equal(Enumerable.Range(0, Hosts).Select(Host).Order(StringComparer.Ordinal).Select(h => "host:" + h), keys);
        Assert.Equal(3, pages);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, tooBig.StatusCode);
    }

    [Fact]
    public async Task Create_refuses_a_name_the_by_name_index_holds_and_follows_renames()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var created = await server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = Samples.CpuMonitor("first") }, call);
        var renamed = Samples.CpuMonitor("second");
        renamed.Id = created.Monitor.Id;
        await server.Monitors.UpdateAsync(new UpdateMonitorRequest { Monitor = renamed }, call);

        var clash = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = Samples.CpuMonitor("second") }, call).ResponseAsync);
        var reused = await server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = Samples.CpuMonitor("first") }, call);

        Assert.Equal(StatusCode.AlreadyExists, clash.StatusCode);
        Assert.Contains("\"second\"", clash.Status.Detail, StringComparison.Ordinal);
        Assert.NotEqual(created.Monitor.Id, reused.Monitor.Id);
    }

    private static string Key(GroupStateInfo s) => s.MonitorId + "\n" + s.GroupKey;

    private static string Host(int i) => "h" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Creates monitors on cpu by host and writes <see cref="Hosts"/> hosts, odd ones alerting: every monitor gets a group per host.</summary>
    private static async Task<List<string>> CreateMonitorsWithGroups(TestServer server, CallOptions call, params string[] names)
    {
        var ids = new List<string>();
        foreach (var name in names)
        {
            ids.Add((await server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = Samples.CpuMonitor(name) }, call)).Monitor.Id);
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var write = new WriteRequest { BatchId = 1 };
        for (var i = 0; i < Hosts; i++)
        {
            write.Points.Add(new Point { Metric = "cpu", Tags = { "host:" + Host(i) }, UnixMs = now, Value = i % 2 == 1 ? 95 : 10 });
        }

        await server.Ingest.WriteBatchAsync(write, call);
        return ids;
    }
}
