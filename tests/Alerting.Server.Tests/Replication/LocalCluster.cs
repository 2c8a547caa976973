using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Alerting.Protocol.V1;
using Alerting.Server.Tests.Faults;
using Grpc.Core;
using Grpc.Net.Client;

namespace Alerting.Server.Tests.Replication;

/// <summary>
/// Three real server processes on loopback: data members 1 and 2, witness 3. Each member's gRPC
/// port is fixed up front (the others dial it); waits poll <c>Cluster.Status</c> with a deadline.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    public const int WitnessId = 3;

    /// <summary>Longest wait for an election, a catch-up or a restart.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Pause between two polls of the API while waiting for a condition.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private readonly string _root;
    private readonly int[] _grpcPorts;
    private readonly ServerProcess?[] _processes = new ServerProcess?[3];
    private readonly GrpcChannel[] _channels;
    private readonly string[] _extraArguments;

    private LocalCluster(string root, int[] grpcPorts, string[] extraArguments)
    {
        _root = root;
        _grpcPorts = grpcPorts;
        _extraArguments = extraArguments;
        _channels = grpcPorts.Select(p => GrpcChannel.ForAddress($"http://127.0.0.1:{p}")).ToArray();
    }

    /// <param name="extraArguments">Passed to both data members (not the witness), e.g. notification endpoints.</param>
    public static async Task<LocalCluster> StartAsync(params string[] extraArguments)
    {
        var root = Path.Combine(Path.GetTempPath(), "alerting-cluster-" + Guid.NewGuid().ToString("N"));
        var cluster = new LocalCluster(root, FreePorts(3), extraArguments);
        try
        {
            await Task.WhenAll(Enumerable.Range(1, 3).Select(cluster.StartNodeAsync));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public string DataDirectory(int id) => Path.Combine(_root, "node-" + id.ToString(CultureInfo.InvariantCulture));

    public Protocol.V1.Ingest.IngestClient Ingest(int id) => new(_channels[id - 1]);

    public Protocol.V1.Monitors.MonitorsClient Monitors(int id) => new(_channels[id - 1]);

    public Protocol.V1.Alerts.AlertsClient Alerts(int id) => new(_channels[id - 1]);

    public Protocol.V1.Cluster.ClusterClient Cluster(int id) => new(_channels[id - 1]);

    public Protocol.V1.Notifications.NotificationsClient Notifications(int id) => new(_channels[id - 1]);

    public Protocol.V1.Admin.AdminClient Admin(int id) => new(_channels[id - 1]);

    public ServerProcess Process(int id) => _processes[id - 1] ?? throw new InvalidOperationException($"node {id} is not running");

    public async Task StartNodeAsync(int id)
    {
        var peers = string.Join(",", Enumerable.Range(1, 3).Select(i => $"{i}=http://127.0.0.1:{_grpcPorts[i - 1]}"));
        _processes[id - 1] = await ServerProcess.StartAsync(DataDirectory(id),
        [
            "--grpc-port", _grpcPorts[id - 1].ToString(CultureInfo.InvariantCulture),
            "--http-port", "0",
            "--node-id", id.ToString(CultureInfo.InvariantCulture),
            "--peers", peers,
            "--witness", WitnessId.ToString(CultureInfo.InvariantCulture),
            "--role", id == WitnessId ? "witness" : "primary",
            .. (id == WitnessId ? Array.Empty<string>() : _extraArguments),
        ]);
    }

    /// <summary>SIGCONT to node <paramref name="id"/> if it runs (a test that paused it cleans up).</summary>
    public void TryContinue(int id) => _processes[id - 1]?.Continue();

    /// <summary>kill -9 of node <paramref name="id"/>.</summary>
    public async Task KillAsync(int id)
    {
        var process = Process(id);
        await process.KillAsync();
        await process.DisposeAsync();
        _processes[id - 1] = null;
    }

    /// <summary>Node <paramref name="id"/>'s status, or null when it does not answer.</summary>
    public async Task<StatusResponse?> TryStatusAsync(int id, CancellationToken cancellation)
    {
        if (_processes[id - 1] is null)
        {
            return null;
        }

        try
        {
            using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            call.CancelAfter(TimeSpan.FromSeconds(2));
            return await Cluster(id).StatusAsync(new StatusRequest(), cancellationToken: call.Token);
        }
        catch (RpcException)
        {
            return null;
        }
    }

    /// <summary>Polls until a data member reports itself primary (other than <paramref name="not"/>); returns its id.</summary>
    public async Task<int> WaitForPrimaryAsync(CancellationToken cancellation, int not = 0)
    {
        while (true)
        {
            foreach (var id in new[] { 1, 2 })
            {
                if (id != not && await TryStatusAsync(id, cancellation) is { Role: "primary" })
                {
                    return id;
                }
            }

            await Task.Delay(PollInterval, cancellation);
        }
    }

    /// <summary>
    /// Polls until data node <paramref name="id"/> follows or leads a known primary and has applied at
    /// least <paramref name="index"/>. Under load a check-quorum step-down can move the lead to a node
    /// that has just caught up, so the role is not pinned.
    /// </summary>
    public async Task<StatusResponse> WaitForCaughtUpAsync(int id, ulong index, CancellationToken cancellation)
    {
        while (true)
        {
            if (await TryStatusAsync(id, cancellation) is { } status && status.Role is "standby" or "primary" && status.PrimaryId.Length > 0 && status.AppliedIndex >= index)
            {
                return status;
            }

            await Task.Delay(PollInterval, cancellation);
        }
    }

    /// <summary>Polls the given node until <paramref name="ready"/> holds for its answer.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> ready, CancellationToken cancellation)
    {
        while (true)
        {
            var value = await read();
            if (ready(value))
            {
                return value;
            }

            await Task.Delay(PollInterval, cancellation);
        }
    }

    public string Describe() =>
        string.Join(Environment.NewLine, Enumerable.Range(1, 3).Select(i => $"--- node {i} ---{Environment.NewLine}{_processes[i - 1]?.RecentOutput ?? "(not running)"}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        foreach (var l in listeners)
        {
            l.Start();
        }

        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners)
        {
            l.Stop();
        }

        return ports;
    }
}
