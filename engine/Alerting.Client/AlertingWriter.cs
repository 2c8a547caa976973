using System.Globalization;
using Alerting.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Alerting.Client;

/// <summary>
/// Writes batches to a cluster and retries them safely. Every batch carries this writer's client
/// id and the next sequence (1, 2, 3, ...), so the state machine applies it once however many
/// times it is sent, and a retry is answered with the original ack. A refusal naming the primary
/// (<see cref="WriteRetry.PrimaryTrailer"/>) is followed at once; UNAVAILABLE or a broken
/// connection moves to the next node after a backoff; a full ring retries the same node after a
/// backoff; INVALID_ARGUMENT and "too large" are thrown at once. <see cref="AlertingWriterOptions.Deadline"/>
/// bounds the whole write.
/// <para>
/// Writes go one at a time, in sequence order: a batch overtaken by a later one of the same
/// client would look like a retry and be dropped. For parallel ingest use several writers (each
/// with its own id).
/// </para>
/// </summary>
public sealed class AlertingWriter : IDisposable
{
    private readonly AlertingWriterOptions _options;
    private readonly Backoff _backoff;
    private readonly Metadata? _headers;
    private readonly List<Uri> _nodes;
    private readonly Dictionary<Uri, GrpcChannel> _channels = [];
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly BatchSequence _sequence;
    private int _current;
    private long _attempts;
    private long _redirects;

    public AlertingWriter(AlertingWriterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _backoff = new Backoff(options.InitialBackoff, options.MaxBackoff, options.Jitter);
        _headers = options.ApiKey is null ? null : new Metadata { { "authorization", "Bearer " + options.ApiKey } };
        _nodes = [.. options.Nodes];
        _sequence = new BatchSequence(options.ClientId ?? BatchSequence.NewClientId());
    }

    public string ClientId => _sequence.ClientId;

    /// <summary>The sequence the next batch gets.</summary>
    public ulong NextSequence => _sequence.Next;

    /// <summary>The node the next attempt goes to.</summary>
    public Uri CurrentNode
    {
        get
        {
            lock (_nodes)
            {
                return _nodes[_current];
            }
        }
    }

    /// <summary>Calls made, first attempts and retries.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Refusals that named the primary and were followed.</summary>
    public long Redirects => Interlocked.Read(ref _redirects);

    /// <summary>
    /// Writes <paramref name="request"/> (without client id or sequence: the writer sets them) and
    /// returns its ack once the batch is committed and applied.
    /// </summary>
    /// <exception cref="RpcException">
    /// The server refused it for good (INVALID_ARGUMENT, RESOURCE_EXHAUSTED too large, PERMISSION_DENIED, ...),
    /// or DEADLINE_EXCEEDED when no node acknowledged it in time: the batch may or may not be applied.
    /// </exception>
    public async Task<WriteAck> WriteAsync(WriteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ClientId.Length != 0 || request.Sequence != 0)
        {
            throw new ArgumentException("leave client_id and sequence empty: the writer numbers its batches", nameof(request));
        }

        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A sequence is spent even if the write fails: the next batch takes the one after (the
            // state machine accepts gaps), so a late arrival of this one is never mistaken for it.
            var numbered = _sequence.Stamp(request.Clone());
            return await SendAsync(numbered, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Sends one numbered batch until a node acknowledges it, it fails for good, or the deadline passes.</summary>
    private async Task<WriteAck> SendAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_options.Deadline, _options.Time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        RpcException? last = null;
        var retry = 0;
        var redirectedLast = false;
        while (true)
        {
            var node = CurrentNode;
            Interlocked.Increment(ref _attempts);
            using var attemptTimer = new CancellationTokenSource(_options.AttemptTimeout, _options.Time);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(bounded.Token, attemptTimer.Token);
            try
            {
                var client = new Ingest.IngestClient(Channel(node));
                return await client.WriteBatchAsync(request, _headers, cancellationToken: attempt.Token).ConfigureAwait(false);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (deadline.IsCancellationRequested)
                {
                    throw DeadlineExceeded(request, last ?? e);
                }

                last = e;
                // A node that did not answer in time is taken as stalled: the batch moves on.
                Uri? primary = null;
                var action = attemptTimer.IsCancellationRequested ? RetryAction.NextNode : WriteRetry.Classify(e, out primary);
                switch (action)
                {
                    case RetryAction.Fail:
                        throw;
                    case RetryAction.Redirect when MoveTo(primary!):
                        Interlocked.Increment(ref _redirects);
                        if (!redirectedLast)
                        {
                            // The first redirect goes at once; two in a row (an election under way) back off.
                            redirectedLast = true;
                            continue;
                        }

                        break;
                    case RetryAction.SameNode:
                        break;
                    default:
                        MoveToNext(node);
                        break;
                }
            }

            redirectedLast = false;
            try
            {
                await Task.Delay(_backoff.Delay(retry++), _options.Time, bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw DeadlineExceeded(request, last);
            }
        }
    }

    private RpcException DeadlineExceeded(WriteRequest request, RpcException? last) =>
        new(new Status(
            StatusCode.DeadlineExceeded,
            string.Create(CultureInfo.InvariantCulture, $"batch {request.Sequence} of client {ClientId} not acknowledged within {_options.Deadline.TotalMilliseconds} ms ({Attempts} attempts so far); it may or may not have been applied; last error: {last?.Status.Detail ?? "none"}"),
            last));

    /// <summary>Makes <paramref name="primary"/> the current node, adding it when there is room; false when there is none.</summary>
    private bool MoveTo(Uri primary)
    {
        lock (_nodes)
        {
            var at = _nodes.IndexOf(primary);
            if (at < 0)
            {
                if (_nodes.Count >= AlertingWriterOptions.MaxNodes)
                {
                    return false;
                }

                _nodes.Add(primary);
                at = _nodes.Count - 1;
            }

            _current = at;
            return true;
        }
    }

    private void MoveToNext(Uri failed)
    {
        lock (_nodes)
        {
            if (_nodes[_current] == failed)
            {
                _current = (_current + 1) % _nodes.Count;
            }
        }
    }

    private GrpcChannel Channel(Uri node)
    {
        lock (_channels)
        {
            if (!_channels.TryGetValue(node, out var channel))
            {
                channel = GrpcChannel.ForAddress(node);
                _channels.Add(node, channel);
            }

            return channel;
        }
    }

    public void Dispose()
    {
        lock (_channels)
        {
            foreach (var channel in _channels.Values)
            {
                channel.Dispose();
            }

            _channels.Clear();
        }

        _oneAtATime.Dispose();
    }
}
