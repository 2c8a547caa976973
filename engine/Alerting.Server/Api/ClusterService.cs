using Alerting.Engine.Pipeline;
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
            if (status.TransferTarget != 0)
            {
                response.TransferTarget = status.TransferTarget.ToString(System.Globalization.CultureInfo.InvariantCulture);
                response.TransferSinceUnixMs = status.TransferSince?.ToUnixTimeMilliseconds() ?? 0;
            }

            foreach (var (id, match) in status.Peers)
            {
                response.Peers.Add(new PeerProgress { NodeId = id.ToString(System.Globalization.CultureInfo.InvariantCulture), MatchIndex = (ulong)match });
            }
        }

        return response;
    }

    /// <summary>Longest wait for a leadership transfer: the core abandons one after its transfer timeout (60 ticks, 600 ms), so this only bounds a lost answer.</summary>
    public static readonly TimeSpan StepDownTimeout = TimeSpan.FromSeconds(10);

    public override async Task<StepDownResponse> StepDown(StepDownRequest request, ServerCallContext context)
    {
        if (_replicator is not { } replicator)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "this node is not a member of a cluster (no --peers): there is no leadership to hand over"));
        }

        if (replicator.Node is null)
        {
            // The witness never leads: send the caller to the primary.
            throw EngineCalls.NotPrimary(replicator.NotPrimary());
        }

        var target = 0;
        if (request.To.Length > 0 && (!int.TryParse(request.To, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out target) || target <= 0))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"to: a node id (a positive whole number), was \"{request.To}\""));
        }

        try
        {
            var (primaryId, term) = await replicator.StepDownAsync(target).WaitAsync(StepDownTimeout, context.CancellationToken).ConfigureAwait(false);
            return new StepDownResponse
            {
                PrimaryId = primaryId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Term = (ulong)term,
                PrimaryAddress = replicator.PrimaryAddress ?? string.Empty,
            };
        }
        catch (NotPrimaryException e)
        {
            throw EngineCalls.NotPrimary(e);
        }
        catch (ArgumentException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"to: {e.Message}"));
        }
        catch (LeadershipTransferException e)
        {
            throw new RpcException(new Status(StatusCode.Aborted, e.Message));
        }
        catch (ReplicationBackpressureException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"the transfer had no outcome within {StepDownTimeout.TotalSeconds:F0} s; see Cluster.Status"));
        }
    }
}
