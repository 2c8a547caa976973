using Alerting.Cli.Commands;
using Alerting.Client;
using Alerting.Protocol.V1;

namespace Alerting.Cli.Tests.Commands;

/// <summary>How <c>alertctl cluster status</c> turns one node's answer into a row: a transfer in progress.</summary>
public sealed class ClusterStatusRowTests
{
    [Fact]
    public void A_primary_handing_the_lead_over_shows_the_target_and_since_when_in_utc()
    {
        var status = new StatusResponse { NodeId = "1", Role = "primary", Term = 4, TransferTarget = "2", TransferSinceUnixMs = 1_764_561_600_123 };
        var row = ClusterCommands.NodeRow.Of(new NodeStatus(new Uri("http://127.0.0.1:7710/"), status, null, null, 0));

        Assert.Equal("2", row.TransferTarget);
        Assert.Equal("2025-12-01T04:00:00.123Z", row.TransferSince);
    }

    [Fact]
    public void No_transfer_leaves_both_fields_null()
    {
        var row = ClusterCommands.NodeRow.Of(new NodeStatus(new Uri("http://127.0.0.1:7711/"), new StatusResponse { NodeId = "2", Role = "standby" }, null, null, 0));
        var unreachable = ClusterCommands.NodeRow.Of(new NodeStatus(new Uri("http://127.0.0.1:7712/"), null, Grpc.Core.StatusCode.Unavailable, "connection refused", 0));

        Assert.Equal((null, null), (row.TransferTarget, row.TransferSince));
        Assert.Equal((null, null), (unreachable.TransferTarget, unreachable.TransferSince));
    }
}
