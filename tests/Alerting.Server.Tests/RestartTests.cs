using Alerting.Protocol.V1;

namespace Alerting.Server.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task After_a_graceful_restart_monitors_states_and_earlier_events_are_still_there()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        string monitorId;
        WriteAck ack;
        await using (var first = await TestServer.StartAsync(TestServer.Options(dataDirectory), ownsDirectory: false))
        {
            monitorId = (await first.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = Samples.CpuMonitor() }, call)).Monitor.Id;
            ack = await first.Ingest.WriteBatchAsync(Samples.Cpu("a", 95), call);
            using var open = first.Alerts.Subscribe(new SubscribeRequest { FromIndex = ack.LogIndex }, call);
            await open.ResponseHeadersAsync;
            var ended = open.ResponseStream.MoveNext(timeout.Token);
            await first.Host.StopAsync();
            Assert.False(await ended, "stopping the server ends an open subscription instead of waiting for it");
        }

        await using var second = await TestServer.StartAsync(TestServer.Options(dataDirectory));
        var monitors = await second.Monitors.ListAsync(new ListMonitorsRequest(), call);
        var states = await second.Alerts.ListStatesAsync(new ListStatesRequest { MonitorId = monitorId }, call);
        var status = await second.Cluster.StatusAsync(new StatusRequest(), call);
        using var replay = second.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        Assert.True(await replay.ResponseStream.MoveNext(timeout.Token));
        var earlier = replay.ResponseStream.Current;

        Assert.Equal(monitorId, Assert.Single(monitors.Monitors).Id);
        var state = Assert.Single(states.States);
        Assert.Equal("host:a", state.GroupKey);
        Assert.Equal("ALERT", state.State);
        Assert.True(status.AppliedIndex >= ack.LogIndex, $"applied {status.AppliedIndex} covers the acked {ack.LogIndex}");
        Assert.Equal(ack.LogIndex, earlier.LogIndex);
        Assert.Equal("ALERT", earlier.NewState);
        Assert.Equal(1ul, earlier.TransitionNumber);
    }

    [Fact]
    public async Task A_port_already_in_use_fails_the_start_and_leaves_the_data_folder_reusable()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        await using var running = await TestServer.StartAsync();
        var clash = TestServer.Options(dataDirectory);
        clash.GrpcPort = running.Host.GrpcAddress.Port;

        await Assert.ThrowsAnyAsync<IOException>(() => Hosting.ServerHost.StartAsync(clash));
        await using var reopened = await TestServer.StartAsync(TestServer.Options(dataDirectory));

        Assert.Equal(dataDirectory, reopened.DataDirectory);
    }
}
