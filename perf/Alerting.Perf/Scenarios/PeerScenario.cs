using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Alerting.Protocol.V1;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// P1: the same N single-series alerting rules on Debian's <c>prometheus</c> (rules
/// <c>avg_over_time(perf_peer{host="hK"}[5m]) > 90</c> in groups of 1 000, over data it scrapes
/// from the harness every interval) and on this engine (N monitors
/// <c>avg(last_5m):avg:perf.peer{host:hK} > 90</c>, fed the same series every interval), one after
/// the other; evaluations per second and CPU seconds per evaluation of each, from their own
/// metrics. Each side is measured after one full round of evaluations and
/// <see cref="RunOptions.Warmup"/> more seconds, over a window of at least one interval
/// (Prometheus evaluates a group of 1 000 rules at once, so a shorter window would count
/// whole groups or none). Skips with a printed reason when <c>prometheus</c> is not installed.
/// </summary>
internal static class PeerScenario
{
    public const int RulesPerGroup = 1_000;

    public static async Task<ScenarioResult> RunAsync(RunOptions options, Output output, CancellationToken cancellationToken)
    {
        var n = options.Count;
        var result = new ScenarioResult
        {
            Scenario = "peer",
            Parameters = new()
            {
                ["peer"] = "prometheus",
                ["count"] = n.ToString(CultureInfo.InvariantCulture),
                ["interval_s"] = options.IntervalSeconds.ToString(CultureInfo.InvariantCulture),
                ["seconds"] = options.Seconds.ToString(CultureInfo.InvariantCulture),
            },
        };
        var binary = FindOnPath(options.PrometheusBinary);
        if (binary is null)
        {
            var reason = $"skipped: \"{options.PrometheusBinary}\" is not installed (on Debian: apt-get install prometheus)";
            output.Line("peer: " + reason);
            result.Notes.Add(reason);
            return result;
        }

        var (promEvals, promCpu, promMissed, promSeconds) = await output.WithProgressAsync($"peer: prometheus, {n} rules every {options.IntervalSeconds} s for {options.Seconds} s",
            progress => RunPrometheusAsync(binary, options, progress, cancellationToken)).ConfigureAwait(false);
        var (ourEvals, ourCpu, ourSeconds) = await RunEngineAsync(options, output, result, cancellationToken).ConfigureAwait(false);

        result.Add("P1.prometheus.evals_per_s", "prometheus rule evaluations per second", promEvals / promSeconds, "evals/s");
        result.Add("P1.prometheus.cpu_per_eval", "prometheus CPU per evaluation", promCpu / Math.Max(1, promEvals) * 1e6, "µs");
        result.Add("P1.prometheus.missed", "prometheus missed group iterations", promMissed, "");
        result.Add("P1.engine.evals_per_s", "engine scheduled evaluations per second", ourEvals / ourSeconds, "evals/s");
        result.Add("P1.engine.cpu_per_eval", "engine CPU per evaluation (ingest included)", ourCpu / Math.Max(1, ourEvals) * 1e6, "µs");
        var ratio = promCpu > 0 && ourCpu > 0 && promEvals > 0 ? (ourEvals / ourCpu) / (promEvals / promCpu) : 0;
        result.Add("P1.ratio", "engine ÷ prometheus evaluations per CPU-second", ratio, "×", "≥ 100×", ratio >= 100);
        if (promCpu <= 0 || ourCpu <= 0)
        {
            result.Notes.Add("a side's CPU counter did not move over the window (it counts in steps of 10 ms): the ratio is 0, not measured; use more rules or a longer --seconds");
        }

        result.Check("both sides evaluated", promEvals > 0 && ourEvals > 0, $"prometheus {promEvals}, engine {ourEvals}");
        result.Notes.Add("CPU is each process's own counter (prometheus: process_cpu_seconds_total; engine: dotnet_process_cpu_time_seconds_total) over the same window length; both include taking in the data (scrapes, writes)");
        return result;
    }

