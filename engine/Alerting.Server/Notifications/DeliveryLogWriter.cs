using System.Threading.Channels;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Alerting.Notifications;
using Alerting.Protocol.Log;
using LogOutcome = Alerting.Protocol.Log.DeliveryOutcome;
using Outcome = Alerting.Notifications.DeliveryOutcome;

namespace Alerting.Server.Notifications;

/// <summary>
/// The dispatcher's recorder: every final outcome becomes a <c>NotificationDelivered</c> log
/// entry (delivered, rejected, gave up or superseded), so a restarted node (or a new primary)
/// resends only what has not finished, and failures are listed and retryable. Each entry also
/// carries its endpoint's outbox cursor; cursor-only entries move it when nothing is reported.
/// The dispatcher's threads only hand reports to a channel; one writer task publishes them,
/// retrying with a bounded backoff while the input ring is full, and settles them in the
/// endpoint's outbox once they are durable and applied.
/// </summary>
public sealed class DeliveryLogWriter : IDeliveryRecorder, IAsyncDisposable
{
    /// <summary>Entries published before waiting for them to be durable: one group commit's worth.</summary>
    public const int MaxBatch = 256;

    /// <summary>Characters of a failure's detail written to the log.</summary>
    public const int MaxDetailChars = DeliveryLedger.MaxDetailChars;

    /// <summary>First and longest wait before publishing again into a full input ring.</summary>
    public static readonly TimeSpan InitialRingBackoff = TimeSpan.FromMilliseconds(1);

    public static readonly TimeSpan MaxRingBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait for the remaining reports to be written when stopping.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Func<LogEntry, Task<AppliedEntry>?> _write;
    private readonly ILogger _log;
    private readonly IReadOnlyDictionary<string, EndpointOutbox> _outboxes;
    private readonly Channel<Record> _records;
    private readonly Dictionary<string, long> _writtenCursors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _cursorRequested = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _writer;
    private long _dropped;
    private long _written;

    /// <param name="write">
    /// Publishes an entry: the node's <see cref="EngineNode.TryWrite"/> on a single node, the replicator's on a primary
    /// (completes once committed and applied in the term it was proposed in). Null means the input ring is full.
    /// </param>
    /// <param name="capacity">
    /// Records that may wait: the outboxes bound how many events are outstanding (read and not settled), and
    /// each has at most one report, plus one cursor request per endpoint. A record that does not fit is a bug, counted in <see cref="Dropped"/>.
    /// </param>
    public DeliveryLogWriter(Func<LogEntry, Task<AppliedEntry>?> write, ILogger log, IReadOnlyDictionary<string, EndpointOutbox> outboxes, int capacity)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(outboxes);
        _write = write;
        _log = log;
        _outboxes = outboxes;
        _records = Channel.CreateBounded<Record>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        foreach (var name in outboxes.Keys)
        {
            _cursorRequested.Add(name, 0);
        }

        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Records not written: the channel was full (a bug), the writer had stopped, or the node refused them.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary><c>NotificationDelivered</c> entries durable and applied.</summary>
    public long Written => Interlocked.Read(ref _written);

    public void Completed(in DeliveryReport report)
    {
        if (report.Outcome is Outcome.Rejected or Outcome.Exhausted)
        {
            _log.LogWarning("notification {Id} to {Endpoint} {Outcome} after {Attempts} attempt(s), status {Status}: {Detail}; listed by 'alertctl notifications', retry with 'alertctl notifications retry'",
                report.Id, report.Endpoint, report.Outcome, report.Attempts, report.StatusCode, report.Detail);
        }

        Enqueue(new Record(report.Endpoint, report, Retire: false));
    }

    public void RetryScheduled(in RetryReport report) =>
        _log.LogDebug("notification {Id} to {Endpoint}: attempt {Attempts} failed (status {Status}), retrying in {Delay}",
            report.Id, report.Endpoint, report.Attempts, report.StatusCode, report.Delay);

    /// <summary>Asks for the endpoint's cursor to be written if it moved; at most one request per endpoint waits.</summary>
    public void RequestCursor(string endpoint)
    {
        lock (_cursorRequested)
        {
            if (_cursorRequested[endpoint] != 0)
            {
                return;
            }

            _cursorRequested[endpoint] = 1;
        }

        if (!_records.Writer.TryWrite(new Record(endpoint, null, Retire: false)))
        {
            // Not queued (the writer is stopping): a later request may try again.
            lock (_cursorRequested)
            {
                _cursorRequested[endpoint] = 0;
            }
        }
    }

    /// <summary>Writes the cursor that retires an endpoint no longer configured, so it stops holding events in the history.</summary>
    public void Retire(string endpoint) => Enqueue(new Record(endpoint, null, Retire: true));

    /// <summary>Writes what is queued (up to <see cref="DrainTimeout"/>), then stops. Call after the dispatcher stopped reporting, before the node closes.</summary>
    public async ValueTask DisposeAsync()
    {
        _records.Writer.TryComplete();
        _abandon.CancelAfter(DrainTimeout);
        await _writer.ConfigureAwait(false);
        _abandon.Dispose();
    }

