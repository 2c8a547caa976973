using Grpc.Core;
using Wire = Alerting.Protocol.Replication;

namespace Alerting.Server.Replication;

/// <summary>Receives peers' message streams and hands each message to this node's <see cref="Replicator"/>; serves its snapshot to a replica that fetches it.</summary>
public sealed class ReplicationService(Replicator replicator) : Wire.Replication.ReplicationBase
{
    public override async Task<Wire.SendSummary> Send(IAsyncStreamReader<Wire.MessageBatch> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        ulong received = 0;
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            foreach (var wire in requestStream.Current.Messages)
            {
                if (MessageCodec.FromWire(wire) is { } message && message.To == replicator.SelfId)
                {
                    await replicator.DeliverAsync(message, MessageCodec.StampOf(wire), context.CancellationToken).ConfigureAwait(false);
                }

                received++;
            }
        }

        return new Wire.SendSummary { MessagesReceived = received };
    }

    public override Task FetchSnapshot(Wire.SnapshotFetchRequest request, IServerStreamWriter<Wire.SnapshotChunk> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return replicator.ServeSnapshotAsync(request, responseStream, context.CancellationToken);
    }
}
