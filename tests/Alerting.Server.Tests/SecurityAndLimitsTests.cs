using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Grpc.Core;

namespace Alerting.Server.Tests;

public sealed class SecurityAndLimitsTests
{
    private const string IngestKey = "ingest-key-0123456789";
    private const string ReadKey = "read-key-0123456789";
    private const string AdminKey = "admin-key-0123456789";

    [Fact]
    public async Task Calls_without_a_key_are_unauthenticated_and_without_the_scope_permission_denied()
    {
        var options = TestServer.Options();
        options.ApiKeys.Add(Key(IngestKey, "ingest"));
        options.ApiKeys.Add(Key(ReadKey, "read"));
        options.ApiKeys.Add(Key(AdminKey, "admin"));
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var list = new ListMonitorsRequest();

        var anonymous = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.ListAsync(list, TestServer.Call(timeout.Token)).ResponseAsync);
        var wrongKey = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.ListAsync(list, TestServer.Call(timeout.Token, "not-a-key-0123456789")).ResponseAsync);
        var wrongScope = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.ListAsync(list, TestServer.Call(timeout.Token, IngestKey)).ResponseAsync);
        var readCannotWrite = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.WriteBatchAsync(Samples.Cpu("a", 1), TestServer.Call(timeout.Token, ReadKey)).ResponseAsync);
        var listed = await server.Monitors.ListAsync(list, TestServer.Call(timeout.Token, ReadKey));
        var ack = await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 1), TestServer.Call(timeout.Token, IngestKey));
        var readCannotChange = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, TestServer.Call(timeout.Token, ReadKey)).ResponseAsync);
        var adminChanges = await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, TestServer.Call(timeout.Token, AdminKey));
        var adminIngests = await server.Ingest.WriteBatchAsync(Samples.Cpu("b", 1), TestServer.Call(timeout.Token, AdminKey));

        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, wrongKey.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, wrongScope.StatusCode);
        Assert.Contains("\"read\"", wrongScope.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, readCannotWrite.StatusCode);
        Assert.Empty(listed.Monitors);
        Assert.Equal(1, ack.Accepted);
        Assert.Equal(StatusCode.PermissionDenied, readCannotChange.StatusCode);
        Assert.Equal(UpsertOutcome.Created, adminChanges.Outcome);
        Assert.Equal(1, adminIngests.Accepted);
    }

    [Fact]
    public async Task Json_calls_need_a_key_with_the_scope_too()
    {
        var options = TestServer.Options();
        options.ApiKeys.Add(Key(ReadKey, "read"));
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        using var anonymous = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/monitors", UriKind.Relative));
        using var withKey = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/monitors", UriKind.Relative));
        withKey.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ReadKey);

        using var refused = await http.SendAsync(anonymous, timeout.Token);
        using var allowed = await http.SendAsync(withKey, timeout.Token);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.True(allowed.IsSuccessStatusCode, await allowed.Content.ReadAsStringAsync(timeout.Token));
    }

    [Fact]
    public async Task Binding_beyond_loopback_without_api_keys_is_refused_with_a_clear_message()
    {
        var options = TestServer.Options();
        options.BindAddress = "0.0.0.0";

        var error = await Assert.ThrowsAsync<ServerOptionsException>(() => ServerHost.StartAsync(options));

        Assert.Contains("without API keys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_points_than_the_request_limit_is_invalid_argument_naming_the_limit()
    {
        var options = TestServer.Options();
        options.MaxPointsPerRequest = 2;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var atLimit = Samples.Cpu("a", 1);
        atLimit.Points.Add(atLimit.Points[0].Clone());
        var overLimit = atLimit.Clone();
        overLimit.Points.Add(atLimit.Points[0].Clone());

        var ack = await server.Ingest.WriteBatchAsync(atLimit, call);
        var error = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.WriteBatchAsync(overLimit, call).ResponseAsync);

        Assert.Equal(2, ack.Accepted);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("MaxPointsPerRequest", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_subscription_beyond_the_limit_is_resource_exhausted()
    {
        var options = TestServer.Options();
        options.MaxSubscriptions = 1;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, call);
        using var first = server.Alerts.Subscribe(new SubscribeRequest(), call);
        await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 95), call);
        Assert.True(await first.ResponseStream.MoveNext(timeout.Token), "the first subscription is open and receives");

        using var second = server.Alerts.Subscribe(new SubscribeRequest(), call);
        var error = await Assert.ThrowsAsync<RpcException>(() => second.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task A_grpc_message_larger_than_the_limit_is_resource_exhausted()
    {
        var options = TestServer.Options();
        options.MaxMessageBytes = 1024;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var big = Samples.Cpu("a", 1);
        big.Points[0].Metric = new string('m', 3000);

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.WriteBatchAsync(big, TestServer.Call(timeout.Token)).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task A_write_stream_beyond_the_limit_is_resource_exhausted()
    {
        var options = TestServer.Options();
        options.MaxWriteStreams = 1;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        using var first = server.Ingest.Write(call);
        await first.RequestStream.WriteAsync(Samples.Cpu("a", 1));
        Assert.True(await first.ResponseStream.MoveNext(timeout.Token), "the first stream is open and acknowledged");

        using var second = server.Ingest.Write(call);
        var error = await Assert.ThrowsAsync<RpcException>(() => second.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    private static ApiKeyOptions Key(string key, string scope)
    {
        var options = new ApiKeyOptions { Key = key };
        options.Scopes.Add(scope);
        return options;
    }
}
