using System.Threading.Channels;
using Alerting.Engine.Pipeline;
using Alerting.Notifications;
using Alerting.Protocol.Log;

namespace Alerting.Server.Notifications;

/// <summary>
/// The dispatcher's recorder: every final outcome becomes a <c>NotificationDelivered</c> log
/// entry, so a restarted node (or a new primary) resends only what has not finished. The
/// dispatcher's threads only hand reports to a bounded channel; one writer task publishes them,
/// retrying with a bounded backoff while the input ring is full.
/// </summary>
public sealed class DeliveryLogWriter : IDeliveryRecorder, IAsyncDisposable
{
    /// <summary>Reports waiting to be written; past it a report is dropped and counted (its event is resent after a restart: at-least-once).</summary>
    public const int MaxQueuedReports = 65_536;

    /// <summary>Entries published before waiting for them to be durable: one group commit's worth.</summary>
    public const int MaxBatch = 256;

    /// <summary>First and longest wait before publishing again into a full input ring.</summary>
    public static readonly TimeSpan InitialRingBackoff = TimeSpan.FromMilliseconds(1);

    public static readonly TimeSpan MaxRingBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait for the remaining reports to be written when stopping.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly EngineNode _node;
    private readonly ILogger _log;
    private readonly Channel<DeliveryReport> _reports = Channel.CreateBounded<DeliveryReport>(
        new BoundedChannelOptions(MaxQueuedReports) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _writer;
    private long _dropped;
    private long _written;

    public DeliveryLogWriter(EngineNode node, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(log);
        _node = node;
        _log = log;
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Reports dropped because the channel was full or the writer had stopped.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary><c>NotificationDelivered</c> entries durable and applied.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Reports waiting to be written.</summary>
    public int Queued => _reports.Reader.Count;

    public void Completed(in DeliveryReport report)
    {
        if (report.Outcome is DeliveryOutcome.Rejected or DeliveryOutcome.Exhausted)
        {
            _log.LogWarning("notification {Id} to {Endpoint} {Outcome} after {Attempts} attempt(s), status {Status}: {Detail}",
                report.Id, report.Endpoint, report.Outcome, report.Attempts, report.StatusCode, report.Detail);
        }

        // TryWrite never waits: it answers false when the channel is full or completed.
        if (!_reports.Writer.TryWrite(report))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public void RetryScheduled(in RetryReport report) =>
        _log.LogDebug("notification {Id} to {Endpoint}: attempt {Attempts} failed (status {Status}), retrying in {Delay}",
            report.Id, report.Endpoint, report.Attempts, report.StatusCode, report.Delay);

    /// <summary>Writes what is queued (up to <see cref="DrainTimeout"/>), then stops. Call after the dispatcher stopped reporting, before the node closes.</summary>
    public async ValueTask DisposeAsync()
    {
        _reports.Writer.TryComplete();
        _abandon.CancelAfter(DrainTimeout);
        await _writer.ConfigureAwait(false);
        _abandon.Dispose();
    }

    private async Task WriteAsync()
    {
        var pending = new List<Task<AppliedEntry>>(MaxBatch);
        try
        {
            while (await _reports.Reader.WaitToReadAsync(_abandon.Token).ConfigureAwait(false))
            {
                pending.Clear();
                while (pending.Count < MaxBatch && _reports.Reader.TryRead(out var report))
                {
                    pending.Add(await PublishAsync(report).ConfigureAwait(false));
                }

                try
                {
                    await Task.WhenAll(pending).ConfigureAwait(false);
                    Interlocked.Add(ref _written, pending.Count);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The node refused or lost the entries: their events are resent after a restart.
                    Interlocked.Add(ref _dropped, pending.Count(t => !t.IsCompletedSuccessfully));
                    _log.LogError(e, "writing delivery records failed");
                }
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            var left = _reports.Reader.Count;
            Interlocked.Add(ref _dropped, left);
            _log.LogWarning("stopped with {Count} delivery report(s) unwritten; their events will be resent after the restart", left);
        }
    }

    private async Task<Task<AppliedEntry>> PublishAsync(DeliveryReport report)
    {
        var entry = new LogEntry
        {
            NotificationDelivered = new NotificationDelivered
            {
                MonitorId = report.Id.MonitorId,
                GroupKey = report.Id.GroupKey,
                TransitionNumber = report.Id.TransitionNumber,
                Endpoint = report.Endpoint,
            },
        };
        var backoff = InitialRingBackoff;
        while (true)
        {
            if (_node.TryWrite(entry) is { } written)
            {
                return written;
            }

            // The ring is full of ingest: this entry only saves a resend, so it yields to them.
            await Task.Delay(backoff, _abandon.Token).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxRingBackoff.Ticks));
        }
    }
}
