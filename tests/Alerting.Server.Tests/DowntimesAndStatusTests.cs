using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Grpc.Core;

namespace Alerting.Server.Tests;

public sealed class DowntimesAndStatusTests
{
    [Fact]
    public async Task A_downtime_is_created_listed_and_deleted_and_an_invalid_one_names_its_field()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var created = await server.Downtimes.CreateAsync(new CreateDowntimeRequest { Downtime = new Downtime { Scope = { "env:prod" }, StartUnixMs = now, EndUnixMs = now + 60_000 } }, call);
        var listed = await server.Downtimes.ListAsync(new ListDowntimesRequest(), call);
        var invalid = await Assert.ThrowsAsync<RpcException>(() => server.Downtimes.CreateAsync(new CreateDowntimeRequest { Downtime = new Downtime { StartUnixMs = now, EndUnixMs = now - 1 } }, call).ResponseAsync);
        await server.Downtimes.DeleteAsync(new DeleteDowntimeRequest { Id = created.Downtime.Id }, call);
        var afterDelete = await server.Downtimes.ListAsync(new ListDowntimesRequest(), call);
        var deleteAgain = await Assert.ThrowsAsync<RpcException>(() => server.Downtimes.DeleteAsync(new DeleteDowntimeRequest { Id = created.Downtime.Id }, call).ResponseAsync);

        Assert.NotEmpty(created.Downtime.Id);
        Assert.Equal(created.Downtime.Id, Assert.Single(listed.Downtimes).Id);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("end_unix_ms", invalid.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(afterDelete.Downtimes);
        Assert.Equal(StatusCode.NotFound, deleteAgain.StatusCode);
    }

    [Fact]
    public async Task Healthz_answers_healthy_and_metrics_expose_the_durable_index()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var ack = await server.Ingest.WriteBatchAsync(Samples.Cpu("a", double.PositiveInfinity), TestServer.Call(timeout.Token));
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };

        var health = await http.GetStringAsync(new Uri("/healthz", UriKind.Relative), timeout.Token);
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), timeout.Token);

        Assert.Equal("Healthy", health);
        Assert.Contains("alerting_log_durable_index", metrics, StringComparison.Ordinal);
        Assert.Contains("alerting_ring_free_slots", metrics, StringComparison.Ordinal);
        Assert.Contains("reason=\"not_finite\"", metrics, StringComparison.Ordinal);
        Assert.Contains("alerting_evaluations_on_arrival", metrics, StringComparison.Ordinal);
        Assert.Contains("alerting_subscriptions_open", metrics, StringComparison.Ordinal);
        Assert.Contains("alerting_client_sessions", metrics, StringComparison.Ordinal);
        Assert.Contains("alerting_client_batches_duplicates", metrics, StringComparison.Ordinal);
        Assert.Equal("not_finite", Assert.Single(ack.Rejected).Reason);
    }
}
