using System.Threading.Channels;
using Alerting.Replication;
using Grpc.Net.Client;
using Wire = Alerting.Protocol.Replication;

namespace Alerting.Server.Replication;

/// <summary>
/// This node's messages to one peer: one client stream (<c>Replication.Send</c>) kept open,
/// carrying batches of what is queued. A broken stream is reopened with backoff. The queue is
/// bounded and drops its oldest message when full: the consensus core tolerates loss and resends.
/// </summary>
public sealed class PeerSender : IAsyncDisposable
{
    /// <summary>Messages queued for the peer; beyond it the oldest is dropped.</summary>
    public const int MaxQueuedMessages = 4096;

    /// <summary>Messages per batch on the stream.</summary>
    public const int MaxMessagesPerBatch = 256;

    /// <summary>First and longest wait before reconnecting to a peer that is down.</summary>
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(5);

    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(200);

    private readonly Channel<(ReplicationMessage Message, long Stamp)> _queue = Channel.CreateBounded<(ReplicationMessage Message, long Stamp)>(
        new BoundedChannelOptions(MaxQueuedMessages) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true });

    private readonly GrpcChannel _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private long _sent;
    private long _failures;

    public PeerSender(int peerId, Uri address, int maxMessageBytes)
    {
        PeerId = peerId;
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxSendMessageSize = maxMessageBytes,
            MaxReceiveMessageSize = maxMessageBytes,
            // The channel's own reconnect backoff defaults to seconds: a restarted peer must hear from the primary within an election timeout.
            InitialReconnectBackoff = InitialBackoff,
            MaxReconnectBackoff = MaxBackoff,
        });
        _run = Task.Run(RunAsync);
    }

    public int PeerId { get; }

    /// <summary>Messages written to the stream so far.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Streams that broke (the peer down or restarting).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Opens a snapshot fetch from this peer (the primary that offered one) on the peer's channel.</summary>
    public Grpc.Core.AsyncServerStreamingCall<Wire.SnapshotChunk> FetchSnapshot(Wire.SnapshotFetchRequest request, CancellationToken cancellationToken) =>
        new Wire.Replication.ReplicationClient(_channel).FetchSnapshot(request, cancellationToken: cancellationToken);

    /// <summary>Queues a message with its lease stamp (<see cref="MessageCodec.ToWire"/>); never blocks, may drop the oldest queued one.</summary>
    public void Send(ReplicationMessage message, long stamp) => _queue.Writer.TryWrite((message, stamp));

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        _channel.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var client = new Wire.Replication.ReplicationClient(_channel);
        var backoff = InitialBackoff;
        var batch = new List<ReplicationMessage>(MaxMessagesPerBatch);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var call = client.Send(cancellationToken: _stop.Token);
                while (await _queue.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                {
                    var wire = new Wire.MessageBatch();
                    while (wire.Messages.Count < MaxMessagesPerBatch && _queue.Reader.TryRead(out var queued))
                    {
                        wire.Messages.Add(MessageCodec.ToWire(queued.Message, queued.Stamp));
                    }

                    await call.RequestStream.WriteAsync(wire, _stop.Token).ConfigureAwait(false);
                    Interlocked.Add(ref _sent, wire.Messages.Count);
                    backoff = InitialBackoff;
                }

                return;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A peer that is down or restarting breaks the stream in many ways; reconnect, never stop sending.
            catch (Exception)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _failures);
            }

            try
            {
                await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }
}
