using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Grpc.Core;
using Grpc.Net.Client;

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
