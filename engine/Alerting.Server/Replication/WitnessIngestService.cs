using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Grpc.Core;

namespace Alerting.Server.Replication;

/// <summary>The witness's answer to a write: UNAVAILABLE with the primary's address (when known) in the <c>alerting-primary</c> trailer.</summary>
public sealed class WitnessIngestService(Replicator replicator) : Protocol.V1.Ingest.IngestBase
{
    public override Task<WriteAck> WriteBatch(WriteRequest request, ServerCallContext context) =>
        throw EngineCalls.NotPrimary(replicator.NotPrimary());

    public override Task Write(IAsyncStreamReader<WriteRequest> requestStream, IServerStreamWriter<WriteAck> responseStream, ServerCallContext context) =>
        throw EngineCalls.NotPrimary(replicator.NotPrimary());
}
