using Alerting.Server.Hosting;

namespace Alerting.Server.Api;

/// <summary>The open <c>Ingest.Write</c> streams (a singleton; services are per call).</summary>
public sealed class IngestStreamSlots(ServerOptions options)
{
    public StreamSlots Slots { get; } = new("write streams", options.MaxWriteStreams);
}
