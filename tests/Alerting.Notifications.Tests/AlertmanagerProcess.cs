using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Alerting.Notifications.Tests;

/// <summary>A real Alertmanager started for one test: temp config and storage, loopback only, clustering off.</summary>
internal sealed class AlertmanagerProcess : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus-alertmanager";

    /// <summary>Readiness polls after the "Listening on" log line; it is normally ready at the first.</summary>
    private const int MaxReadyPolls = 200;

    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly string _directory;

    private AlertmanagerProcess(Process process, string directory, Uri url)
    {
        _process = process;
        _directory = directory;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<AlertmanagerProcess> StartAsync(HttpClient http)
    {
        if (!File.Exists(Binary))
        {
            Assert.Fail($"{Binary} is not installed: run tests/Alerting.Notifications.Tests/install-alertmanager.sh (the Debian package prometheus-alertmanager)");
        }

        var directory = Directory.CreateTempSubdirectory("alerting-am-").FullName;
        var config = Path.Combine(directory, "alertmanager.yml");
        await File.WriteAllTextAsync(config, "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n");
        var port = FreePort();
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--config.file=" + config);
        start.ArgumentList.Add("--storage.path=" + Path.Combine(directory, "data"));
        start.ArgumentList.Add($"--web.listen-address=127.0.0.1:{port}");
        start.ArgumentList.Add("--cluster.listen-address=");
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            log.Enqueue(e.Data);
            if (e.Data.Contains("Listening on", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("alertmanager exited: " + string.Join('\n', log)));
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var instance = new AlertmanagerProcess(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await listening.Task.WaitAsync(StartLimit);
            await instance.WaitReadyAsync(http);
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WaitReadyAsync(HttpClient http)
    {
        for (var poll = 0; poll < MaxReadyPolls; poll++)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "-/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not accepting yet; the bounded loop decides when to give up.
            }

            await Task.Yield();
        }

        Assert.Fail($"alertmanager at {Url} was not ready after {MaxReadyPolls} polls");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
