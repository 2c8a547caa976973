namespace Alerting.Client;

/// <summary>Settings of an <see cref="AlertingWriter"/>; every limit is named here.</summary>
public sealed class AlertingWriterOptions
{
    /// <summary>Most nodes a writer knows, the configured ones plus primaries learned from redirects.</summary>
    public const int MaxNodes = 16;

    /// <summary>Default bound on one write, every attempt and backoff included.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Default bound on one attempt: past it the node is taken as stalled and the batch goes to the next one.</summary>
    public static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan DefaultInitialBackoff = TimeSpan.FromMilliseconds(20);

    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromSeconds(1);

    /// <summary>gRPC addresses of the cluster's nodes (any order; the writer starts with the first).</summary>
    public required IReadOnlyList<Uri> Nodes { get; init; }

    /// <summary>
    /// Names this writer to the state machine's deduplication. It must be unique among writers
    /// that run at the same time: two writers sharing an id make each other's batches look like
    /// retries, and those are dropped. Null: a new random id.
    /// </summary>
    public string? ClientId { get; init; }

    /// <summary>Sent as <c>authorization: Bearer</c> on every call, when set.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Bound on one write: its attempts, redirects and backoffs. Past it the write fails DEADLINE_EXCEEDED (it may or may not have been applied).</summary>
    public TimeSpan Deadline { get; init; } = DefaultDeadline;

    /// <summary>
    /// Bound on one attempt. A node that takes the connection but does not answer (stopped,
    /// partitioned from its quorum) is left after it and the same batch goes to the next node.
    /// Keep it above the slowest normal ack (an attempt that times out is sent again elsewhere,
    /// which is safe, but costs a round).
    /// </summary>
    public TimeSpan AttemptTimeout { get; init; } = DefaultAttemptTimeout;

    public TimeSpan InitialBackoff { get; init; } = DefaultInitialBackoff;

    public TimeSpan MaxBackoff { get; init; } = DefaultMaxBackoff;

    /// <summary>The backoff's random source; pass a seeded one to replay the same delays.</summary>
    public Random Jitter { get; init; } = new();

    /// <summary>The clock of backoff delays and of the deadline (a fake one in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first unusable setting.</summary>
    public void Validate()
    {
        if (Nodes is null || Nodes.Count == 0)
        {
            throw new ArgumentException("Nodes: give at least one node address", nameof(Nodes));
        }

        if (Nodes.Count > MaxNodes)
        {
            throw new ArgumentException($"Nodes: at most {MaxNodes} node addresses, got {Nodes.Count}", nameof(Nodes));
        }

        foreach (var node in Nodes)
        {
            if (node is null || !node.IsAbsoluteUri || (node.Scheme != Uri.UriSchemeHttp && node.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"Nodes: '{node}' is not an http:// or https:// URL", nameof(Nodes));
            }
        }

        if (ClientId is { } id && (id.Length is 0 or > MaxClientIdLength || id.Any(char.IsControl)))
        {
            throw new ArgumentException($"ClientId: 1 to {MaxClientIdLength} characters without control characters", nameof(ClientId));
        }

        if (Deadline <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Deadline must be positive, was {Deadline}", nameof(Deadline));
        }

        if (AttemptTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"AttemptTimeout must be positive, was {AttemptTimeout}", nameof(AttemptTimeout));
        }

        if (InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ArgumentException($"backoff: need 0 < InitialBackoff ({InitialBackoff}) <= MaxBackoff ({MaxBackoff})", nameof(InitialBackoff));
        }
    }

    /// <summary>Longest client id the server takes (its <c>ClientSessions.MaxClientIdLength</c>).</summary>
    public const int MaxClientIdLength = 128;

    /// <summary>Parses a comma-separated list of node addresses (<c>--nodes</c>, <c>ALERTING_NODES</c>).</summary>
    public static IReadOnlyList<Uri> ParseNodes(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var nodes = new List<Uri>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"'{part}' is not an http:// or https:// URL", nameof(list));
            }

            nodes.Add(uri);
        }

        return nodes;
    }
}
