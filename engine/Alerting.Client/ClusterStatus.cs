using Alerting.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Alerting.Client;

/// <summary>
/// One node's answer to <c>Cluster.Status</c>, or why it gave none: <see cref="FailureCode"/> and
/// <see cref="Failure"/> (the code and the innermost cause). <see cref="Lag"/> is how far its
/// applied index is behind the highest commit index any node reported.
/// </summary>
public sealed record NodeStatus(Uri Address, StatusResponse? Status, StatusCode? FailureCode, string? Failure, ulong Lag)
{
    /// <summary>No answer at all (no connection, or none in time), as opposed to an answer that refused the call.</summary>
    public bool IsUnreachable => FailureCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded;
}

/// <summary>Asks every node of a cluster for its status, all at once, each bounded by a timeout.</summary>
public static class ClusterStatus
{
    /// <summary>Default bound on one node's answer.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The status of each of <paramref name="nodes"/>, in their order; a node that does not answer in <paramref name="timeout"/> is unreachable with the reason.</summary>
    public static async Task<IReadOnlyList<NodeStatus>> ReadAsync(IReadOnlyList<Uri> nodes, string? apiKey, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var headers = apiKey is null ? null : new Metadata { { "authorization", "Bearer " + apiKey } };
        var answers = await Task.WhenAll(nodes.Select(node => AskAsync(node, headers, timeout, cancellationToken))).ConfigureAwait(false);
        var highestCommit = answers.Where(a => a.Status is not null).Select(a => a.Status!.CommitIndex).DefaultIfEmpty(0UL).Max();
        return Array.ConvertAll(answers, a => a.Status is { } s ? a with { Lag = highestCommit > s.AppliedIndex ? highestCommit - s.AppliedIndex : 0 } : a);
    }

    private static async Task<NodeStatus> AskAsync(Uri node, Metadata? headers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(node);
        var client = new Cluster.ClusterClient(channel);
        try
        {
            var status = await client.StatusAsync(new StatusRequest(), headers, DateTime.UtcNow + timeout, cancellationToken).ConfigureAwait(false);
            return new NodeStatus(node, status, null, null, 0);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new NodeStatus(node, null, e.StatusCode, Reason(e), 0);
        }
    }

    /// <summary>The status code and the innermost cause (connection refused, timed out, ...), on one line.</summary>
    private static string Reason(RpcException e)
    {
        var cause = e.Status.DebugException;
        while (cause?.InnerException is not null)
        {
            cause = cause.InnerException;
        }

        var detail = cause?.Message ?? e.Status.Detail;
        return $"{e.StatusCode}: {detail}".ReplaceLineEndings(" ");
    }
}
