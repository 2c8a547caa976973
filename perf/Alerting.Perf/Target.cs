using System.Diagnostics;
using Grpc.Net.Client;

namespace Alerting.Perf;

/// <summary>
/// The server a scenario measures: its own process in a temporary data folder (removed at the
/// end), or a running one named by <c>--target</c>.
/// </summary>
internal sealed class Target : IAsyncDisposable
{
    private readonly string? _dll;
    private readonly string? _dataDirectory;
    private ServerProcess? _process;

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

    /// <summary>
    /// Stops the server (gracefully, or SIGKILL when <paramref name="crash"/>) and starts it
    /// again on the same data folder; returns when it listens, with the time that took.
    /// </summary>
    public async Task<TimeSpan> RestartAsync(bool crash, CancellationToken cancellationToken)
    {
        var process = _process ?? throw new HarnessException("restarting needs a server the harness started (not --target)");
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
            if (_process is not null)
            {
                await _process.DisposeAsync().ConfigureAwait(false);
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
