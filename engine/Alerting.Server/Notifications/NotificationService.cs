using System.Diagnostics.Metrics;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Alerting.Notifications;
using Alerting.Server.Hosting;
using HistoryItem = Alerting.Engine.StateMachine.TransitionHistory.HistoryItem;

namespace Alerting.Server.Notifications;

/// <summary>
/// The notification outbox. For each configured endpoint one reader follows the transition
/// history from the endpoint's cursor (every event before it is settled), skips what the
/// delivery ledger shows finished, and hands the rest to the dispatcher as its queue frees:
/// a full queue slows the reader, it never drops an event. While it waits, the events it has read
/// ahead coalesce per group (the newest state is sent, listing the ids it replaces). The history
/// holds only applied entries, and entries are applied once durable, so nothing is sent for an
/// event that could still be lost (DESIGN invariant 3). Each outcome is written back to the log by
/// <see cref="DeliveryLogWriter"/>, with the endpoint's cursor, which also keeps the history from
/// dropping an event some endpoint still waits for.
/// </summary>
public sealed class NotificationService : IHostedService, IAsyncDisposable
{
    /// <summary>First and longest wait before asking a full input ring again for a read.</summary>
    public static readonly TimeSpan InitialQueryBackoff = TimeSpan.FromMilliseconds(1);

    public static readonly TimeSpan MaxQueryBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>Failed deliveries re-queued by one retry call.</summary>
    public const int MaxRetriedPerCall = 10_000;

    /// <summary>Events whose monitors and ledger entries one query looks up: bounds each read's time on the state-machine thread.</summary>
    public const int MaxEventsPerQuery = 512;

    private static readonly IReadOnlyList<string> NoTags = [];

    private readonly NotificationOptions _options;
    private readonly EngineNode _node;
    private readonly ILogger<NotificationService> _log;
    private readonly IMeterFactory _meters;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _readers = [];
    private readonly Dictionary<string, EndpointOutbox> _outboxes = new(StringComparer.Ordinal);
    private NotificationRouter? _router;
    private HttpClient? _http;
    private DeliveryLogWriter? _writer;
    private NotificationDispatcher? _dispatcher;
    private int _stopped;

    public NotificationService(ServerOptions options, EngineNode node, ILogger<NotificationService> log, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Notifications;
        _node = node;
        _log = log;
        _meters = meters;
    }

