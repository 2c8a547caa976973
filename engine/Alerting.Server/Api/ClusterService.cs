using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>Where this node stands in the log: its role, term, and last, durable, committed and applied indexes.</summary>
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
            Role = node.Role.ToString().ToLowerInvariant(),
            Term = node.Term,
            LogIndex = (ulong)node.LastIndex,
            CommitIndex = (ulong)node.CommitIndex,
            DurableIndex = (ulong)node.DurableIndex,
            AppliedIndex = (ulong)applied,
            Durability = "local",
            LogicalTimeUnixMs = logicalTime,
            PrimaryAddress = node.PrimaryAddress ?? string.Empty,
        };
    }
}
