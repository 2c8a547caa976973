using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Alerting.Engine.Pipeline;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Grpc.Core;
using Grpc.Net.Client;

namespace Alerting.Cli.Tests.Server;

/// <summary><c>alertctl cluster step-down</c> against a real three-member cluster (data 1 and 2, witness 3) in this process, on loopback.</summary>
public sealed class ClusterStepDownTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly List<(ServerHost Host, string Directory)> _members = [];
    private int[] _ports = [];

    public async Task InitializeAsync()
    {
        _ports = FreePorts(3);
        var peers = string.Join(",", Enumerable.Range(1, 3).Select(i => $"{i}=http://127.0.0.1:{_ports[i - 1]}"));
        var starting = Enumerable.Range(1, 3).Select(async id =>
        {
            string directory = Path.Combine(Path.GetTempPath(), $"alertctl-stepdown-{Guid.NewGuid():N}");
            ServerOptions options = ServerFixture.Options(directory, _ports[id - 1]);
            options.NodeId = id.ToString(CultureInfo.InvariantCulture);
            options.Peers = peers;
            options.WitnessId = 3;
            options.Role = id == 3 ? NodeRole.Witness : NodeRole.Primary;
            return (await ServerHost.StartAsync(options), directory);
        }).ToList();
        _members.AddRange(await Task.WhenAll(starting));
    }

    public async Task DisposeAsync()
    {
        foreach ((ServerHost host, string directory) in _members)
        {
            await host.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Step_down_sent_to_the_standby_reaches_the_primary_and_the_named_target_leads_the_next_term()
    {
        using var timeout = new CancellationTokenSource(Patience);
        (int primary, ulong term) = await WaitForPrimaryAsync(timeout.Token);
        int standby = 3 - primary;
        // The standby must know the primary to name it: it does once it has applied an entry of
        // the primary's term (each entry it applies came from that primary), so wait on its log.
        while ((await StatusAsync(standby, timeout.Token)).PrimaryId.Length == 0)
        {
            await NextAppliedAsync(standby, timeout.Token);
        }

        CliResult result = await CliRunner.RunAsync(["cluster", "step-down", "--server", Address(standby), "--to", standby.ToString(CultureInfo.InvariantCulture), "--json"]);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        using JsonDocument answer = JsonDocument.Parse(result.Out);
        Assert.Equal(standby.ToString(CultureInfo.InvariantCulture), answer.RootElement.GetProperty("primary_id").GetString());
        ulong newTerm = ulong.Parse(answer.RootElement.GetProperty("term").GetString()!, CultureInfo.InvariantCulture);
        Assert.True(newTerm > term, $"term {newTerm} follows {term}");
        StatusResponse leader = await StatusAsync(standby, timeout.Token);
        Assert.Equal(("primary", newTerm), (leader.Role, leader.Term));
    }

    [Fact]
    public async Task The_witness_is_no_target_and_a_bad_node_id_is_a_usage_error()
    {
        using var timeout = new CancellationTokenSource(Patience);
        (int primary, _) = await WaitForPrimaryAsync(timeout.Token);

        CliResult witness = await CliRunner.RunAsync(["cluster", "step-down", "--server", Address(primary), "--to", "3"]);
        CliResult usage = await CliRunner.RunAsync(["cluster", "step-down", "--server", Address(primary), "--to", "two"]);

        Assert.True(witness.ExitCode == ExitCodes.ServerError, witness.ToString());
        Assert.Contains("InvalidArgument", witness.Error, StringComparison.Ordinal);
        Assert.True(usage.ExitCode == ExitCodes.UsageError, usage.ToString());
        Assert.Equal("primary", (await StatusAsync(primary, timeout.Token)).Role);
    }

    private string Address(int id) => $"http://127.0.0.1:{_ports[id - 1]}";

    private async Task<StatusResponse> StatusAsync(int id, CancellationToken cancellation)
    {
        using var channel = GrpcChannel.ForAddress(Address(id));
        return await new Protocol.V1.Cluster.ClusterClient(channel).StatusAsync(new StatusRequest(), cancellationToken: cancellation);
    }

    /// <summary>
    /// Asks the data members until one reports itself primary, waiting between rounds for either
    /// member to apply another entry: a primary's first act is its term-start entry, and it then
    /// publishes a Tick every 100 ms, so a change of leader always moves a log forward.
    /// </summary>
    private async Task<(int Id, ulong Term)> WaitForPrimaryAsync(CancellationToken cancellation)
    {
        while (true)
        {
            Task moved = Task.WhenAny(NextAppliedAsync(1, cancellation), NextAppliedAsync(2, cancellation));
            foreach (int id in new[] { 1, 2 })
            {
                try
                {
                    if (await StatusAsync(id, cancellation) is { Role: "primary" } status)
                    {
                        return (id, status.Term);
                    }
                }
                catch (RpcException)
                {
                }
            }

            await moved;
            cancellation.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Completes when data member <paramref name="id"/> applies an entry after the ones it has applied now.</summary>
    private Task NextAppliedAsync(int id, CancellationToken cancellation)
    {
        AppliedProgress progress = _members[id - 1].Host.Node.Progress;
        return progress.WaitForAsync(progress.AppliedIndex + 1, cancellation);
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