    /// <summary>The configured endpoint names, ordinal order.</summary>
    public IReadOnlyList<string> Endpoints => _outboxes.Keys.Order(StringComparer.Ordinal).ToList();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        RegisterHistoryMetrics();
        if (_options.Endpoints.Count == 0)
        {
            await RetireAllAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var endpoints = _options.CreateEndpoints();
        var delivery = _options.Delivery;
        _router = new NotificationRouter(endpoints.Select(e => e.Name), _options.Default);
        // The dispatcher times each attempt on its own clock (DeliveryOptions.RequestTimeout).
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        var cursors = await QueryAsync(state => state.Deliveries.Cursors().ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
        foreach (var endpoint in endpoints)
        {
            // A retired endpoint configured again starts over from the oldest kept event; the ledger skips what it finished.
            var cursor = cursors.GetValueOrDefault(endpoint.Name);
            _outboxes.Add(endpoint.Name, new EndpointOutbox(endpoint.Name, cursor == DeliveryLedger.RetiredCursor ? 0 : cursor));
        }

        var capacity = endpoints.Count * (delivery.ReadAhead + delivery.MaxQueuedPerEndpoint + MaxRetriedPerCall + 1);
        _writer = new DeliveryLogWriter(_node, _log, _outboxes, capacity);
        var dispatcher = new NotificationDispatcher(endpoints, delivery.ToDeliveryOptions(), _http, _writer, TimeProvider.System, new Random(), _node.Term);
        _dispatcher = dispatcher;
        RegisterMetrics(dispatcher, endpoints, _writer);
        foreach (var (name, cursor) in cursors)
        {
            if (!_outboxes.ContainsKey(name) && cursor != DeliveryLedger.RetiredCursor)
            {
                _log.LogInformation("notification endpoint {Endpoint} is no longer configured; its undelivered events are released", name);
                _writer.Retire(name);
            }
        }

        foreach (var outbox in _outboxes.Values)
        {
            // The first cursor of a new endpoint pins the history from here on.
            _writer.RequestCursor(outbox.Endpoint);
            _readers.Add(Task.Run(() => FollowAsync(outbox, _stop.Token), CancellationToken.None));
        }
    }

    /// <summary>Stops following, stops sending, and writes the outcomes already known; the node is still open.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => ShutdownAsync();

    public ValueTask DisposeAsync() => new(ShutdownAsync());

    /// <summary>Per endpoint: its cursor, what is pending (read and not settled, up to <paramref name="limit"/> listed) and what failed (from the ledger).</summary>
    public async Task<IReadOnlyList<EndpointStatus>> ListAsync(string? endpoint, int limit, CancellationToken cancellation)
    {
        var names = Endpoints.Where(n => string.IsNullOrEmpty(endpoint) || n == endpoint).ToList();
        // One pass over the failures (at most DeliveryLedger.MaxFailed), keeping `limit` of each endpoint.
        var failed = await QueryAsync(
            state =>
            {
                var byEndpoint = names.ToDictionary(n => n, n => new FailedPage(state.Deliveries.Cursor(n)), StringComparer.Ordinal);
                foreach (var f in state.Deliveries.Failed())
                {
                    if (byEndpoint.TryGetValue(f.Endpoint, out var page))
                    {
                        page.Count++;
                        if (page.Failed.Count < limit)
                        {
                            page.Failed.Add(f);
                        }
                    }
                }

                return byEndpoint;
            },
            cancellation).ConfigureAwait(false);
        var pending = _dispatcher?.Pending() ?? [];
        var statuses = new List<EndpointStatus>(names.Count);
        foreach (var name in names)
        {
            var outbox = _outboxes[name];
            var counters = _dispatcher!.Counters(name);
            var queued = pending.Where(p => p.Endpoint == name).Take(limit).Select(p => p.Notification).ToList();
            var page = failed[name];
            statuses.Add(new EndpointStatus(name, outbox.Cursor, page.WrittenCursor, outbox.Outstanding, outbox.WaitingForRoom, queued, page.Failed, page.Count, counters));
        }

        return statuses;
    }

    /// <summary>
    /// Re-queues failed deliveries (refused or given up) that match: their events are read from the history
    /// again and sent, waiting for queue room. Returns what was re-queued and the failures whose events the
    /// history no longer holds.
    /// </summary>
    public async Task<(IReadOnlyList<DeliveryLedger.FailedDelivery> Requeued, IReadOnlyList<DeliveryLedger.FailedDelivery> Missing)> RetryAsync(
        string? endpoint, string? monitorId, string? groupKey, ulong transitionNumber, CancellationToken cancellation)
    {
        if (_dispatcher is not { } dispatcher)
        {
            return ([], []);
        }

        var failed = await QueryAsync(
            state => state.Deliveries.Failed()
                .Where(f => _outboxes.ContainsKey(f.Endpoint)
                    && (string.IsNullOrEmpty(endpoint) || f.Endpoint == endpoint)
                    && (string.IsNullOrEmpty(monitorId) || f.MonitorId == monitorId)
                    && (string.IsNullOrEmpty(groupKey) || f.GroupKey == groupKey)
                    && (transitionNumber == 0 || f.TransitionNumber == transitionNumber))
                .Take(MaxRetriedPerCall)
                .ToList(),
            cancellation).ConfigureAwait(false);
        var requeued = new List<DeliveryLedger.FailedDelivery>();
        var missing = new List<DeliveryLedger.FailedDelivery>();
        var found = new List<HistoryItem>(1);
        foreach (var f in failed)
        {
            found.Clear();
            _ = _node.History.CopyAfter(
                f.LogIndex - 1,
                e => e.LogIndex == f.LogIndex && e.TransitionNumber == f.TransitionNumber && e.MonitorId == f.MonitorId && e.GroupKey == f.GroupKey,
                found,
                1);
            if (found.Count == 0 || found[0].Event.LogIndex != f.LogIndex)
            {
                missing.Add(f);
                continue;
            }

            var item = found[0];
            var notification = await QueryAsync(state => NotificationOf(state, item), cancellation).ConfigureAwait(false);
            if (!_outboxes[f.Endpoint].TrackRetry(notification.Id, f.LogIndex))
            {
                // Already on its way (a retry of a retry).
                requeued.Add(f);
                continue;
            }

            while (true)
            {
                var result = dispatcher.Enqueue(f.Endpoint, notification);
                if (result == EnqueueResult.Overloaded)
                {
                    await dispatcher.WhenRoomAsync(f.Endpoint, cancellation).ConfigureAwait(false);
                    continue;
                }

                if (result == EnqueueResult.NotNotified)
                {
                    _outboxes[f.Endpoint].Settle(notification.Id, []);
                }

                break;
            }

            requeued.Add(f);
        }

        return (requeued, missing);
    }

    /// <summary>No endpoint is configured: the cursors of earlier endpoints are retired, or they would hold the history's events for good.</summary>
    private async Task RetireAllAsync(CancellationToken cancellation)
    {
        var stale = await QueryAsync(
            state => state.Deliveries.Cursors().Where(c => c.Value != DeliveryLedger.RetiredCursor).Select(c => c.Key).ToList(),
            cancellation).ConfigureAwait(false);
        if (stale.Count == 0)
        {
            return;
        }

        _writer = new DeliveryLogWriter(_node, _log, _outboxes, stale.Count);
        foreach (var name in stale)
        {
            _log.LogInformation("notification endpoint {Endpoint} is no longer configured; its undelivered events are released", name);
            _writer.Retire(name);
        }
    }

    private async Task ShutdownAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_readers).ConfigureAwait(false);
        if (_dispatcher is not null)
        {
            await _dispatcher.DisposeAsync().ConfigureAwait(false);
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }

