using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Alerting.Cli.Arguments;
using Alerting.Client;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl cluster up --dir DIR</c>: a three-node cluster on loopback for trying replication
/// out (docs/replication.md): data members 1 and 2 (either may lead) and witness 3, each a
/// separate server process with its data in <c>DIR/node-N</c> and its output in
/// <c>DIR/node-N.log</c>. It waits until a primary is elected, prints each node's pid and
/// addresses and the alertctl lines to use, then stays in the foreground: a node that exits (for
/// example killed on purpose to watch a failover) is reported and the others keep running;
/// Ctrl-C (SIGINT or SIGTERM) stops the nodes still running with SIGTERM and waits for them.
/// Running it again on the same DIR restarts the same cluster with its data.
/// </summary>
internal static partial class ClusterUpCommand
{
    public const string ServerBinVariable = "ALERTING_SERVER_BIN";
    public const int DefaultBasePort = 7710;
    public const int Members = 3;
    public const int WitnessId = 3;

    /// <summary>Longest wait for the three nodes to answer and elect a primary.</summary>
    public static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(90);

    /// <summary>Longest wait for a node to stop after SIGTERM before it is killed.</summary>
    public static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(30);

    private const int SigTerm = 15;

    public static async Task<int> RunAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        string dir = Path.GetFullPath(command.Required("dir"));
        int basePort = DefaultBasePort;
        if (command.Value("base-port") is { } portText
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out basePort) || (basePort != 0 && (basePort < 1024 || basePort > 65_535 - 20))))
        {
            throw new UsageException($"--base-port must be 0 (free ports) or a port from 1024 to {65_535 - 20}, got '{portText}'");
        }

        (string host, string[] hostArguments) = ServerCommand(command.Value("server-bin") ?? Environment.GetEnvironmentVariable(ServerBinVariable));
        (int[] grpcPorts, int[] httpPorts) = basePort == 0 ? FreePorts() : Ports(basePort);
        string[] grpc = grpcPorts.Select(p => $"http://127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}").ToArray();
        string peers = string.Join(",", Enumerable.Range(1, Members).Select(id => $"{id.ToString(CultureInfo.InvariantCulture)}={grpc[id - 1]}"));
        Directory.CreateDirectory(dir);

        // Ctrl-C and SIGTERM both stop the cluster (Program.cs maps Ctrl-C onto the token; SIGTERM is added here).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });

        var nodes = new List<Node>();
        try
        {
            for (int id = 1; id <= Members; id++)
            {
                string[] arguments =
                [
                    .. hostArguments,
                    "--data-dir", Path.Combine(dir, NodeName(id)),
                    "--grpc-port", grpcPorts[id - 1].ToString(CultureInfo.InvariantCulture),
                    "--http-port", httpPorts[id - 1].ToString(CultureInfo.InvariantCulture),
                    "--node-id", id.ToString(CultureInfo.InvariantCulture),
                    "--peers", peers,
                    "--witness", WitnessId.ToString(CultureInfo.InvariantCulture),
                    "--role", id == WitnessId ? "witness" : "primary",
                ];
                nodes.Add(Node.Start(id, host, arguments, Path.Combine(dir, NodeName(id) + ".log")));
            }

            int primary = await WaitForPrimaryAsync(nodes, grpc, stop.Token);
            if (primary == 0)
            {
                return await FailStartAsync(nodes, context, stop.IsCancellationRequested ? "stopped before a primary was elected" : $"no primary within {StartPatience.TotalSeconds:F0} s");
            }

            if (nodes.FirstOrDefault(n => n.Process.HasExited) is { } dead)
            {
                return await FailStartAsync(nodes, context, $"node {dead.Id} exited during start-up (code {dead.Process.ExitCode})");
            }

            var output = context.Output;
            await output.WriteLineAsync($"three-node cluster in {dir} (each node's output in node-N.log there)");
            foreach (Node node in nodes)
            {
                string kind = node.Id == WitnessId ? "witness" : "data   ";
                await output.WriteLineAsync(
                    $"node {node.Id.ToString(CultureInfo.InvariantCulture)}  {kind}  pid {node.Process.Id.ToString(CultureInfo.InvariantCulture)}  gRPC {grpc[node.Id - 1]}  HTTP http://127.0.0.1:{httpPorts[node.Id - 1].ToString(CultureInfo.InvariantCulture)}  data {Path.Combine(dir, NodeName(node.Id))}");
            }

            string dataNodes = string.Join(",", grpc.Where((_, i) => i + 1 != WitnessId));
            await output.WriteLineAsync($"primary: node {primary.ToString(CultureInfo.InvariantCulture)}");
            await output.WriteLineAsync($"use:     alertctl --server {grpc[primary - 1]} ...   (writes: alertctl write --nodes {dataNodes} follows the primary across failovers)");
            await output.WriteLineAsync($"status:  alertctl cluster status --nodes {string.Join(",", grpc)}");
            await output.WriteLineAsync("Ctrl-C stops all three.");
            await output.FlushAsync(stop.Token);

            // Foreground: report nodes that exit until stopped.
            var running = nodes.ToDictionary(n => n.Process.WaitForExitAsync(CancellationToken.None), n => n);
            var stopped = Task.Delay(Timeout.Infinite, stop.Token);
            while (running.Count > 0)
            {
                Task done = await Task.WhenAny(running.Keys.Append(stopped));
                if (done == stopped)
                {
                    break;
                }

                Node node = running[done];
                running.Remove(done);
                await output.WriteLineAsync($"node {node.Id.ToString(CultureInfo.InvariantCulture)} (pid {node.Process.Id.ToString(CultureInfo.InvariantCulture)}) exited with code {node.Process.ExitCode.ToString(CultureInfo.InvariantCulture)}; the others keep running (see {node.LogPath})");
                await output.FlushAsync(CancellationToken.None);
            }

            await output.WriteLineAsync("stopping the cluster");
            await output.FlushAsync(CancellationToken.None);
            return ExitCodes.Ok;
        }
        finally
        {
            await StopAllAsync(nodes);
            foreach (Node node in nodes)
            {
                node.Dispose();
            }
        }
    }

    private static string NodeName(int id) => "node-" + id.ToString(CultureInfo.InvariantCulture);

    private static async Task<int> FailStartAsync(List<Node> nodes, CliContext context, string why)
    {
        await context.Error.WriteLineAsync($"error: the cluster did not start: {why}");
        foreach (Node node in nodes)
        {
            await context.Error.WriteLineAsync($"node {node.Id.ToString(CultureInfo.InvariantCulture)} (last lines of {node.LogPath}):");
            foreach (string line in node.RecentLines())
            {
                await context.Error.WriteLineAsync("  " + line);
            }
        }

        return ExitCodes.ServerError;
    }

    /// <summary>Polls every node's status until all answer and a data member leads; 0 if a node exited, the wait was stopped or ran out.</summary>
    private static async Task<int> WaitForPrimaryAsync(List<Node> nodes, string[] grpc, CancellationToken stop)
    {
        Uri[] addresses = grpc.Select(a => new Uri(a)).ToArray();
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(stop);
        patience.CancelAfter(StartPatience);
        try
        {
            while (!nodes.Any(n => n.Process.HasExited))
            {
                IReadOnlyList<NodeStatus> statuses = await ClusterStatus.ReadAsync(addresses, apiKey: null, TimeSpan.FromSeconds(2), patience.Token);
                if (statuses.All(s => s.Status is not null) && statuses.FirstOrDefault(s => s.Status!.Role == "primary") is { } primary)
                {
                    return int.Parse(primary.Status!.NodeId, NumberStyles.None, CultureInfo.InvariantCulture);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), patience.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }

    /// <summary>SIGTERM to every node still running (each drains and writes its state), then waits; one that does not stop in time is killed.</summary>
    private static async Task StopAllAsync(List<Node> nodes)
    {
        foreach (Node node in nodes.Where(n => !n.Process.HasExited))
        {
            if (OperatingSystem.IsWindows())
            {
                node.Process.Kill();
            }
            else
            {
                _ = Kill(node.Process.Id, SigTerm);
            }
        }

        foreach (Node node in nodes)
        {
            using var patience = new CancellationTokenSource(StopPatience);
            try
            {
                await node.Process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                node.Process.Kill(entireProcessTree: true);
                await node.Process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// How to start the server: <c>--server-bin</c> or <c>ALERTING_SERVER_BIN</c> (an executable, or
    /// <c>Alerting.Server.dll</c> run with this dotnet host); else <c>Alerting.Server.dll</c> beside
    /// alertctl; else, in a source checkout, the server built with the same configuration.
    /// </summary>
    private static (string Host, string[] Arguments) ServerCommand(string? given)
    {
        string? path = given;
        if (path is not null)
        {
            path = Path.GetFullPath(path);
            if (!File.Exists(path))
            {
                throw new UsageException($"--server-bin: no file {path}");
            }
        }
        else
        {
            path = FindServer() ?? throw new UsageException($"cannot find Alerting.Server.dll beside alertctl or in a build of this checkout; build it (dotnet build engine/Alerting.Server) or name it with --server-bin or {ServerBinVariable}");
        }

        return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? (DotnetHost(), [path]) : (path, []);
    }

    private static string? FindServer()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string beside = Path.Combine(here.FullName, "Alerting.Server.dll");
        if (File.Exists(beside))
        {
            return beside;
        }

        // A build in a checkout: tools/Alerting.Cli/bin/<configuration>/<framework>/ → engine/Alerting.Server/bin/<configuration>/<framework>/.
        string framework = here.Name;
        string? configuration = here.Parent?.Name;
        for (DirectoryInfo? dir = here; dir is not null && configuration is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "engine", "Alerting.Server", "bin", configuration, framework, "Alerting.Server.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string DotnetHost()
    {
        string? fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
        {
            return fromCli;
        }

        string? current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private static (int[] Grpc, int[] Http) Ports(int basePort) =>
        (Enumerable.Range(0, Members).Select(i => basePort + i).ToArray(), Enumerable.Range(0, Members).Select(i => basePort + 10 + i).ToArray());

    /// <summary>Six ports the system hands out free on loopback (held together so none repeats).</summary>
    private static (int[] Grpc, int[] Http) FreePorts()
    {
        var listeners = Enumerable.Range(0, Members * 2).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            int[] ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            return (ports[..Members], ports[Members..]);
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>One server process, its output appended to its log file.</summary>
    private sealed class Node : IDisposable
    {
        private readonly StreamWriter _log;
        private readonly Queue<string> _recent = new();

        private Node(int id, Process process, StreamWriter log, string logPath)
        {
            Id = id;
            Process = process;
            _log = log;
            LogPath = logPath;
        }

        public int Id { get; }

        public Process Process { get; }

        public string LogPath { get; }

        public static Node Start(int id, string host, string[] arguments, string logPath)
        {
            var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
            Process process;
            try
            {
                process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {host}");
            }
            catch
            {
                log.Dispose();
                throw;
            }

            var node = new Node(id, process, log, logPath);
            process.OutputDataReceived += (_, e) => node.OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => node.OnLine(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return node;
        }

        public string[] RecentLines()
        {
            lock (_recent)
            {
                return _recent.ToArray();
            }
        }

        public void Dispose()
        {
            Process.Dispose();
            lock (_recent)
            {
                _log.Dispose();
            }
        }

        private void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_recent)
            {
                _recent.Enqueue(line);
                if (_recent.Count > 20)
                {
                    _recent.Dequeue();
                }

                try
                {
                    _log.WriteLine(line);
                }
                catch (ObjectDisposedException)
                {
                    // The node's output after alertctl stopped following it.
                }
            }
        }
    }
}
