using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Alerting.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Alerting.Perf;

/// <summary>
/// The server a scenario measures: its own process in a temporary data folder (removed at the
/// end), the primary of a three-node cluster it starts (<c>--cluster</c>: data members 1 and 2,
/// witness 3, each its own process), or a running one named by <c>--target</c>.
/// </summary>
internal sealed class Target : IAsyncDisposable
{
    private readonly string? _dll;
    private readonly string? _dataDirectory;
    private ServerProcess? _process;
    private readonly List<ServerProcess> _others = [];

    private Target(Uri grpc, Uri http, string? dll, string? dataDirectory, ServerProcess? process)
    {
        _dll = dll;
        _dataDirectory = dataDirectory;
        _process = process;
        Connect(grpc, http);
    }

    public GrpcChannel Channel { get; private set; } = null!;

    public MetricsClient Metrics { get; private set; } = null!;

    public Uri Grpc { get; private set; } = null!;

    public bool Owned => _process is not null;

    public int? ProcessId => _process?.ProcessId;

    public static async Task<Target> OpenAsync(RunOptions options, CancellationToken cancellationToken)
    {
        if (options.Target is { } target)
        {
            var http = options.TargetHttp ?? throw new HarnessException("--target needs --target-http (the server's HTTP address, for /metrics)");
            return new Target(target, http, null, null, null);
        }

        var dll = ServerProcess.ResolveDll(options.ServerDll);
        var data = Directory.CreateTempSubdirectory("alerting-perf-").FullName;
        if (options.Cluster)
        {
            return await OpenClusterAsync(dll, data, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var process = await ServerProcess.StartAsync(dll, data, cancellationToken).ConfigureAwait(false);
            return new Target(process.Grpc, process.Http, dll, data, process);
        }
        catch
        {
            Directory.Delete(data, recursive: true);
            throw;
        }
    }

    /// <summary>Members 1..3 of a replicated cluster in <paramref name="root"/>; the target is the elected primary.</summary>
    private static async Task<Target> OpenClusterAsync(string dll, string root, CancellationToken cancellationToken)
    {
        const int witness = 3;
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        var peers = string.Join(",", Enumerable.Range(1, 3).Select(i => $"{i}=http://127.0.0.1:{ports[i - 1]}"));
        var members = new ServerProcess?[3];
        try
        {
            await Task.WhenAll(Enumerable.Range(1, 3).Select(async id =>
            {
                members[id - 1] = await ServerProcess.StartAsync(dll, Path.Combine(root, "node-" + id.ToString(CultureInfo.InvariantCulture)),
                [
                    "--grpc-port", ports[id - 1].ToString(CultureInfo.InvariantCulture), "--http-port", "0",
                    "--node-id", id.ToString(CultureInfo.InvariantCulture), "--peers", peers,
                    "--witness", witness.ToString(CultureInfo.InvariantCulture), "--role", id == witness ? "witness" : "primary",
                ], cancellationToken).ConfigureAwait(false);
            })).ConfigureAwait(false);

            var primary = await WaitForPrimaryAsync(members.Take(2).Select(m => m!.Grpc).ToArray(), cancellationToken).ConfigureAwait(false);
            var target = new Target(members[primary]!.Grpc, members[primary]!.Http, dll, root, members[primary]);
            target._others.AddRange(members.Where((m, i) => i != primary).Select(m => m!));
            return target;
        }
        catch
        {
            foreach (var member in members)
            {
                if (member is not null)
                {
                    await member.DisposeAsync().ConfigureAwait(false);
                }
            }

            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>The position (0 or 1) of the data member that reports itself primary, once one does.</summary>
    private static async Task<int> WaitForPrimaryAsync(Uri[] dataMembers, CancellationToken cancellationToken)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(TimeSpan.FromSeconds(60));
        var channels = dataMembers.Select(a => GrpcChannel.ForAddress(a)).ToArray();
        try
        {
            while (true)
            {
                for (var i = 0; i < channels.Length; i++)
                {
                    try
                    {
                        var status = await new Cluster.ClusterClient(channels[i]).StatusAsync(new StatusRequest(), cancellationToken: patience.Token).ConfigureAwait(false);
                        if (status.Role == "primary")
                        {
                            return i;
                        }
                    }
                    catch (RpcException)
                    {
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), patience.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HarnessException("the cluster elected no primary within 60 s");
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    /// <summary>
    /// Stops the server (gracefully, or SIGKILL when <paramref name="crash"/>) and starts it
    /// again on the same data folder; returns when it listens, with the time that took.
    /// </summary>
    public async Task<TimeSpan> RestartAsync(bool crash, CancellationToken cancellationToken)
    {
        var process = _process ?? throw new HarnessException("restarting needs a server the harness started (not --target)");
        if (_others.Count > 0)
        {
            throw new HarnessException("restarting one server is not a scenario for --cluster (see the failover scenario)");
        }

        if (crash)
        {
            await process.KillAsync().ConfigureAwait(false);
        }
        else
        {
            await process.StopAsync().ConfigureAwait(false);
        }

        await process.DisposeAsync().ConfigureAwait(false);
        _process = null;
        Channel.Dispose();
        Metrics.Dispose();
        var started = Stopwatch.GetTimestamp();
        _process = await ServerProcess.StartAsync(_dll!, _dataDirectory!, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        Connect(_process.Grpc, _process.Http);
        return elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Metrics.Dispose();
        try
        {
            // Every process is stopped even when one fails to stop in time; the first failure is reported.
            HarnessException? failure = null;
            foreach (var process in _others.Prepend(_process))
            {
                try
                {
                    if (process is not null)
                    {
                        await process.DisposeAsync().ConfigureAwait(false);
                    }
                }
                catch (HarnessException e)
                {
                    failure ??= e;
                }
            }

            if (failure is not null)
            {
                throw failure;
            }
        }
        finally
        {
            if (_dataDirectory is not null && Directory.Exists(_dataDirectory))
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
        }
    }

    private void Connect(Uri grpc, Uri http)
    {
        Grpc = grpc;
        Channel = GrpcChannel.ForAddress(grpc, new GrpcChannelOptions
        {
            MaxSendMessageSize = 16 * 1024 * 1024,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        Metrics = new MetricsClient(http);
    }
}