    private static async Task<(double Evals, double Cpu, double Missed, double Seconds)> RunPrometheusAsync(string binary, RunOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        var n = options.Count;
        var folder = Directory.CreateTempSubdirectory("alerting-perf-prometheus-").FullName;
        using var listener = new HttpListener();
        var exporterPort = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{exporterPort}/");
        listener.Start();
        var body = Encoding.UTF8.GetBytes(Exposition(n));
        using var serving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var exporter = Task.Run(async () =>
        {
            while (!serving.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync().WaitAsync(serving.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                context.Response.ContentType = "text/plain; version=0.0.4";
                await context.Response.OutputStream.WriteAsync(body, serving.Token);
                context.Response.Close();
            }
        }, CancellationToken.None);

        var webPort = FreePort();
        var interval = options.IntervalSeconds.ToString(CultureInfo.InvariantCulture) + "s";
        await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), $"""
            global:
              scrape_interval: {interval}
              evaluation_interval: {interval}
            rule_files: [rules.yml]
            scrape_configs:
              - job_name: perf
                static_configs:
                  - targets: ["127.0.0.1:{exporterPort}"]
            """, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "rules.yml"), Rules(n), cancellationToken).ConfigureAwait(false);
        var info = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var arg in new[] { "--config.file=prometheus.yml", "--storage.tsdb.path=data", $"--web.listen-address=127.0.0.1:{webPort}", "--log.level=warn" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new HarnessException("could not start prometheus");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}"), Timeout = TimeSpan.FromSeconds(30) };
            async Task<Dictionary<string, double>> Scrape() => MetricsClient.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken));

            // Ready, and one full round of evaluations done, before the window opens.
            var deadline = DateTime.UtcNow.AddSeconds(120);
            Dictionary<string, double> start;
            while (true)
            {
                if (process.HasExited)
                {
                    throw new HarnessException($"prometheus exited with code {process.ExitCode}");
                }

                try
                {
                    start = await Scrape().ConfigureAwait(false);
                    if (start.GetValueOrDefault("prometheus_rule_evaluations_total") >= n)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new HarnessException("prometheus did not evaluate its rules within 120 s");
                }

                progress("waiting for prometheus's first evaluations");
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }

            progress("warm-up");
            await Task.Delay(TimeSpan.FromSeconds(options.Warmup), cancellationToken).ConfigureAwait(false);
            start = await Scrape().ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            await Window(options, progress, cancellationToken).ConfigureAwait(false);
            var end = await Scrape().ConfigureAwait(false);
            double Delta(string name) => end.GetValueOrDefault(name) - start.GetValueOrDefault(name);
            return (Delta("prometheus_rule_evaluations_total"), Delta("process_cpu_seconds_total"),
                Delta("prometheus_rule_group_iterations_missed_total"), Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await serving.CancelAsync().ConfigureAwait(false);
            listener.Stop();
            await exporter.ConfigureAwait(false);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(double Evals, double Cpu, double Seconds)> RunEngineAsync(RunOptions options, Output output, ScenarioResult result, CancellationToken cancellationToken)
    {
        var n = options.Count;
        var engineOptions = options with { Metrics = MetricMode.Shared };
        await using var target = await Target.OpenAsync(engineOptions, cancellationToken).ConfigureAwait(false);
        await output.WithProgressAsync($"peer: engine, {n} monitors every {options.IntervalSeconds} s", progress =>
            Workload.CreateMonitorsAsync(target, engineOptions, n, k => Workload.HostMonitor(engineOptions.NameOf($"perf-peer-{k}"), engineOptions.MetricOf("perf.peer", k), k, options.IntervalSeconds), progress, cancellationToken)).ConfigureAwait(false);
        var ingest = new Ingest.IngestClient(target.Channel);
        using var feeding = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long accepted = 0, sent = 0;

        // The same data as the scrape: one point per series every interval.
        var feeder = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.IntervalSeconds));
            do
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                for (var from = 0; from < n; from += options.Batch)
                {
                    var request = new WriteRequest();
                    for (var k = from; k < Math.Min(n, from + options.Batch); k++)
                    {
                        request.Points.Add(new Point { Metric = engineOptions.MetricOf("perf.peer", k), Tags = { RunOptions.HostTag(k) }, UnixMs = now, Value = k % 100 });
                    }

                    var ack = await ingest.WriteBatchAsync(request, options.Headers(), cancellationToken: feeding.Token);
                    sent += request.Points.Count;
                    accepted += ack.Accepted;
                }
            }
            while (await timer.WaitForNextTickAsync(feeding.Token));
        }, CancellationToken.None);

        try
        {
            // As for prometheus: one full round of evaluations, then the warm-up, then the window.
            await output.WithProgressAsync("peer: engine, waiting for its first round of evaluations", async _ =>
            {
                var (_, held) = await target.Metrics.WaitForAsync(s => s.Long(MetricsClient.Scheduled) >= n, TimeSpan.FromSeconds(options.IntervalSeconds + 120), cancellationToken).ConfigureAwait(false);
                if (!held)
                {
                    throw new HarnessException($"the engine did not run {n} scheduled evaluations within {options.IntervalSeconds + 120} s");
                }

                await Task.Delay(TimeSpan.FromSeconds(options.Warmup), cancellationToken).ConfigureAwait(false);
                return 0;
            }).ConfigureAwait(false);
            var start = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            await output.WithProgressAsync($"peer: engine, {options.Seconds} s", progress => Window(options, progress, cancellationToken)).ConfigureAwait(false);
            var end = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return (end[MetricsClient.Scheduled] - start[MetricsClient.Scheduled], end[MetricsClient.CpuSeconds] - start[MetricsClient.CpuSeconds], seconds);
        }
        finally
        {
            await feeding.CancelAsync().ConfigureAwait(false);
            try
            {
                await feeder.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled })
            {
                // Stopped at the end of the window.
            }

            result.Check("engine accepted every fed point", accepted == sent, $"{accepted} of {sent}");
        }
    }

    private static async Task<int> Window(RunOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var window = Math.Max(options.Seconds, options.IntervalSeconds);
        while (Stopwatch.GetElapsedTime(started).TotalSeconds < window && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            progress(string.Create(CultureInfo.InvariantCulture, $"{Stopwatch.GetElapsedTime(started).TotalSeconds:F0}/{window:F0} s"));
        }

        return 0;
    }

    internal static string Exposition(int n)
    {
        var text = new StringBuilder("# TYPE perf_peer gauge\n");
        for (var k = 0; k < n; k++)
        {
            text.Append(CultureInfo.InvariantCulture, $"perf_peer{{host=\"h{k}\"}} {k % 100}\n");
        }

        return text.ToString();
    }

    internal static string Rules(int n)
    {
        var text = new StringBuilder("groups:\n");
        for (var k = 0; k < n; k++)
        {
            if (k % RulesPerGroup == 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"  - name: g{k / RulesPerGroup}\n    rules:\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"      - alert: a{k}\n        expr: avg_over_time(perf_peer{{host=\"h{k}\"}}[5m]) > 90\n");
        }

        return text.ToString();
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        return port;
    }

    private static string? FindOnPath(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(name) ? name : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }
}
