using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Alerting.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// M4: three server processes on loopback (data 1, data 2, witness 3). A client keeps writing
/// one point per request (each to a new host) to whichever node is primary, following refusals.
/// Each trial kills the primary with SIGKILL and measures the time to the first write
/// acknowledged by the new primary; the killed node is then restarted and must rejoin as standby
/// before the next trial. At the end every acknowledged point must be in the new primary's state
/// (one monitor group per host).
/// </summary>
internal static class FailoverScenario
{
    private const int WitnessId = 3;

    /// <summary>Pause between two writes: a steady, light load (the figure is the failover, not throughput).</summary>
    private static readonly TimeSpan WritePause = TimeSpan.FromMilliseconds(2);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private static readonly TimeSpan TrialPatience = TimeSpan.FromSeconds(60);

    public static async Task<ScenarioResult> RunAsync(RunOptions options, Output output, CancellationToken cancellationToken)
    {
        if (!options.OwnsServer)
        {
            throw new HarnessException("failover kills and restarts servers, so it needs a cluster it starts itself (drop --target)");
        }

        var result = new ScenarioResult
        {
            Scenario = "failover",
            Parameters = new() { ["trials"] = options.Trials.ToString(CultureInfo.InvariantCulture), ["nodes"] = "data 1, data 2, witness 3", ["stop"] = "SIGKILL", ["notify"] = options.Notify ? "webhook" : "off" },
        };
        using var receiver = options.Notify ? WebhookReceiver.Start() : null;
        string[] extra = receiver is null ? [] :
        [
            "--Notifications:Endpoints:0:Name", "hook", "--Notifications:Endpoints:0:Type", "webhook",
            "--Notifications:Endpoints:0:Url", receiver.Url, "--Notifications:Default:0", "hook",
        ];
        await using var cluster = await Cluster.StartAsync(ServerProcess.ResolveDll(options.ServerDll), extra, cancellationToken).ConfigureAwait(false);
        var primary = await cluster.WaitForPrimaryAsync(0, cancellationToken).ConfigureAwait(false);
        var monitor = await new Monitors.MonitorsClient(cluster.Channel(primary)).CreateAsync(
            new CreateMonitorRequest
            {
                Monitor = new Protocol.Log.Monitor { Name = "failover", Type = "metric", Query = "max(last_1h):max:perf.failover{*} by {host} > 0", Message = "m4", Options = new Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, OnArrival = true } },
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);

        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = new Writer(cluster);
        var writing = Task.Run(() => writer.RunAsync(primary, stopWriting.Token), CancellationToken.None);
        var failovers = new List<double>();
        var notifyGaps = new List<double>();
        try
        {
            for (var trial = 0; trial < options.Trials; trial++)
            {
                using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                patience.CancelAfter(TrialPatience);
                primary = await cluster.WaitForPrimaryAsync(0, patience.Token).ConfigureAwait(false);
                var standby = 3 - primary;
                // The standby must hold what the witness vouched for, or the witness rightly refuses to elect it.
                var commit = (await cluster.StatusAsync(primary, patience.Token).ConfigureAwait(false))!.CommitIndex;
                await cluster.PollAsync(standby, s => s.DurableIndex >= commit, patience.Token).ConfigureAwait(false);

                var killed = Stopwatch.GetTimestamp();
                await cluster.KillAsync(primary).ConfigureAwait(false);
                var firstAck = await writer.FirstAckAfterAsync(killed, primary, patience.Token).ConfigureAwait(false);
                var ms = Stopwatch.GetElapsedTime(killed, firstAck).TotalMilliseconds;
                failovers.Add(ms);
                output.Line($"failover: trial {trial + 1}/{options.Trials}: node {standby} acknowledged a write {ms:F0} ms after node {primary} was killed");
                if (receiver is not null)
                {
                    var firstNotification = await receiver.FirstFromAsync(standby, killed, patience.Token).ConfigureAwait(false);
                    var notifyMs = Stopwatch.GetElapsedTime(killed, firstNotification).TotalMilliseconds;
                    notifyGaps.Add(notifyMs);
                    output.Line($"failover: trial {trial + 1}/{options.Trials}: node {standby} sent its first notification {notifyMs:F0} ms after the kill");
                }

                await cluster.StartAsync(primary, patience.Token).ConfigureAwait(false);
                var leader = (await cluster.StatusAsync(standby, patience.Token).ConfigureAwait(false))!;
                await cluster.PollAsync(primary, s => s.Role is "standby" or "primary" && s.PrimaryId.Length > 0 && s.AppliedIndex >= leader.CommitIndex, patience.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            await stopWriting.CancelAsync().ConfigureAwait(false);
            await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        primary = await cluster.WaitForPrimaryAsync(0, cancellationToken).ConfigureAwait(false);
        var groups = await cluster.GroupsAsync(primary, monitor.Monitor.Id, cancellationToken).ConfigureAwait(false);
        var lost = writer.Acknowledged.Keys.Count(host => !groups.Contains("host:" + host));
        var invented = groups.Count(g => !writer.Attempted.ContainsKey(g["host:".Length..]));
        failovers.Sort();
        result.Add("M4.p50", "kill -9 of the primary → first acknowledged write, p50", Quantile(failovers, 0.50), "ms");
        result.Add("M4.p99", "kill -9 of the primary → first acknowledged write, p99", Quantile(failovers, 0.99), "ms", "≤ 1 000 ms", Quantile(failovers, 0.99) <= 1_000);
        result.Add("M4.max", "kill -9 of the primary → first acknowledged write, max", failovers[^1], "ms");
        result.Add("M4.acked", "writes acknowledged during the run", writer.Acknowledged.Count, "writes");
        if (receiver is not null)
        {
            notifyGaps.Sort();
            result.Add("M4.notify.p50", "kill -9 of the primary → first notification from the new primary, p50", Quantile(notifyGaps, 0.50), "ms");
            result.Add("M4.notify.p99", "kill -9 of the primary → first notification from the new primary, p99", Quantile(notifyGaps, 0.99), "ms");
            result.Add("M4.notify.max", "kill -9 of the primary → first notification from the new primary, max", notifyGaps[^1], "ms");
            result.Add("M4.notify.requests", "notification requests received", receiver.Count, "requests");
            result.Check("one notifying node per term", receiver.OneNodePerTerm(out var why), why);
        }

        result.Check("no acknowledged point lost", lost == 0, $"{lost} of {writer.Acknowledged.Count} acknowledged points missing on the final primary");
        result.Check("no point invented", invented == 0, $"{invented} groups from points never sent");
        return result;
    }

    private static double Quantile(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    /// <summary>One client writing steadily, following the primary.</summary>
    private sealed class Writer(Cluster cluster)
    {
        private readonly ConcurrentQueue<(long At, int Node)> _acks = new();
        private long _sequence;

        public ConcurrentDictionary<string, bool> Attempted { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, bool> Acknowledged { get; } = new(StringComparer.Ordinal);

        public async Task RunAsync(int primary, CancellationToken ct)
        {
            var node = primary;
            while (!ct.IsCancellationRequested)
            {
                var host = "h" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
                Attempted[host] = true;
                var request = new WriteRequest { Points = { new Point { Metric = "perf.failover", Tags = { "host:" + host }, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = 1 } } };
                while (!ct.IsCancellationRequested)
                {
                    try
                    {
                        using var call = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        call.CancelAfter(TimeSpan.FromSeconds(2));
                        await new Ingest.IngestClient(cluster.Channel(node)).WriteBatchAsync(request, cancellationToken: call.Token).ConfigureAwait(false);
                        Acknowledged[host] = true;
                        _acks.Enqueue((Stopwatch.GetTimestamp(), node));
                        while (_acks.Count > 1_000 && _acks.TryDequeue(out _))
                        {
                        }

                        break;
                    }
                    catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted or StatusCode.Cancelled or StatusCode.DeadlineExceeded)
                    {
                        // Not the primary, or gone: the other data node is the only other candidate.
                        node = 3 - node;
                        await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
                    }
                }

                await Task.Delay(WritePause, CancellationToken.None).ConfigureAwait(false);
            }
        }

        public async Task<long> FirstAckAfterAsync(long since, int killed, CancellationToken ct)
        {
            while (true)
            {
                foreach (var (at, node) in _acks)
                {
                    if (at > since && node != killed)
                    {
                        return at;
                    }
                }

                await Task.Delay(1, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A webhook receiver (HttpListener on loopback) answering 200 and recording each request's arrival, node and term.</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<(long At, string Node, string Term)> _arrivals = new();
        private readonly Task _loop;

        private WebhookReceiver(int port)
        {
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public int Count => _arrivals.Count;

        public static WebhookReceiver Start() => new(Cluster.FreePorts(1)[0]);

        public async Task<long> FirstFromAsync(int node, long since, CancellationToken ct)
        {
            var name = node.ToString(CultureInfo.InvariantCulture);
            while (true)
            {
                foreach (var (at, from, _) in _arrivals)
                {
                    if (at > since && from == name)
                    {
                        return at;
                    }
                }

                await Task.Delay(1, ct).ConfigureAwait(false);
            }
        }

        public bool OneNodePerTerm(out string why)
        {
            var clash = _arrivals.GroupBy(a => a.Term).FirstOrDefault(g => g.Select(a => a.Node).Distinct().Count() > 1);
            why = clash is null ? "" : $"term {clash.Key} sent by nodes {string.Join(", ", clash.Select(a => a.Node).Distinct())}";
            return clash is null;
        }

        public void Dispose()
        {
            _listener.Close();
            _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                _arrivals.Enqueue((Stopwatch.GetTimestamp(), context.Request.Headers["X-Alerting-Node"] ?? "", context.Request.Headers["X-Alerting-Term"] ?? ""));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }
    }

    /// <summary>The three processes, their fixed gRPC ports and data folders.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly string _dll;
        private readonly string _root;
        private readonly int[] _ports;
        private readonly ServerProcess?[] _processes = new ServerProcess?[3];
        private readonly GrpcChannel[] _channels;
        private string[] _dataArguments = [];

        private Cluster(string dll, string root, int[] ports)
        {
            _dll = dll;
            _root = root;
            _ports = ports;
            _channels = ports.Select(p => GrpcChannel.ForAddress($"http://127.0.0.1:{p}")).ToArray();
        }

        public static async Task<Cluster> StartAsync(string dll, string[] dataArguments, CancellationToken ct)
        {
            var cluster = new Cluster(dll, Directory.CreateTempSubdirectory("alerting-perf-cluster-").FullName, FreePorts(3)) { _dataArguments = dataArguments };
            try
            {
                await Task.WhenAll(Enumerable.Range(1, 3).Select(id => cluster.StartAsync(id, ct))).ConfigureAwait(false);
            }
            catch
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return cluster;
        }

        public GrpcChannel Channel(int id) => _channels[id - 1];

        public async Task StartAsync(int id, CancellationToken ct)
        {
            var data = Path.Combine(_root, "node-" + id.ToString(CultureInfo.InvariantCulture));
            var peers = string.Join(",", Enumerable.Range(1, 3).Select(i => $"{i}=http://127.0.0.1:{_ports[i - 1]}"));
            _processes[id - 1] = await ServerProcess.StartAsync(_dll, data,
            [
                "--grpc-port", _ports[id - 1].ToString(CultureInfo.InvariantCulture), "--http-port", "0",
                "--node-id", id.ToString(CultureInfo.InvariantCulture), "--peers", peers,
                "--witness", WitnessId.ToString(CultureInfo.InvariantCulture), "--role", id == WitnessId ? "witness" : "primary",
                .. (id == WitnessId ? Array.Empty<string>() : _dataArguments),
            ], ct).ConfigureAwait(false);
        }

        public async Task KillAsync(int id)
        {
            if (_processes[id - 1] is { } process)
            {
                await process.KillAsync().ConfigureAwait(false);
                _processes[id - 1] = null;
            }
        }

        public async Task<StatusResponse?> StatusAsync(int id, CancellationToken ct)
        {
            if (_processes[id - 1] is null)
            {
                return null;
            }

            try
            {
                using var call = CancellationTokenSource.CreateLinkedTokenSource(ct);
                call.CancelAfter(TimeSpan.FromSeconds(2));
                return await new Protocol.V1.Cluster.ClusterClient(Channel(id)).StatusAsync(new StatusRequest(), cancellationToken: call.Token).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                return null;
            }
        }

        public async Task<int> WaitForPrimaryAsync(int not, CancellationToken ct)
        {
            while (true)
            {
                foreach (var id in new[] { 1, 2 })
                {
                    if (id != not && await StatusAsync(id, ct).ConfigureAwait(false) is { Role: "primary" })
                    {
                        return id;
                    }
                }

                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            }
        }

        public async Task PollAsync(int id, Func<StatusResponse, bool> ready, CancellationToken ct)
        {
            while (await StatusAsync(id, ct).ConfigureAwait(false) is not { } status || !ready(status))
            {
                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            }
        }

        public async Task<HashSet<string>> GroupsAsync(int id, string monitorId, CancellationToken ct)
        {
            var groups = new HashSet<string>(StringComparer.Ordinal);
            var request = new ListStatesRequest { MonitorId = monitorId, PageSize = 10_000 };
            do
            {
                var page = await new Alerts.AlertsClient(Channel(id)).ListStatesAsync(request, cancellationToken: ct).ConfigureAwait(false);
                groups.UnionWith(page.States.Select(s => s.GroupKey));
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);
            return groups;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var process in _processes)
            {
                if (process is not null)
                {
                    await process.DisposeAsync().ConfigureAwait(false);
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

        internal static int[] FreePorts(int count)
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
}
