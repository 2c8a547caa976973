using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Alerting.Server.Tests.Faults;

/// <summary>
/// The real server as a child process (the <c>Alerting.Server.dll</c> built beside the tests),
/// on ephemeral loopback ports. Ready once it prints its HTTP address; disposed with SIGTERM
/// (drain and commit, as an operator stops it), killed if it does not exit in time.
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private const string HttpLine = "alerting: JSON API, ";
    private const string HttpAddressMarker = " (HTTP/1.1) on ";
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private const int SigStop = 19;
    private const int SigCont = 18;
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _http = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private ServerProcess(Process process) => _process = process;

    public Uri Http => _http.Task.Result;

    public bool HasExited => _process.HasExited;

    public static Task<ServerProcess> StartAsync(string dataDirectory) => StartAsync(dataDirectory, ["--grpc-port", "0", "--http-port", "0"]);

    /// <summary>Starts the server on <paramref name="dataDirectory"/> with these further flags (ports, cluster membership).</summary>
    /// <param name="environment">Variables set for the child on top of this process's.</param>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Alerting.Server.dll"), "--data-dir", dataDirectory }.Concat(arguments))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the server");
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(StartPatience);
        var first = await Task.WhenAny(server._http.Task, process.WaitForExitAsync(timeout.Token));
        if (first != server._http.Task)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"the server did not start: {string.Join(" | ", server._output)}");
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
            using var timeout = new CancellationTokenSource(StopPatience);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
    }

    /// <summary>The last lines the server printed (for failure messages).</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    /// <summary>kill -9: the process dies at once, with whatever its journal had not made durable.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigKill);
        }

        await _process.WaitForExitAsync(CancellationToken.None);
    }

    /// <summary>SIGSTOP: the process is frozen (a long GC pause, a stalled VM) until <see cref="Continue"/>.</summary>
    public void Pause()
    {
        _ = Kill(_process.Id, SigStop);
        WaitUntilStopped(_process.Id);
    }

    /// <summary>
    /// kill(2) returns before the target stops: a thread running on another core may go on for a
    /// moment. Waits until the kernel reports every thread of the process stopped (state T in
    /// /proc), so nothing the test sends afterwards is handled before the pause.
    /// </summary>
    private static void WaitUntilStopped(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var spin = default(SpinWait);
        while (!AllThreadsStopped(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"process {pid} did not stop within 30 s of SIGSTOP");
            }

            spin.SpinOnce();
        }
    }

    private static bool AllThreadsStopped(int pid)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var state = stat[(stat.LastIndexOf(')') + 2)..].TrimStart()[0];
                if (state is not ('T' or 't' or 'Z' or 'X'))
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A thread that exited meanwhile: look again.
            return false;
        }
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Continue() => _ = Kill(_process.Id, SigCont);

    /// <summary>The dotnet host that runs these tests (so a child server uses the same runtime).</summary>
    internal static string DotnetHost()
    {
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
        {
            return fromCli;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 40 && _output.TryDequeue(out _))
        {
        }

        if (line.StartsWith(HttpLine, StringComparison.Ordinal) && line.IndexOf(HttpAddressMarker, StringComparison.Ordinal) is var at and >= 0)
        {
            _http.TrySetResult(new Uri(line[(at + HttpAddressMarker.Length)..].Trim()));
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
