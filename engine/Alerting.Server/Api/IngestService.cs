using System.Threading.Channels;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Alerting.Server.Ingest;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>
/// Where points enter: each request is checked, admitted (the engine's apply backlog bounds how
/// much waits ahead of it), published to the input ring and acknowledged only once durable and applied (<see cref="IngestWriter"/>). The stream pipelines: it keeps reading and publishing while
/// earlier requests wait for their fsync, and acknowledges in request order.
/// </summary>
public sealed class IngestService : Protocol.V1.Ingest.IngestBase
{
    private readonly IngestWriter _writer;
    private readonly ServerOptions _options;
    private readonly StreamSlots _streams;

    public IngestService(IngestWriter writer, ServerOptions options, IngestStreamSlots streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        _writer = writer;
        _options = options;
        _streams = streams.Slots;
    }

    public override Task<WriteAck> WriteBatch(WriteRequest request, ServerCallContext context) => _writer.WriteAsync(request, WriteClients.Of(context), context.CancellationToken);

    public override async Task Write(IAsyncStreamReader<WriteRequest> requestStream, IServerStreamWriter<WriteAck> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        using var lease = _streams.Acquire();
        var client = WriteClients.Of(context);
        var pending = Channel.CreateBounded<Func<Task<WriteAck>>>(new BoundedChannelOptions(_options.MaxWritesInFlightPerStream) { SingleReader = true, SingleWriter = true });
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var sender = SendAcks(pending.Reader, responseStream, failed);
        try
        {
            while (await requestStream.MoveNext(failed.Token).ConfigureAwait(false))
            {
                // Admission waits here, so the stream stops reading while the engine's backlog is full.
                var published = await _writer.PublishAsync(requestStream.Current, client, failed.Token).ConfigureAwait(false);
                await pending.Writer.WriteAsync(published, failed.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            // Acks of everything already published go out before any error ends the stream.
            pending.Writer.TryComplete();
            await sender.ConfigureAwait(false);
        }
    }

    /// <summary>Sends acks in request order; if sending fails, stops the reading side too so it cannot block on a full queue.</summary>
    private static async Task SendAcks(ChannelReader<Func<Task<WriteAck>>> pending, IServerStreamWriter<WriteAck> responses, CancellationTokenSource failed)
    {
        try
        {
            await foreach (var ack in pending.ReadAllAsync().ConfigureAwait(false))
            {
                await responses.WriteAsync(await ack().ConfigureAwait(false)).ConfigureAwait(false);
            }
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }
}
