using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Alerting.Server.Tests.Ingestion;

/// <summary>
/// A real Prometheus (Debian's package) for one test: temp config and TSDB folder, loopback only,
/// scraping <c>scrapeTarget</c> every second and remote-writing to <c>remoteWrite</c>.
/// </summary>
internal sealed class PrometheusProcess : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus";

    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _directory;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log;

    private PrometheusProcess(Process process, string directory, System.Collections.Concurrent.ConcurrentQueue<string> log)
    {
        _process = process;
        _directory = directory;
        _log = log;
    }

    /// <summary>What Prometheus printed, for a failing test's message.</summary>
    public string Log => string.Join('\n', _log);

    public static async Task<PrometheusProcess> StartAsync(Uri scrapeTarget, Uri remoteWrite, string? bearerKey = null)
    {
        ArgumentNullException.ThrowIfNull(scrapeTarget);
        ArgumentNullException.ThrowIfNull(remoteWrite);
        if (!File.Exists(Binary))
        {
            Assert.Fail($"{Binary} is not installed: run tests/Alerting.Notifications.Tests/install-alertmanager.sh (it installs Debian's prometheus too)");
        }

        var directory = Directory.CreateTempSubdirectory("alerting-prom-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        var authorization = bearerKey is null ? "" : $"    authorization:\n      credentials: {bearerKey}\n";
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: alerting
                metrics_path: {scrapeTarget.AbsolutePath}
                static_configs:
                  - targets: ['{scrapeTarget.Authority}']
            remote_write:
              - url: {remoteWrite}
                remote_timeout: 5s
            {authorization}    queue_config:
                  batch_send_deadline: 1s
                  min_backoff: 100ms
                  max_backoff: 1s

            """);
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--config.file=" + config);
        start.ArgumentList.Add("--storage.tsdb.path=" + Path.Combine(directory, "data"));
        start.ArgumentList.Add($"--web.listen-address=127.0.0.1:{FreePort()}");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            log.Enqueue(e.Data);
            if (e.Data.Contains("Server is ready to receive web requests", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("prometheus exited: " + string.Join('\n', log)));
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var instance = new PrometheusProcess(process, directory, log);
        try
        {
            await ready.Task.WaitAsync(StartLimit);
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

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
