using System.Net;
using System.Net.Sockets;
using System.Text;
using Alerting.Server.Tests.Faults;

namespace Alerting.Server.Tests.Deploy;

/// <summary>
/// sd_notify as systemd speaks it: the test owns a unix datagram socket, names it in
/// <c>NOTIFY_SOCKET</c> for the real server process, and reads what the server sends.
/// </summary>
public sealed class SystemdNotifyTests : IDisposable
{
    private readonly string _data = TestServer.NewDataDirectory();
    private readonly string _socketPath = Path.Combine(Path.GetTempPath(), $"alerting-notify-{Guid.NewGuid():N}.sock");

    [Fact]
    public async Task The_server_notifies_READY_once_it_serves_and_STOPPING_on_SIGTERM()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(_socketPath));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var server = await ServerProcess.StartAsync(_data, ["--grpc-port", "0", "--http-port", "0"], new Dictionary<string, string> { ["NOTIFY_SOCKET"] = _socketPath });
        try
        {
            Assert.Contains("READY=1", await ReceiveAsync(socket, timeout.Token), StringComparison.Ordinal);

            // Ready means recovered and listening: the readiness probe answers at once.
            using var http = new HttpClient { BaseAddress = server.Http, Timeout = TestServer.Patience };
            using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), timeout.Token);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            // SIGTERM, as systemd stops a unit.
            await server.DisposeAsync();
        }

        Assert.Contains("STOPPING=1", await ReceiveAsync(socket, timeout.Token), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        File.Delete(_socketPath);
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket, CancellationToken cancellation)
    {
        var buffer = new byte[4096];
        var length = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
