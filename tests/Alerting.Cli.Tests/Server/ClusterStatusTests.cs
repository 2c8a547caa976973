using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Alerting.Engine.Pipeline;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Grpc.Net.Client;

namespace Alerting.Cli.Tests.Server;

/// <summary><c>alertctl cluster status</c> across several real servers, one of them not running.</summary>
public sealed class ClusterStatusTests : IAsyncLifetime
{
    private readonly List<(ServerHost Host, string Directory)> _servers = [];

    private string Primary => _servers[0].Host.GrpcAddress.ToString().TrimEnd('/');

    private string Standby => _servers[1].Host.GrpcAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        foreach (var role in new[] { NodeRole.Primary, NodeRole.Standby })
        {
            string directory = Path.Combine(Path.GetTempPath(), $"alertctl-cluster-{Guid.NewGuid():N}");
            ServerOptions options = ServerFixture.Options(directory);
            options.Role = role;
            options.NodeId = role == NodeRole.Primary ? "node-a" : "node-b";
            _servers.Add((await ServerHost.StartAsync(options), directory));
        }
    }

    public async Task DisposeAsync()
    {
        foreach ((ServerHost host, string directory) in _servers)
        {
            await host.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Json_gives_one_line_per_node_with_indexes_lag_and_why_a_node_is_unreachable()
    {
        ulong acked = await WriteToPrimaryAsync();
        string dead = DeadAddress();

        CliResult result = await CliRunner.RunAsync(["cluster", "status", "--nodes", $"{Primary},{Standby},{dead}", "--json", "--timeout", "5s"]);

        Assert.True(result.ExitCode == ExitCodes.CannotConnect, result.ToString());
        string[] lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        using JsonDocument primary = JsonDocument.Parse(lines[0]);
        using JsonDocument standby = JsonDocument.Parse(lines[1]);
        using JsonDocument unreachable = JsonDocument.Parse(lines[2]);

        Assert.Equal(("node-a", "primary", Primary, true), Row(primary));
        Assert.Equal(("node-b", "standby", Standby, true), Row(standby));
        ulong commit = primary.RootElement.GetProperty("commit_index").GetUInt64();
        Assert.True(commit >= acked, $"the primary's commit index {commit} covers the acked write {acked}");
        Assert.True(primary.RootElement.GetProperty("applied_index").GetUInt64() >= acked);
        Assert.True(primary.RootElement.GetProperty("durable_index").GetUInt64() >= acked);
        Assert.Equal(commit, standby.RootElement.GetProperty("lag").GetUInt64());
        Assert.Equal(0UL, standby.RootElement.GetProperty("applied_index").GetUInt64());

        Assert.Equal(dead, unreachable.RootElement.GetProperty("address").GetString());
        Assert.False(unreachable.RootElement.GetProperty("reachable").GetBoolean());
        Assert.StartsWith("Unavailable", unreachable.RootElement.GetProperty("unreachable").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, unreachable.RootElement.GetProperty("role").ValueKind);
    }

    [Fact]
    public async Task The_table_has_a_row_per_node_from_ALERTING_NODES_and_exits_0_when_all_answer()
    {
        var environment = new Dictionary<string, string> { ["ALERTING_NODES"] = $"{Primary}, {Standby}" };

        CliResult result = await CliRunner.RunAsync(["cluster", "status"], environment: environment);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        string[] lines = result.Out.Split('\n');
        Assert.Contains(lines, l => l.Contains("node-a", StringComparison.Ordinal) && l.Contains("primary", StringComparison.Ordinal) && l.Contains(Primary, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("node-b", StringComparison.Ordinal) && l.Contains("standby", StringComparison.Ordinal) && l.Contains(Standby, StringComparison.Ordinal));
        Assert.Contains("applied index", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("unreachable", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_explicit_server_flag_wins_over_ALERTING_NODES()
    {
        var environment = new Dictionary<string, string> { ["ALERTING_NODES"] = $"{Primary},{Standby}" };

        CliResult result = await CliRunner.RunAsync(["cluster", "status", "--server", Standby, "--json"], environment: environment);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        using JsonDocument only = JsonDocument.Parse(Assert.Single(result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(("node-b", "standby", Standby, true), Row(only));
    }

    [Fact]
    public async Task An_unreachable_node_shows_in_the_table_with_its_reason()
    {
        string dead = DeadAddress();

        CliResult result = await CliRunner.RunAsync(["cluster", "status", "--nodes", $"{Primary},{dead}"]);

        Assert.True(result.ExitCode == ExitCodes.CannotConnect, result.ToString());
        Assert.Contains(result.Out.Split('\n'), l => l.Contains(dead, StringComparison.Ordinal) && l.Contains("unreachable: Unavailable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Write_with_a_standby_first_in_the_node_list_lands_on_the_primary()
    {
        CliResult write = await CliRunner.RunAsync(["write", "--nodes", $"{Standby},{Primary}", "--json"], stdin: "cluster.cli.write{host:a} 1\ncluster.cli.write{host:b} 2\n");
        CliResult status = await CliRunner.RunAsync(["cluster", "status", "--nodes", Primary, "--json"]);

        Assert.True(write.ExitCode == ExitCodes.Ok, write.ToString());
        using JsonDocument ack = JsonDocument.Parse(write.Out);
        using JsonDocument primary = JsonDocument.Parse(status.Out);
        Assert.Equal("2", ack.RootElement.GetProperty("accepted").GetString());
        Assert.True(primary.RootElement.GetProperty("applied_index").GetUInt64() >= ulong.Parse(ack.RootElement.GetProperty("log_index").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_node_list_that_is_not_urls_is_a_usage_error()
    {
        CliResult result = await CliRunner.RunAsync(["cluster", "status", "--nodes", "localhost:7700"]);

        Assert.True(result.ExitCode == ExitCodes.UsageError, result.ToString());
        Assert.Contains("--nodes", result.Error, StringComparison.Ordinal);
    }

    private static (string?, string?, string?, bool) Row(JsonDocument row) =>
        (row.RootElement.GetProperty("node_id").GetString(), row.RootElement.GetProperty("role").GetString(), row.RootElement.GetProperty("address").GetString(), row.RootElement.GetProperty("reachable").GetBoolean());

    private async Task<ulong> WriteToPrimaryAsync()
    {
        using var channel = GrpcChannel.ForAddress(Primary);
        var ack = await new Ingest.IngestClient(channel).WriteBatchAsync(
            new WriteRequest { Points = { new Point { Metric = "cpu", Tags = { "host:a" }, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = 1 } } });
        return ack.LogIndex;
    }

    /// <summary>A loopback address nothing listens on: a port the system just handed out and took back.</summary>
    private static string DeadAddress()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }
}
