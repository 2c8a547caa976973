using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Alerting.Perf;

/// <summary>
/// A server started as its own process (<c>dotnet Alerting.Server.dll</c>) on loopback with
/// ports the OS picks, in a data folder the harness owns. The addresses are read from the lines
/// the server prints once it listens (it listens only after its first clock tick).
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private const string GrpcLine = "alerting: gRPC (HTTP/2, plain text) on ";
    // The endpoints listed between the two change with the server ("/livez, /readyz and /metrics").
    private const string HttpLine = "alerting: JSON API";
    private const string HttpAddressAfter = " on ";
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _grpc = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Uri> _http = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _errors = new();

    private ServerProcess(Process process) => _process = process;

    public Uri Grpc => _grpc.Task.Result;

    public Uri Http => _http.Task.Result;

    public int ProcessId => _process.Id;

    /// <summary>The server built beside the harness, or the one named by <c>--server-dll</c>.</summary>
    public static string ResolveDll(string? explicitPath)
    {
        var path = explicitPath ?? typeof(ServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Alerting.ServerDll")?.Value;
        if (path is null || !File.Exists(path))
        {
            throw new HarnessException($"server not found at \"{path}\": build engine/Alerting.Server (the harness's build does) or pass --server-dll");
        }

        return path;
    }

    /// <summary>Starts the server and returns once it prints both addresses (it is then serving).</summary>
    public static Task<ServerProcess> StartAsync(string dll, string dataDirectory, CancellationToken cancellationToken) =>
        StartAsync(dll, dataDirectory, ["--grpc-port", "0", "--http-port", "0", "--node-id", "perf-1"], cancellationToken);

    /// <summary>Same, with these flags after the data folder and bind address (ports, node id, cluster membership).</summary>
    public static async Task<ServerProcess> StartAsync(string dll, string dataDirectory, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--data-dir", dataDirectory, "--bind", "127.0.0.1" }.Concat(arguments))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new HarnessException("could not start dotnet");
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                server._errors.Enqueue(e.Data);
                while (server._errors.Count > 20 && server._errors.TryDequeue(out string? _))
                {
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var ready = Task.WhenAll(server._grpc.Task, server._http.Task);
        var exited = process.WaitForExitAsync(timeout.Token);
        var first = await Task.WhenAny(ready, exited).ConfigureAwait(false);
        if (first != ready)
        {
            var why = process.HasExited
                ? $"the server exited with code {process.ExitCode}: {string.Join(" | ", server._errors)}"
                : $"the server did not listen within {StartTimeout.TotalSeconds} s";
            await server.KillAsync().ConfigureAwait(false);
            throw new HarnessException(why);
        }

        return server;
    }

    /// <summary>SIGTERM: the server stops the API, drains, commits and writes a snapshot.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync().ConfigureAwait(false);
            throw new HarnessException($"the server did not stop within {StopTimeout.TotalSeconds} s of SIGTERM (killed)");
        }
    }

    /// <summary>SIGKILL, as a crash.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.StartsWith(GrpcLine, StringComparison.Ordinal))
        {
            _grpc.TrySetResult(new Uri(line[GrpcLine.Length..].Trim()));
        }
        else if (line.StartsWith(HttpLine, StringComparison.Ordinal) && line.LastIndexOf(HttpAddressAfter, StringComparison.Ordinal) is var at and > 0)
        {
            _http.TrySetResult(new Uri(line[(at + HttpAddressAfter.Length)..].Trim()));
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>A harness-side failure (no server, bad options): exit code 2, no figures.</summary>
internal sealed class HarnessException(string message) : Exception(message);
