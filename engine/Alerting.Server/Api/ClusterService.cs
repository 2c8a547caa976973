using Alerting.Protocol.V1;
using Alerting.Replication;
using Alerting.Server.Hosting;
using Alerting.Server.Replication;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>
/// Where this node stands in the log: its role, term, and last, durable, committed and applied
/// indexes. Replicated, the role and term are the consensus core's live ones; a witness reports
/// its term and commit only; the primary lists each peer's acknowledged index.
/// </summary>
public sealed class ClusterService : Protocol.V1.Cluster.ClusterBase
{
    private readonly EngineCalls? _engine;
    private readonly Replicator? _replicator;
    private readonly ServerOptions _options;

    public ClusterService(ServerOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _options = options;
        _engine = services.GetService<EngineCalls>();
        _replicator = services.GetService<Replicator>();
    }

    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) => ReadAsync(_options, _engine, _replicator);

    /// <summary>This node's status as <c>Cluster.Status</c> answers it; the status page shows the same.</summary>
    internal static async Task<StatusResponse> ReadAsync(ServerOptions options, EngineCalls? engineCalls, Replicator? replicatorShell)
    {
        ArgumentNullException.ThrowIfNull(options);
        var response = new StatusResponse { NodeId = options.NodeId };
        if (engineCalls is { } engine)
        {
            var node = engine.Node;
            var (applied, logicalTime) = await engine.Query(state => (state.AppliedIndex, state.LogicalTimeMs)).ConfigureAwait(false);
            response.Role = node.Role.ToString().ToLowerInvariant();
            response.Term = node.Term;
            response.LogIndex = (ulong)node.LastIndex;
            response.CommitIndex = (ulong)node.CommitIndex;
            response.DurableIndex = (ulong)node.DurableIndex;
            response.AppliedIndex = (ulong)applied;
            response.Durability = "local";
            response.LogicalTimeUnixMs = logicalTime;
            response.PrimaryAddress = node.PrimaryAddress ?? string.Empty;
        }

        if (replicatorShell is { } replicator)
        {
            var status = replicator.Status;
            response.Role = status.Role switch
            {
                ReplicaRole.Primary => "primary",
                ReplicaRole.Witness => "witness",
                ReplicaRole.PreCandidate or ReplicaRole.Candidate => "candidate",
                _ => "standby",
            };
            response.Term = (ulong)status.Term;
            response.CommitIndex = (ulong)status.CommitIndex;
            response.Durability = "replicated";
            response.PrimaryId = status.PrimaryId == 0 ? string.Empty : status.PrimaryId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.PrimaryAddress = replicator.PrimaryAddress ?? string.Empty;
            foreach (var (id, match) in status.Peers)
            {
                response.Peers.Add(new PeerProgress { NodeId = id.ToString(System.Globalization.CultureInfo.InvariantCulture), MatchIndex = (ulong)match });
            }
        }

        return response;
    }
}
