using System.Net.Http.Headers;
using Alerting.Protocol.V1;
using Grpc.Core;

namespace Alerting.Server.Tests;

public sealed class MonitorsApiTests
{
    [Fact]
    public async Task Invalid_query_is_invalid_argument_naming_the_field_and_validate_returns_the_error_with_its_column()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = Samples.CpuMonitor();
        monitor.Query = "avg(last_1m):avg:cpu{*} by {host} >> 90";

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = monitor }, call).ResponseAsync);
        var validation = await server.Monitors.ValidateAsync(new ValidateMonitorRequest { Monitor = monitor }, call);
        var good = await server.Monitors.ValidateAsync(new ValidateMonitorRequest { Monitor = Samples.CpuMonitor() }, call);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("monitor.query: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.False(validation.Valid);
        var only = Assert.Single(validation.Errors);
        Assert.Equal("query", only.Field);
        Assert.True(only.Column > 0, $"a parse error carries its column: {only}");
        Assert.True(good.Valid);
        Assert.Empty(good.Errors);
    }

    [Fact]
    public async Task Create_twice_by_name_is_already_exists_and_upsert_reports_unchanged_then_updated()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);

        var created = await server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = Samples.CpuMonitor() }, call);
        var again = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.CreateAsync(new CreateMonitorRequest { Monitor = Samples.CpuMonitor() }, call).ResponseAsync);
        var unchanged = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, call);
        var edited = Samples.CpuMonitor();
        edited.Message = "cpu is very high";
        var updated = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = edited }, call);
        var fetched = await server.Monitors.GetAsync(new GetMonitorRequest { Id = created.Monitor.Id }, call);

        Assert.NotEmpty(created.Monitor.Id);
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);
        Assert.Equal(UpsertOutcome.Unchanged, unchanged.Outcome);
        Assert.Equal(UpsertOutcome.Updated, updated.Outcome);
        Assert.Equal(created.Monitor.Id, updated.Monitor.Id);
        Assert.Equal("cpu is very high", fetched.Monitor.Message);
    }

    [Fact]
    public async Task Update_and_delete_of_an_unknown_id_are_not_found()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var ghost = Samples.CpuMonitor();
        ghost.Id = "no-such-monitor";

        var update = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.UpdateAsync(new UpdateMonitorRequest { Monitor = ghost }, call).ResponseAsync);
        var delete = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.DeleteAsync(new DeleteMonitorRequest { Id = "no-such-monitor" }, call).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, update.StatusCode);
        Assert.Equal(StatusCode.NotFound, delete.StatusCode);
    }

    [Fact]
    public async Task Http_get_of_v1_monitors_returns_json()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, TestServer.Call(timeout.Token));
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };

        using var response = await http.GetAsync(new Uri("/v1/monitors", UriKind.Relative), timeout.Token);
        var body = await response.Content.ReadAsStringAsync(timeout.Token);

        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal(new Version(1, 1), response.Version);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("{\"monitors\":[", body, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"cpu high\"", body, StringComparison.Ordinal);
    }
}
