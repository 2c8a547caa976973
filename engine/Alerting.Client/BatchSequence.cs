using Alerting.Protocol.V1;

namespace Alerting.Client;

/// <summary>
/// Numbers one client's batches: its id and the next sequence (from 1). <see cref="AlertingWriter"/>
/// uses it; so does a writer that pipelines batches on one <c>Ingest.Write</c> stream (the perf
/// harness), where batches reach the log in the order sent. Whoever stamps batches must send them
/// in sequence order: one overtaken by a later batch of the same client is dropped as a retry.
/// </summary>
public sealed class BatchSequence
{
    private long _next;

    public BatchSequence(string clientId, ulong first = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentOutOfRangeException.ThrowIfZero(first);
        if (clientId.Length > AlertingWriterOptions.MaxClientIdLength || clientId.Any(char.IsControl))
        {
            throw new ArgumentException($"a client id has 1 to {AlertingWriterOptions.MaxClientIdLength} characters and no control characters", nameof(clientId));
        }

        ClientId = clientId;
        _next = (long)first;
    }

    public string ClientId { get; }

    /// <summary>The sequence the next stamped batch gets.</summary>
    public ulong Next => (ulong)Interlocked.Read(ref _next);

    /// <summary>Sets <paramref name="request"/>'s client id and the next sequence (spent even if the batch is never sent: gaps are fine).</summary>
    public WriteRequest Stamp(WriteRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ClientId = ClientId;
        request.Sequence = (ulong)Interlocked.Increment(ref _next) - 1;
        return request;
    }

    /// <summary>A new random client id with a readable prefix.</summary>
    public static string NewClientId(string prefix = "writer") => prefix + "-" + Guid.NewGuid().ToString("N");
}