        _http?.Dispose();
        _stop.Dispose();
    }

    private static Notification NotificationOf(EngineState state, HistoryItem item) =>
        state.TryGetMonitor(item.Event.MonitorId, out var monitor) && monitor is not null
            ? new Notification(item.Event, monitor.Name, monitor.Tags.ToArray(), item.Message)
            : new Notification(item.Event, "", NoTags, item.Message);

    /// <summary>
    /// The outbox reader of one endpoint. Reads ahead at most <see cref="NotificationDeliveryOptions.ReadAhead"/>
    /// events (and only while fewer than that plus the queue size are unsettled), queues them in log order
    /// as the dispatcher has room, and coalesces the ones still waiting per group.
    /// </summary>
    private async Task FollowAsync(EndpointOutbox outbox, CancellationToken stop)
    {
        var name = outbox.Endpoint;
        var dispatcher = _dispatcher!;
        var history = _node.History;
        var readAhead = _options.Delivery.ReadAhead;
        var maxOutstanding = readAhead + _options.Delivery.MaxQueuedPerEndpoint;
        var window = new CoalescingWindow(_options.Delivery.Coalesce);
        var batch = new List<HistoryItem>();
        var routed = new List<(HistoryItem Item, long Sequence)>();
        var peek = new List<HistoryItem>(1);
        var sequence = history.FirstSequenceAtOrAfter(outbox.Cursor);
        var pendingDropped = history.PendingDropped;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Taken before the room is measured, so a settle in between still wakes the wait below.
                var settled = outbox.WhenSettled;
                var room = Math.Min(readAhead - window.Count, maxOutstanding - outbox.Outstanding);
                var appended = Task.CompletedTask;
                var readFull = false;
                if (room > 0)
                {
                    batch.Clear();
                    appended = history.CopyFrom(sequence, batch, room, out var next);
                    var first = next - batch.Count;
                    // Events skipped over were dropped while unread: harmless when nobody waited for them (they did not
                    // notify), a loss when the byte bound dropped pending ones.
                    if (first > sequence && history.PendingDropped is var dropped && dropped > pendingDropped)
                    {
                        _log.LogError("the transition history reached its byte bound and dropped {Count} pending event(s); up to {Skipped} event(s) the outbox of {Endpoint} had not read are not sent (see alerting.history.pending_dropped)", dropped - pendingDropped, first - sequence, name);
                        pendingDropped = dropped;
                    }

                    readFull = batch.Count == room;
                    // Several events share a log index (one applied entry appends all of its events at once): the
                    // read holds every event of its last index unless the history has more of that index after it.
                    // A full read that happened to take the newest event has read its index too; treating it as
                    // partial left the cursor on the newest index until some later event was appended.
                    var lastIndexComplete = batch.Count > 0 && (!readFull || !HasMoreOfIndex(history, next, batch[^1].Event.LogIndex, peek));
                    await ReadAsync(outbox, window, batch, first, routed, lastIndexComplete, stop).ConfigureAwait(false);
                    sequence = next;
                }

                var blocked = Drain(outbox, window, dispatcher);
                outbox.WaitingForRoom = window.Count;
                if (blocked == EnqueueResult.Fenced)
                {
                    return;
                }

                if (readFull && window.Count < readAhead)
                {
                    continue;
                }

                var waits = new List<Task>(3);
                if (blocked == EnqueueResult.Overloaded)
                {
                    waits.Add(dispatcher.WhenRoomAsync(name, stop));
                }

                if (room > 0)
                {
                    waits.Add(appended);
                }
                else
                {
                    // Nothing can be read until something settles (or, with a full window, until the queue frees).
                    waits.Add(settled);
                }

                await Task.WhenAny(waits).WaitAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: what is not settled stays above the endpoint's cursor and is sent on the next start.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug or a closed node: stop this reader rather than fail the host's shutdown; what is not
            // settled stays above the endpoint's cursor and is sent on the next start.
            _log.LogError(e, "the notification outbox of {Endpoint} stopped at history sequence {Sequence}", name, sequence);
        }
    }

    /// <summary>Whether the history holds an event at sequence <paramref name="next"/> with log index <paramref name="logIndex"/>.</summary>
    private static bool HasMoreOfIndex(TransitionHistory history, long next, long logIndex, List<HistoryItem> peek)
    {
        peek.Clear();
        _ = history.CopyFrom(next, peek, 1, out _);
        return peek.Count > 0 && peek[0].Event.LogIndex == logIndex;
    }

    /// <summary>
    /// Takes the events of <paramref name="batch"/> routed to the endpoint and not finished into the window, and moves the read
    /// cursor: past the last event's log index when <paramref name="lastIndexComplete"/>, else up to it.
    /// </summary>
    private async Task ReadAsync(EndpointOutbox outbox, CoalescingWindow window, List<HistoryItem> batch, long firstSequence, List<(HistoryItem Item, long Sequence)> routed, bool lastIndexComplete, CancellationToken stop)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var name = outbox.Endpoint;
        routed.Clear();
        for (var i = 0; i < batch.Count; i++)
        {
            var item = batch[i];
            if (item.Term > _dispatcher!.Term)
            {
                // Another node leads a later term: this one must send nothing more (DESIGN invariant 4).
                _dispatcher.Fence(item.Term);
            }

            if (item.Event.Notify && _router!.Route(item.Message).Contains(name))
            {
                routed.Add((item, firstSequence + i));
            }
        }

        for (var start = 0; start < routed.Count; start += MaxEventsPerQuery)
        {
            var chunk = routed.Skip(start).Take(MaxEventsPerQuery).ToList();
            var read = await QueryAsync(
                state => chunk.Select(r => (Notification: NotificationOf(state, r.Item), Finished: state.Deliveries.Finished(name, r.Item.Event.MonitorId, r.Item.Event.GroupKey))).ToList(),
                stop).ConfigureAwait(false);
            for (var i = 0; i < read.Count; i++)
            {
                var (notification, finished) = read[i];
                if (notification.Event.TransitionNumber > finished && outbox.Track(notification.Id, notification.Event.LogIndex, chunk[i].Sequence))
                {
                    window.Add(chunk[i].Sequence, notification);
                }
            }
        }

        var last = batch[^1].Event.LogIndex;
        outbox.ReadBefore(lastIndexComplete ? last + 1 : last);
        _writer!.RequestCursor(name);
    }

    /// <summary>Queues the window's events in log order until the dispatcher is full; answers why it stopped.</summary>
    private static EnqueueResult Drain(EndpointOutbox outbox, CoalescingWindow window, NotificationDispatcher dispatcher)
    {
        while (window.TryPeek(out var notification))
        {
            var result = dispatcher.Enqueue(outbox.Endpoint, notification);
            switch (result)
            {
                case EnqueueResult.Overloaded:
                case EnqueueResult.Fenced:
                    return result;
                case EnqueueResult.NotNotified:
                    // Nothing to send (and nothing recorded): settled as it is.
                    outbox.Settle(notification.Id, notification.Replaces);
                    break;
            }

            window.RemoveFirst();
        }

        return EnqueueResult.Accepted;
    }

    /// <summary>A read on the state-machine thread, asking again with a bounded backoff while the input ring is full.</summary>
    private async Task<T> QueryAsync<T>(Func<EngineState, T> read, CancellationToken cancellation)
    {
        var backoff = InitialQueryBackoff;
        while (true)
        {
            if (_node.TryQuery(read) is { } answer)
            {
                return await answer.WaitAsync(cancellation).ConfigureAwait(false);
            }

            await Task.Delay(backoff, cancellation).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxQueryBackoff.Ticks));
        }
    }

    private void RegisterHistoryMetrics()
    {
        var meter = _meters.Create(ServerMetrics.MeterName);
        var history = _node.History;
        meter.CreateObservableGauge("alerting.history.bytes", () => history.Bytes, unit: "By", description: "Estimated bytes of the transition history, pending events included");
        meter.CreateObservableGauge("alerting.history.events", () => history.Count, description: "Transition events kept in the history");
        meter.CreateObservableCounter("alerting.history.pending_dropped", () => history.PendingDropped, description: "Events dropped by the history's byte bound while a notification endpoint still waited for them");
    }

    private void RegisterMetrics(NotificationDispatcher dispatcher, IReadOnlyList<NotificationEndpoint> endpoints, DeliveryLogWriter writer)
    {
        var meter = _meters.Create(ServerMetrics.MeterName);
        var names = endpoints.Select(e => e.Name).ToArray();
        IEnumerable<Measurement<long>> Each(Func<string, long> value) =>
            names.Select(n => new Measurement<long>(value(n), new KeyValuePair<string, object?>("endpoint", n)));
        meter.CreateObservableGauge("alerting.notifications.queued", () => Each(n => dispatcher.Counters(n).QueueDepth), description: "Deliveries waiting, retrying or in flight, per endpoint");
        meter.CreateObservableGauge("alerting.notifications.pending", () => Each(n => _outboxes[n].Outstanding), description: "Events read by the outbox and not settled (queued, or waiting for queue room), per endpoint");
        meter.CreateObservableGauge("alerting.notifications.cursor", () => Each(n => _outboxes[n].Cursor), description: "Log index before which every event is settled, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.delivered", () => Each(n => dispatcher.Counters(n).Delivered), description: "Deliveries answered 2xx, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.failed", () => Each(n => dispatcher.Counters(n).Failed), description: "Deliveries rejected or given up, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.superseded", () => Each(n => dispatcher.Counters(n).Superseded), description: "Deliveries coalesced into a newer event of their group, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.retried", () => Each(n => dispatcher.Counters(n).Retried), description: "Failed attempts retried, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.records_dropped", () => writer.Dropped, description: "Delivery records not written (their events are resent after a restart)");
    }

    /// <summary>The failures of one endpoint a list shows, and how many there are.</summary>
    private sealed class FailedPage(long writtenCursor)
    {
        public long WrittenCursor { get; } = writtenCursor;

        public List<DeliveryLedger.FailedDelivery> Failed { get; } = [];

        public int Count { get; set; }
    }

    /// <summary>One endpoint's outbox, for <c>alertctl notifications</c>.</summary>
    public sealed record EndpointStatus(
        string Endpoint,
        long Cursor,
        long WrittenCursor,
        int Outstanding,
        int WaitingForRoom,
        IReadOnlyList<Notification> Queued,
        IReadOnlyList<DeliveryLedger.FailedDelivery> Failed,
        int FailedCount,
        DeliveryCounters Counters);
}
