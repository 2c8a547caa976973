using System.Net;
using System.Text;
using Alerting.Engine.Journal;
using Alerting.Engine.Monitors;
using Alerting.Engine.Pipeline;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Alerting.Server.Hosting;
using Alerting.Server.Ingest;
using Google.Protobuf;
using Grpc.Core;

namespace Alerting.Server.Tests;

/// <summary>Inputs past a size limit, through a real server over gRPC and the JSON API.</summary>
public sealed class OversizeInputTests
{
    /// <summary>
    /// Within every per-field limit, but 100 series of a 200-char metric with 64 tags of 200 chars
    /// encode to about 1.3 MB: more than the journal takes in one entry.
    /// </summary>
    internal static WriteRequest LargerThanAnEntry()
    {
        var request = new WriteRequest { BatchId = 7 };
        var tags = Enumerable.Range(0, WriteRequestConverter.MaxTagsPerPoint)
            .Select(t => $"k{t:D2}:" + new string('v', WriteRequestConverter.MaxTagLength - 4))
            .ToArray();
        for (var i = 0; i < 100; i++)
        {
            var point = new Point { Metric = $"m{i:D3}" + new string('x', WriteRequestConverter.MaxNameLength - 4), UnixMs = 1, Value = 1 };
            point.Tags.AddRange(tags);
            request.Points.Add(point);
        }

        return request;
    }

    [Fact]
    public async Task An_entry_larger_than_the_journal_takes_is_resource_exhausted_saying_split_it_with_the_sizes()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var request = LargerThanAnEntry();

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.WriteBatchAsync(request, TestServer.Call(timeout.Token)).ResponseAsync);
        var ack = await server.Ingest.WriteBatchAsync(Samples.Cpu("a", 1), TestServer.Call(timeout.Token));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("too large (", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"limit {EngineNode.MaxEntryBytes}): split it", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("retry", error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(EngineNode.MaxEntryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Trailers.GetValue(EngineCalls.TooLargeTrailer));
        Assert.Equal(1, ack.Accepted);
    }

    [Fact]
    public async Task An_entry_larger_than_the_journal_takes_is_413_over_the_json_api_not_429()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        using var body = new StringContent(JsonFormatter.Default.Format(LargerThanAnEntry()), Encoding.UTF8, "application/json");
        using var small = new StringContent(JsonFormatter.Default.Format(Samples.Cpu("a", 1)), Encoding.UTF8, "application/json");

        using var refused = await http.PostAsync(new Uri("/v1/write", UriKind.Relative), body, timeout.Token);
        var detail = await refused.Content.ReadAsStringAsync(timeout.Token);
        using var accepted = await http.PostAsync(new Uri("/v1/write", UriKind.Relative), small, timeout.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Contains("split it", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task A_full_ring_stays_429_saying_retry_over_the_json_api()
    {
        // Entries stay in the ring until durable: holding durability fills it without any timing.
        var journal = new MemoryJournal();
        var options = TestServer.Options();
        options.InputRingSize = 16;
        var host = await ServerHost.StartAsync(options, engineOptions => EngineNode.Open(engineOptions, journal));
        await using var server = TestServer.Wrap(host);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        journal.HoldDurability();
        var held = new List<Task<AppliedEntry>>();
        while (held.Count <= options.InputRingSize && host.Node.TryWrite(new Protocol.Log.LogEntry { Tick = new Protocol.Log.Tick { UnixMs = 1 } }) is { } written)
        {
            held.Add(written);
        }

        using var body = new StringContent(JsonFormatter.Default.Format(Samples.Cpu("a", 1)), Encoding.UTF8, "application/json");
        using var refused = await http.PostAsync(new Uri("/v1/write", UriKind.Relative), body, timeout.Token);
        var detail = await refused.Content.ReadAsStringAsync(timeout.Token);
        journal.ReleaseDurability();
        await Task.WhenAll(held).WaitAsync(timeout.Token);

        Assert.True(held.Count <= options.InputRingSize, $"the ring refused a write after {held.Count}");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("retry", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("split", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_nul_in_a_tag_is_invalid_argument_naming_the_field_path_over_grpc_and_400_over_json()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        var request = Samples.Cpu("a", 1);
        request.Points.Add(request.Points[0].Clone());
        request.Points[1].Tags.Add("env:prod\0");
        using var body = new StringContent(JsonFormatter.Default.Format(request), Encoding.UTF8, "application/json");

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.WriteBatchAsync(request, TestServer.Call(timeout.Token)).ResponseAsync);
        using var refused = await http.PostAsync(new Uri("/v1/write", UriKind.Relative), body, timeout.Token);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("points[1].tags[1]: must not contain control characters", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("points[1].tags[1]", await refused.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_monitor_is_invalid_argument_naming_the_field_and_the_limit()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var statuses = Samples.CpuMonitor();
        statuses.Options.RenotifyStatuses.AddRange(Enumerable.Repeat("alert", 100_000));
        var longTag = Samples.CpuMonitor();
        longTag.Tags.Add("team:" + new string('t', MonitorCompiler.MaxTagLength));
        var controlName = Samples.CpuMonitor();
        controlName.Name = "cpu\u001b[2J";

        var whole = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = statuses }, call).ResponseAsync);
        var tag = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = longTag }, call).ResponseAsync);
        var name = await Assert.ThrowsAsync<RpcException>(() => server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = controlName }, call).ResponseAsync);
        var listed = await server.Monitors.ListAsync(new ListMonitorsRequest(), call);

        Assert.Equal(StatusCode.InvalidArgument, whole.StatusCode);
        Assert.StartsWith("monitor: the definition is ", whole.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"at most {MonitorCompiler.MaxDefinitionBytes}", whole.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, tag.StatusCode);
        Assert.StartsWith($"monitor.tags[0]: must be at most {MonitorCompiler.MaxTagLength} characters", tag.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, name.StatusCode);
        Assert.StartsWith("monitor.name: must not contain control characters", name.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(listed.Monitors);
    }

    [Fact]
    public async Task An_oversized_downtime_is_invalid_argument_naming_the_limit()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var downtime = new Protocol.Log.Downtime { StartUnixMs = 1, Group = new string('g', 40_000) };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Downtimes.CreateAsync(new CreateDowntimeRequest { Downtime = downtime }, call).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("downtime: the downtime is ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"at most {Engine.State.DowntimeModel.MaxDowntimeBytes}", error.Status.Detail, StringComparison.Ordinal);
    }
}
