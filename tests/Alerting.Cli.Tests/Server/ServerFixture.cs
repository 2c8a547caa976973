using Alerting.Server.Hosting;

namespace Alerting.Cli.Tests.Server;

/// <summary>A real server (engine node and gRPC host) on free ports with a temporary data folder, shared by the tests of a collection.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServerHost? _host;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"alertctl-server-{Guid.NewGuid():N}");

    public string GrpcAddress => (_host ?? throw new InvalidOperationException("the server is not started")).GrpcAddress.ToString().TrimEnd('/');

    public static ServerOptions Options(string dataDirectory, int grpcPort = 0) => new()
    {
        DataDirectory = dataDirectory,
        GrpcPort = grpcPort,
        HttpPort = 0,
    };

    public async Task InitializeAsync() => _host = await ServerHost.StartAsync(Options(DataDirectory));

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        Directory.Delete(DataDirectory, recursive: true);
    }
}