    private void Enqueue(Record record)
    {
        // TryWrite never waits: it answers false when the channel is full or completed.
        if (!_records.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task WriteAsync()
    {
        var batch = new List<(Record Record, Task<AppliedEntry> Applied)>(MaxBatch);
        try
        {
            while (await _records.Reader.WaitToReadAsync(_abandon.Token).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _records.Reader.TryRead(out var record))
                {
                    if (EntryOf(record) is { } entry)
                    {
                        batch.Add((record, await PublishAsync(entry).ConfigureAwait(false)));
                    }
                }

                foreach (var (record, applied) in batch)
                {
                    try
                    {
                        await applied.ConfigureAwait(false);
                        Interlocked.Increment(ref _written);
                        if (record.Report is { } report && _outboxes.TryGetValue(report.Endpoint, out var outbox))
                        {
                            outbox.Settle(report.Id, report.Replaces);
                            RequestCursor(report.Endpoint);
                        }
                    }
                    catch (NotPrimaryException)
                    {
                        // This node stopped being the primary of the term the record was written in: its outcome is
                        // unknown, and the event stays unsettled in the log, so the next primary sends it again.
                        Interlocked.Increment(ref _dropped);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // The node refused or lost the entry: its event stays outstanding, and is resent after a restart.
                        Interlocked.Increment(ref _dropped);
                        _log.LogError(e, "writing a delivery record for {Endpoint} failed", record.Endpoint);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            var left = _records.Reader.Count;
            Interlocked.Add(ref _dropped, left);
            _log.LogWarning("stopped with {Count} delivery record(s) unwritten; their events will be resent after the restart", left);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug or a closed node: stop writing rather than fault DisposeAsync (DESIGN invariant 9). Later records
            // count as dropped (the channel is completed); their events stay outstanding and are resent after a restart.
            _records.Writer.TryComplete();
            var left = _records.Reader.Count;
            Interlocked.Add(ref _dropped, left);
            _log.LogError(e, "the delivery log writer stopped with {Count} delivery record(s) unwritten; their events will be resent after the restart", left);
        }
    }

    /// <summary>The entry for a record, or null for a cursor request whose cursor has not moved since it was last written.</summary>
    private LogEntry? EntryOf(Record record)
    {
        var delivered = new NotificationDelivered { Endpoint = record.Endpoint };
        if (record.Retire)
        {
            delivered.SettledBeforeIndex = DeliveryLedger.RetiredCursor;
            return new LogEntry { NotificationDelivered = delivered };
        }

        if (record.Report is null)
        {
            lock (_cursorRequested)
            {
                _cursorRequested[record.Endpoint] = 0;
            }
        }

        var cursor = _outboxes[record.Endpoint].Cursor;
        var written = _writtenCursors.GetValueOrDefault(record.Endpoint);
        if (cursor > written)
        {
            delivered.SettledBeforeIndex = cursor;
            _writtenCursors[record.Endpoint] = cursor;
        }

        if (record.Report is not { } report)
        {
            return delivered.SettledBeforeIndex > 0 ? new LogEntry { NotificationDelivered = delivered } : null;
        }

        delivered.MonitorId = report.Id.MonitorId;
        delivered.GroupKey = report.Id.GroupKey;
        delivered.TransitionNumber = report.Id.TransitionNumber;
        delivered.LogIndex = report.LogIndex;
        delivered.Outcome = report.Outcome switch
        {
            Outcome.Delivered => LogOutcome.Delivered,
            Outcome.Rejected => LogOutcome.Rejected,
            Outcome.Exhausted => LogOutcome.GaveUp,
            Outcome.Superseded => LogOutcome.Superseded,
            _ => throw new InvalidOperationException($"delivery outcome {report.Outcome} has no log value"),
        };
        delivered.Attempts = (uint)Math.Max(report.Attempts, 0);
        delivered.StatusCode = report.StatusCode;
        var detail = report.Detail ?? "";
        delivered.Detail = detail.Length <= MaxDetailChars ? detail : detail[..MaxDetailChars];
        foreach (var replaced in report.Replaces)
        {
            delivered.ReplacedTransitionNumbers.Add(replaced.TransitionNumber);
        }

        return new LogEntry { NotificationDelivered = delivered };
    }

    private async Task<Task<AppliedEntry>> PublishAsync(LogEntry entry)
    {
        var backoff = InitialRingBackoff;
        while (true)
        {
            Task<AppliedEntry>? written;
            try
            {
                written = _write(entry);
            }
            catch (NotPrimaryException e)
            {
                return Task.FromException<AppliedEntry>(e);
            }

            if (written is not null)
            {
                return written;
            }

            // The ring is full of ingest: this entry only settles a delivery, so it yields to them.
            await Task.Delay(backoff, _abandon.Token).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxRingBackoff.Ticks));
        }
    }

    /// <summary>A final outcome to write, or (no report) a request to write the endpoint's cursor.</summary>
    private readonly record struct Record(string Endpoint, DeliveryReport? Report, bool Retire);
}
