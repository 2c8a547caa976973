using Alerting.Engine.Monitors;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
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
    private readonly LatencyHistograms _latency;

    public IngestWriter(EngineCalls engine, ServerOptions options, ServerMetrics metrics, LatencyHistograms latency)
    {
        _engine = engine;
        _options = options;
        _metrics = metrics;
        _latency = latency;
    }

    /// <summary>Validates, waits for admission, publishes and waits until the request is durable and applied.</summary>
    /// <param name="request">The write.</param>
    /// <param name="client">Who writes (<see cref="WriteClients"/>): admission takes turns between clients.</param>
    /// <param name="cancellationToken">Cancels the wait for admission (nothing is written then).</param>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT, RESOURCE_EXHAUSTED or UNAVAILABLE, as <see cref="EngineCalls"/> says.</exception>
    public async Task<WriteAck> WriteAsync(WriteRequest request, string client, CancellationToken cancellationToken = default) =>
        await (await PublishAsync(request, client, cancellationToken).ConfigureAwait(false))().ConfigureAwait(false);

    /// <summary>
    /// Validates, waits until <see cref="EngineNode.Admission"/> admits the request (the engine's
    /// apply backlog is within its budget and it is this client's turn), and publishes; the
    /// returned function awaits durability and builds the ack. The admission is released once
    /// what was published is applied.
    /// Points and check runs are two entries: if the ring fills between them, the points are
    /// written and the call still fails RESOURCE_EXHAUSTED. A request with a client id and
    /// sequence can be retried safely: the state machine skips the part already applied and the
    /// ack covers both (docs/clients.md). Without one, a client retrying the whole request may
    /// write those points twice (a point is a sample: the windows count it twice). A request
    /// refused admission wrote nothing.
    /// </summary>
    public async ValueTask<Func<Task<WriteAck>>> PublishAsync(WriteRequest request, string client, CancellationToken cancellationToken)
    {
        var (points, checkRuns) = WriteRequestConverter.ToEntries(request, _options.MaxPointsPerRequest);
        var pointCount = request.Points.Count;
        var checkRunCount = request.CheckRuns.Count;
        var ticket = await _engine.AdmitAsync(client, pointCount + checkRunCount, 0, cancellationToken).ConfigureAwait(false);
        var published = System.Diagnostics.Stopwatch.GetTimestamp();
        Task<AppliedEntry>? pointsWrite = null;
        Task<AppliedEntry>? checksWrite = null;
        try
        {
            pointsWrite = points is null ? null : _engine.Write(points);
            checksWrite = checkRuns is null ? null : _engine.Write(checkRuns);
        }
        finally
        {
            _engine.ReleaseWhenDone(ticket, pointsWrite, checksWrite);
        }

        return () => Acknowledge(published, request.BatchId, pointCount, checkRunCount, pointsWrite, checksWrite);
    }

    private async Task<WriteAck> Acknowledge(long published, ulong batchId, long pointCount, long checkRunCount, Task<AppliedEntry>? pointsWrite, Task<AppliedEntry>? checksWrite)
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
        _latency.Acknowledged(published);
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
