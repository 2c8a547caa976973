using Alerting.Engine.Pipeline;
using Alerting.Protocol.Log;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>
/// The services' door into the engine: publishing refused because the input ring is full
/// becomes RESOURCE_EXHAUSTED at once (the ring never queues; "retry"); an entry larger than the
/// journal takes is RESOURCE_EXHAUSTED too, but "split it" and marked so HTTP answers 413; a node already stopping, or
/// one that is not the primary, becomes UNAVAILABLE; so does a faulted node (a full disk), both
/// for a new write and for one it held when it failed, with the reason.
/// </summary>
public sealed class EngineCalls
{
    private readonly Hosting.LatencyHistograms? _latency;
    private readonly ILogger<EngineCalls>? _logger;
    private long _releaseFaults;
    private volatile string? _lastReleaseFault;

    public EngineCalls(EngineNode node, Replication.Replicator? replicator = null, Hosting.LatencyHistograms? latency = null, ILogger<EngineCalls>? logger = null)
    {
        Node = node;
        Replicator = replicator;
        _latency = latency;
        _logger = logger;
    }

    /// <summary>Admission releases, run once a write was applied, that threw (a bug: each one leaves its cost in the backlog).</summary>
    public long ReleaseFaults => Interlocked.Read(ref _releaseFaults);

    /// <summary>The newest release fault, or null.</summary>
    public string? LastReleaseFault => _lastReleaseFault;

    public EngineNode Node { get; }

    /// <summary>Durability <c>replicated</c>: writes go through the consensus core (null on a single node).</summary>
    public Replication.Replicator? Replicator { get; }

