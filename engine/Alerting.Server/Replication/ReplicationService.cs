using Grpc.Core;
using Wire = Alerting.Protocol.Replication;

namespace Alerting.Server.Replication;

/// <summary>Receives peers' message streams and hands each message to this node's <see cref="Replicator"/>; serves its snapshot to a replica that fetches it.</summary>
/// <remarks>
/// A peer's stream stays open as long as both nodes run; when this host stops (a restart in place
/// included) the streams end at once instead of holding the graceful stop for its whole timeout.
/// </remarks>
public sealed class ReplicationService(Replicator replicator, IHostApplicationLifetime lifetime) : Wire.Replication.ReplicationBase
{
    public override async Task<Wire.SendSummary> Send(IAsyncStreamReader<Wire.MessageBatch> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        ulong received = 0;
        try
        {
            while (await requestStream.MoveNext(call.Token).ConfigureAwait(false))
            {
                foreach (var wire in requestStream.Current.Messages)
                {
                    if (MessageCodec.FromWire(wire) is { } message && message.To == replicator.SelfId)
                    {
                        await replicator.DeliverAsync(message, MessageCodec.StampOf(wire), call.Token).ConfigureAwait(false);
                    }

                    received++;
                }
            }
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // This host stops: the peer reconnects to the next one.
        }

        return new Wire.SendSummary { MessagesReceived = received };
    }

    public override Task FetchSnapshot(Wire.SnapshotFetchRequest request, IServerStreamWriter<Wire.SnapshotChunk> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ServeAsync();

        async Task ServeAsync()
        {
            using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
            await replicator.ServeSnapshotAsync(request, responseStream, call.Token).ConfigureAwait(false);
        }
    }
}
