using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Server.Tests;

/// <summary>A real server on free loopback ports over a temporary data folder, with generated clients.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    /// <summary>Longest wait for any ack or stream message before a test fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly bool _ownsDirectory;
    private GrpcChannel? _channel;

    private TestServer(ServerHost host, string dataDirectory, bool ownsDirectory)
    {
        Host = host;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
    }

    public ServerHost Host { get; }

    public string DataDirectory { get; }

    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(Host.GrpcAddress);

    public Protocol.V1.Ingest.IngestClient Ingest => new(Channel);

    public Protocol.V1.Monitors.MonitorsClient Monitors => new(Channel);

    public Alerts.AlertsClient Alerts => new(Channel);

    public Cluster.ClusterClient Cluster => new(Channel);

    public Downtimes.DowntimesClient Downtimes => new(Channel);

    public static ServerOptions Options(string? dataDirectory = null) => new()
    {
        DataDirectory = dataDirectory ?? NewDataDirectory(),
        GrpcPort = 0,
        HttpPort = 0,
        InputRingSize = 1024,
    };

    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "alerting-server-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Starts a server; <paramref name="ownsDirectory"/> deletes the data folder on dispose.</summary>
    public static async Task<TestServer> StartAsync(ServerOptions? options = null, bool ownsDirectory = true)
    {
        options ??= Options();
        var host = await ServerHost.StartAsync(options);
        return new TestServer(host, host.DataDirectory, ownsDirectory);
    }

    /// <summary>
    /// Starts a server whose ticks read <paramref name="time"/>: logical time then moves only when the
    /// test advances it (<see cref="AdvanceAsync"/>), so time-based behaviour is tested without sleeps.
    /// </summary>
    public static async Task<TestServer> StartAsync(FakeTimeProvider time, ServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        options ??= Options();
        var starting = ServerHost.StartAsync(options, time, CancellationToken.None);

        // The API opens after the first tick at or after the opening time.
        time.Advance(Engine.StateMachine.TickClock.DefaultPeriod);
        var host = await starting;
        return new TestServer(host, host.DataDirectory, ownsDirectory: true);
    }

    /// <summary>
    /// Advances the fake clock by <paramref name="duration"/> in steps the input ring can hold, and
    /// returns once the state machine has applied every tick up to the new time (a linearizable read).
    /// </summary>
    public async Task AdvanceAsync(FakeTimeProvider time, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(time);
        var step = TimeSpan.FromSeconds(5);
        for (var left = duration; left > TimeSpan.Zero; left -= step)
        {
            time.Advance(left < step ? left : step);
            var targetMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            var logicalMs = await (Host.Node.TryQuery(state => state.LogicalTimeMs) ?? throw new InvalidOperationException("input ring full"));
            Assert.True(logicalMs >= targetMs - Engine.StateMachine.TickClock.DefaultPeriod.TotalMilliseconds, $"logical time {logicalMs} lags the fake clock {targetMs}: a tick was refused");
        }
    }

    /// <summary>Wraps a host the test started itself (with an injected journal); deletes its data folder on dispose.</summary>
    public static TestServer Wrap(ServerHost host) => new(host, host.DataDirectory, ownsDirectory: true);

    public static CallOptions Call(CancellationToken cancellation, string? apiKey = null) =>
        new(headers: apiKey is null ? null : new Metadata { { "authorization", "Bearer " + apiKey } }, cancellationToken: cancellation);

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        await Host.StopAsync();
        if (_ownsDirectory && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
