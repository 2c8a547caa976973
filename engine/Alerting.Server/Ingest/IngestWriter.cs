using Alerting.Engine.Monitors;
using Alerting.Engine.Pipeline;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Alerting.Server.Hosting;

namespace Alerting.Server.Ingest;

/// <summary>
/// The one write path every ingestion protocol ends in (gRPC, JSON, Prometheus remote_write,
/// OTLP, Datadog, DogStatsD): a <see cref="WriteRequest"/> is checked by
/// <see cref="WriteRequestConverter"/> under <see cref="ServerOptions.MaxPointsPerRequest"/>,
/// published to the input ring and acknowledged only once durable and applied, with the
/// state machine's per-reason rejections counted in the ack.
/// </summary>
public sealed class IngestWriter
{
    private readonly EngineCalls _engine;
    private readonly ServerOptions _options;
    private readonly ServerMetrics _metrics;

    public IngestWriter(EngineCalls engine, ServerOptions options, ServerMetrics metrics)
    {
        _engine = engine;
        _options = options;
        _metrics = metrics;
    }

    /// <summary>Validates, publishes and waits until the request is durable and applied.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT, RESOURCE_EXHAUSTED or UNAVAILABLE, as <see cref="EngineCalls"/> says.</exception>
    public Task<WriteAck> WriteAsync(WriteRequest request) => Publish(request)();

    /// <summary>
    /// Validates and publishes now; the returned function awaits durability and builds the ack.
    /// Points and check runs are two entries: if the ring fills between them, the points are
    /// written and the call still fails RESOURCE_EXHAUSTED, so a client retrying the whole
    /// request may write those points twice (a point is a sample: the windows count it twice).
    /// </summary>
    public Func<Task<WriteAck>> Publish(WriteRequest request)
    {
        var (points, checkRuns) = WriteRequestConverter.ToEntries(request, _options.MaxPointsPerRequest);
        var pointsWrite = points is null ? null : _engine.Write(points);
        var checksWrite = checkRuns is null ? null : _engine.Write(checkRuns);
        var total = request.Points.Count + request.CheckRuns.Count;
        return () => Acknowledge(request.BatchId, total, pointsWrite, checksWrite);
    }

    private async Task<WriteAck> Acknowledge(ulong batchId, long total, Task<AppliedEntry>? pointsWrite, Task<AppliedEntry>? checksWrite)
    {
        var ack = new WriteAck { BatchId = batchId };
        var rejected = new long[RejectReasonNames.Count];
        foreach (var write in new[] { pointsWrite, checksWrite })
        {
            if (write is null)
            {
                continue;
            }

            var applied = await write.ConfigureAwait(false);
            ack.LogIndex = Math.Max(ack.LogIndex, (ulong)applied.Index);
            ack.Term = applied.Term;
            WriteRequestConverter.AddRejected(applied, rejected);
        }

        var rejectedTotal = 0L;
        for (var i = 0; i < rejected.Length; i++)
        {
            if (rejected[i] != 0)
            {
                ack.Rejected.Add(new RejectedCount { Reason = RejectReasonNames.Of((RejectReason)i), Count = rejected[i] });
                rejectedTotal += rejected[i];
            }
        }

        ack.Accepted = total - rejectedTotal;
        _metrics.Acknowledged(ack.Accepted, rejected);
        return ack;
    }
}
