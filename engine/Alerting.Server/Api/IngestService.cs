using System.Threading.Channels;
using Alerting.Engine.Monitors;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Alerting.Server.Ingest;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>
/// Where points enter: each request is checked, published to the input ring and acknowledged
/// only once durable and applied. The stream pipelines: it keeps reading and publishing while
/// earlier requests wait for their fsync, and acknowledges in request order.
/// </summary>
public sealed class IngestService : Protocol.V1.Ingest.IngestBase
{
    private readonly EngineCalls _engine;
    private readonly ServerOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly StreamSlots _streams;

    public IngestService(EngineCalls engine, ServerOptions options, ServerMetrics metrics, IngestStreamSlots streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        _engine = engine;
        _options = options;
        _metrics = metrics;
        _streams = streams.Slots;
    }

    public override Task<WriteAck> WriteBatch(WriteRequest request, ServerCallContext context) => Publish(request)();

    public override async Task Write(IAsyncStreamReader<WriteRequest> requestStream, IServerStreamWriter<WriteAck> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        using var lease = _streams.Acquire();
        var pending = Channel.CreateBounded<Func<Task<WriteAck>>>(new BoundedChannelOptions(_options.MaxWritesInFlightPerStream) { SingleReader = true, SingleWriter = true });
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var sender = SendAcks(pending.Reader, responseStream, failed);
        try
        {
            while (await requestStream.MoveNext(failed.Token).ConfigureAwait(false))
            {
                await pending.Writer.WriteAsync(Publish(requestStream.Current), failed.Token).ConfigureAwait(false);
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

    /// <summary>
    /// Validates and publishes now; the returned function awaits durability and builds the ack.
    /// Points and check runs are two entries: if the ring fills between them, the points are
    /// written and the call still fails RESOURCE_EXHAUSTED. A request with a client id and
    /// sequence can be retried safely: the state machine skips the part already applied and the
    /// ack covers both (docs/clients.md). Without one, a client retrying the whole request may
    /// write those points twice (a point is a sample: the windows count it twice).
    /// </summary>
    private Func<Task<WriteAck>> Publish(WriteRequest request)
    {
        var (points, checkRuns) = WriteRequestConverter.ToEntries(request, _options.MaxPointsPerRequest);
        var pointsWrite = points is null ? null : _engine.Write(points);
        var checksWrite = checkRuns is null ? null : _engine.Write(checkRuns);
        var pointCount = request.Points.Count;
        var checkRunCount = request.CheckRuns.Count;
        return () => Acknowledge(request.BatchId, pointCount, checkRunCount, pointsWrite, checksWrite);
    }

    private async Task<WriteAck> Acknowledge(ulong batchId, long pointCount, long checkRunCount, Task<AppliedEntry>? pointsWrite, Task<AppliedEntry>? checksWrite)
    {
        var ack = new WriteAck { BatchId = batchId };
        var rejected = new long[RejectReasonNames.Count];
        var applied = 0L;
        ClientAck? client = null;
        foreach (var (write, count) in new[] { (pointsWrite, pointCount), (checksWrite, checkRunCount) })
        {
            if (write is null)
            {
                continue;
            }

            var entry = await write.ConfigureAwait(false);
            ack.LogIndex = Math.Max(ack.LogIndex, (ulong)entry.Index);
            ack.Term = entry.Term;
            // The later part's client ack covers the earlier part too.
            client = entry.Result.Client ?? client;
            if (entry.Result.Client is { Duplicate: true })
            {
                continue;
            }

            applied += count;
            WriteRequestConverter.AddRejected(entry, rejected);
        }

        var rejectedTotal = rejected.Sum();
        _metrics.Acknowledged(applied - rejectedTotal, rejected);
        if (client is not null)
        {
            // The client batch's ack, the same for the first attempt and every retry.
            ack.LogIndex = (ulong)client.LogIndex;
            ack.Term = client.Term;
            ack.Accepted = client.Accepted;
            AddRejected(ack, client.Rejected);
        }
        else
        {
            ack.Accepted = pointCount + checkRunCount - rejectedTotal;
            AddRejected(ack, rejected);
        }

        return ack;
    }

    private static void AddRejected(WriteAck ack, IReadOnlyList<long> rejected)
    {
        for (var i = 0; i < rejected.Count; i++)
        {
            if (rejected[i] != 0)
            {
                ack.Rejected.Add(new RejectedCount { Reason = RejectReasonNames.Of((RejectReason)i), Count = rejected[i] });
            }
        }
    }
}
