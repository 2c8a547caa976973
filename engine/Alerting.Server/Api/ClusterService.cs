using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>Where this node stands in the log. A single node is always the primary, durable locally.</summary>
public sealed class ClusterService : Protocol.V1.Cluster.ClusterBase
{
    private readonly EngineCalls _engine;
    private readonly ServerOptions _options;

    public ClusterService(EngineCalls engine, ServerOptions options)
    {
        _engine = engine;
        _options = options;
    }

    public override async Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        var node = _engine.Node;
        var (applied, logicalTime) = await _engine.Query(state => (state.AppliedIndex, state.LogicalTimeMs)).ConfigureAwait(false);
        return new StatusResponse
        {
            NodeId = _options.NodeId,
            Role = "primary",
            Term = node.Term,
            LogIndex = (ulong)node.LastIndex,
            CommitIndex = (ulong)node.DurableIndex,
            AppliedIndex = (ulong)applied,
            Durability = "local",
            LogicalTimeUnixMs = logicalTime,
        };
    }
}
