using Alerting.Engine.Pipeline;
using Alerting.Replication;
using Alerting.Server.Hosting;
using Alerting.Server.Replication;

namespace Alerting.Server.Tests.Replication;

public sealed class ClusterSettingsTests
{
    private const string Peers = "1=http://127.0.0.1:7101,2=http://127.0.0.1:7102,3=http://127.0.0.1:7103";

    [Fact]
    public void Peers_node_id_and_witness_from_the_command_line_make_a_replicated_member()
    {
        var options = ServerConfiguration.Load(["--node-id", "2", "--peers", Peers, "--witness", "3"], new Dictionary<string, string?>());
        options.Validate();
        var settings = ClusterSettings.From(options);

        Assert.True(options.IsReplicated);
        Assert.Equal(2, settings.SelfId);
        Assert.Equal(MemberKind.Data, settings.SelfKind);
        Assert.Equal([MemberKind.Data, MemberKind.Data, MemberKind.Witness], settings.Config.Members.Select(m => m.Kind));
        Assert.Equal(new Uri("http://127.0.0.1:7103"), settings.Addresses[3]);
    }

    [Fact]
    public void The_witness_is_started_with_role_witness()
    {
        var options = ServerConfiguration.Load(["--node-id", "3", "--peers", Peers, "--witness", "3", "--role", "witness"], new Dictionary<string, string?>());
        options.Validate();
        Assert.Equal(MemberKind.Witness, ClusterSettings.From(options).SelfKind);
    }

    [Theory]
    [InlineData("1=http://127.0.0.1:7101", "1", 0, "primary", "2 to 7 voters")]
    [InlineData("1=http://a:1,1=http://b:2", "1", 0, "primary", "twice")]
    [InlineData("1=ftp://a:1,2=http://b:2", "1", 0, "primary", "id=address")]
    [InlineData("x=http://a:1,2=http://b:2", "1", 0, "primary", "id=address")]
    [InlineData(Peers, "node-1", 3, "primary", "NodeId")]
    [InlineData(Peers, "4", 3, "primary", "NodeId")]
    [InlineData(Peers, "1", 5, "primary", "WitnessId 5")]
    [InlineData(Peers, "3", 3, "primary", "--role witness")]
    [InlineData(Peers, "1", 3, "witness", "--witness 1")]
    public void Inconsistent_cluster_options_are_refused_with_what_to_fix(string peers, string nodeId, int witness, string role, string expected)
    {
        var options = new ServerOptions { Peers = peers, NodeId = nodeId, WitnessId = witness, Role = Enum.Parse<NodeRole>(role, ignoreCase: true) };
        var error = Assert.Throws<ServerOptionsException>(() => options.Validate());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cluster_with_api_keys_is_refused_until_replication_carries_them()
    {
        var options = new ServerOptions { Peers = Peers, NodeId = "1", WitnessId = 3 };
        options.ApiKeys.Add(new ApiKeyOptions { Key = "0123456789abcdef0123", Scopes = { "admin" } });
        var error = Assert.Throws<ServerOptionsException>(() => options.Validate());
        Assert.Contains("API keys", error.Message, StringComparison.Ordinal);
    }
}