    public Task<AppliedEntry> Write(LogEntry entry)
    {
        try
        {
            var written = (Replicator is { } replicator ? replicator.TryWrite(entry) : Node.TryWrite(entry)) ?? throw RingFull();
            return written.IsCompletedSuccessfully ? written : UnavailableIfFaulted(written);
        }
        catch (ObjectDisposedException)
        {
            throw Stopping();
        }
        catch (EntryTooLargeException e)
        {
            throw TooLarge(e);
        }
        catch (NotPrimaryException e)
        {
            throw NotPrimary(e);
        }
        catch (EngineFaultedException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (Replication.ReplicationBackpressureException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
    }

    /// <summary>
    /// Waits for <see cref="EngineNode.Admission"/> to admit a client write of <paramref name="points"/>
    /// points (or check runs) and <paramref name="entries"/> other entries from <paramref name="client"/>
    /// (its connection: lanes take turns). Release the ticket with <see cref="ReleaseWhenDone"/>.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED: the wait queue is full or the write waited too long; nothing was written.</exception>
    public async ValueTask<AdmissionTicket> AdmitAsync(string client, long points, int entries, CancellationToken cancellationToken)
    {
        try
        {
            var ticket = await Node.Admission.AdmitAsync(client, Node.ApplyCosts.Estimate(points, entries), cancellationToken).ConfigureAwait(false);
            _latency?.Admitted(ticket.Waited);
            return ticket;
        }
        catch (AdmissionRefusedException e)
        {
            throw AdmissionRefused(e);
        }
    }

    /// <summary>Releases <paramref name="ticket"/> once every write published under it is applied or failed (null: not published).</summary>
    public void ReleaseWhenDone(AdmissionTicket ticket, Task? first, Task? second)
    {
        if ((first is null || first.IsCompleted) && (second is null || second.IsCompleted))
        {
            Node.Admission.Release(ticket);
            return;
        }

        _ = ReleaseAfter(ticket, first, second);
    }

    /// <summary>
    /// A client's write of one entry (a monitor, a downtime): admitted as <see cref="AdmitAsync"/>
    /// says, then as <see cref="Write"/>.
    /// </summary>
    public async Task<AppliedEntry> WriteAsync(LogEntry entry, string client, CancellationToken cancellationToken)
    {
        var (points, entries) = ApplyCostEstimate.UnitsOf(entry);
        var ticket = await AdmitAsync(client, points, entries, cancellationToken).ConfigureAwait(false);
        Task<AppliedEntry>? written = null;
        try
        {
            written = Write(entry);
        }
        finally
        {
            ReleaseWhenDone(ticket, written, null);
        }

        return await written.ConfigureAwait(false);
    }

    public Task<T> Query<T>(Func<Engine.StateMachine.EngineState, T> read)
    {
        try
        {
            return Node.TryQuery(read) ?? throw RingFull();
        }
        catch (ObjectDisposedException)
        {
            throw Stopping();
        }
    }

    private async Task ReleaseAfter(AdmissionTicket ticket, Task? first, Task? second)
    {
        // The writers observe the outcomes; this only waits for them.
        if (first is not null)
        {
            await first.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (second is not null)
        {
            await second.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        try
        {
            Node.Admission.Release(ticket);
        }
#pragma warning disable CA1031 // Nothing awaits this task: a fault must be recorded here, not thrown into the pool.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _releaseFaults);
            _lastReleaseFault = $"releasing an admission of {ticket.CostNanos} ns threw {e.GetType().Name}: {e.Message}";
            _logger?.LogError(e, "alerting: admission release failed; its cost stays in the apply backlog");
        }
    }

    private static async Task<AppliedEntry> UnavailableIfFaulted(Task<AppliedEntry> written)
    {
        try
        {
            return await written.ConfigureAwait(false);
        }
        catch (EngineFaultedException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (NotPrimaryException e)
        {
            // Replicated: the node lost its term before the write committed; the outcome is unknown.
            throw NotPrimary(e);
        }
        catch (Replication.ReplicationBackpressureException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
        catch (ObjectDisposedException)
        {
            throw Stopping();
        }
    }

    /// <summary>
    /// RESOURCE_EXHAUSTED with <see cref="TooLargeTrailer"/> (the journal's limit in bytes), which
    /// tells it from a full ring: retrying never helps, so the JSON API answers 413, not 429
    /// (<see cref="TooLargeStatusInterceptor"/>).
    /// </summary>
    internal static RpcException TooLarge(EntryTooLargeException e) =>
        new(new Status(StatusCode.ResourceExhausted, e.Message), new Metadata { { TooLargeTrailer, e.LimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) } });

    /// <summary>
    /// RESOURCE_EXHAUSTED with a <c>google.rpc.RetryInfo</c> (<see cref="AdmissionRetryDelay"/>) in the
    /// status details (<see cref="StatusDetailsTrailer"/>): the OTLP exporters retry RESOURCE_EXHAUSTED
    /// only when the server says it is retryable that way; nothing of the write was written.
    /// </summary>
    internal static RpcException AdmissionRefused(AdmissionRefusedException e)
    {
        var details = new Google.Rpc.Status
        {
            Code = (int)StatusCode.ResourceExhausted,
            Message = e.Message,
            Details = { Google.Protobuf.WellKnownTypes.Any.Pack(new Google.Rpc.RetryInfo { RetryDelay = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(AdmissionRetryDelay) }) },
        };
        return new RpcException(new Status(StatusCode.ResourceExhausted, e.Message), new Metadata { { StatusDetailsTrailer, Google.Protobuf.MessageExtensions.ToByteArray(details) } });
    }

    /// <summary>The delay a write refused admission is told to wait before retrying (RetryInfo; HTTP <c>Retry-After</c>).</summary>
    public static readonly TimeSpan AdmissionRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>gRPC's trailer for the full <c>google.rpc.Status</c>, details included (what Grpc.StatusProto reads).</summary>
    public const string StatusDetailsTrailer = "grpc-status-details-bin";

    /// <summary>The retry delay a <c>google.rpc.RetryInfo</c> in <paramref name="e"/>'s status details asks for, if any.</summary>
    public static TimeSpan? RetryDelayOf(RpcException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Trailers.GetValueBytes(StatusDetailsTrailer) is not { } bytes)
        {
            return null;
        }

        Google.Rpc.Status status;
        try
        {
            status = Google.Rpc.Status.Parser.ParseFrom(bytes);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            return null;
        }

        foreach (var detail in status.Details)
        {
            if (detail.TryUnpack<Google.Rpc.RetryInfo>(out var retry))
            {
                return retry.RetryDelay?.ToTimeSpan();
            }
        }

        return null;
    }

    /// <summary>Trailer of a call refused because its entry exceeds the journal's limit; the value is the limit in bytes.</summary>
    public const string TooLargeTrailer = "alerting-entry-limit-bytes";

    /// <summary>
    /// UNAVAILABLE, with the primary's address in <see cref="PrimaryTrailer"/> when this node knows it,
    /// so a client retries there.
    /// </summary>
    internal static RpcException NotPrimary(NotPrimaryException e) =>
        e.PrimaryAddress is { } primary
            ? new(new Status(StatusCode.Unavailable, $"{e.Message}; the primary is {primary}"), new Metadata { { PrimaryTrailer, primary } })
            : new(new Status(StatusCode.Unavailable, e.Message));

    /// <summary>Trailer of a write refused by a node that is not the primary: the primary's gRPC address, when known.</summary>
    public const string PrimaryTrailer = "alerting-primary";

    private static RpcException RingFull() =>
        new(new Status(StatusCode.ResourceExhausted, "the engine's input ring is full; retry with backoff"));

    private static RpcException Stopping() =>
        new(new Status(StatusCode.Unavailable, "the server is shutting down"));
}
