using System.Diagnostics.Metrics;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Alerting.Notifications;
using Alerting.Protocol.Log;
using Alerting.Server.Hosting;
using Alerting.Server.Replication;
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
/// <remarks>
/// Delivery runs as one <em>run</em> per term this node leads. A single node starts its run at once.
/// In a cluster (<see cref="Replicator"/>) a run starts when this node's term-start entry is applied
/// (its state then holds every committed outcome and cursor of earlier primaries, so it resumes
/// where they settled), writes its outcomes through the replicator (committed on a quorum), and is
/// fenced the moment the node stops being primary: its dispatcher sends nothing more, and the run is
/// taken down in the background. A standby keeps the history and the ledger and sends nothing.
/// </remarks>
public sealed class NotificationService : IHostedService, IAsyncDisposable, ILeadershipObserver
{
    /// <summary>First and longest wait before asking a full input ring again for a read.</summary>
    public static readonly TimeSpan InitialQueryBackoff = TimeSpan.FromMilliseconds(1);

    public static readonly TimeSpan MaxQueryBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>Failed deliveries re-queued by one retry call.</summary>
    public const int MaxRetriedPerCall = 10_000;

    /// <summary>Events whose monitors and ledger entries one query looks up: bounds each read's time on the state-machine thread.</summary>
    public const int MaxEventsPerQuery = 512;

    /// <summary>Header naming the sending node on every request of a clustered node (with <see cref="NotificationEndpoint.TermHeader"/>: who sent it in which term).</summary>
    public const string NodeHeader = "X-Alerting-Node";

    private static readonly IReadOnlyList<string> NoTags = [];

    private readonly NotificationOptions _options;
    private readonly EngineNode _node;
    private readonly Replicator? _replicator;
    private readonly string _nodeId;
    private readonly ILogger<NotificationService> _log;
    private readonly IMeterFactory _meters;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private Run? _run;
    private long _fencedTerm;
    private int _stopped;

    public NotificationService(ServerOptions options, EngineNode node, ILogger<NotificationService> log, IMeterFactory meters, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        _options = options.Notifications;
        _nodeId = options.NodeId;
        _node = node;
        _replicator = services.GetService<Replicator>();
        _log = log;
        _meters = meters;
    }

    /// <summary>The configured endpoint names, ordinal order, while this node runs delivery; empty otherwise.</summary>
    public IReadOnlyList<string> Endpoints => Current?.Outboxes.Keys.Order(StringComparer.Ordinal).ToList() ?? [];

    /// <summary>The term whose delivery run is live (not fenced), or null when this node sends nothing.</summary>
    public ulong? RunningTerm => Current is { Dispatcher: { IsStopped: false } dispatcher } ? dispatcher.Term : null;

    private Run? Current => Volatile.Read(ref _run);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        RegisterHistoryMetrics();
        RegisterMetrics();
        if (_replicator is { } replicator)
        {
            // Runs follow the replicated role: started on PrimaryReady, fenced on PrimaryLost.
            replicator.Observe(this);
            return;
        }

        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await StartRunAsync(_node.Term, _node.TryWrite, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Stops following, stops sending, and writes the outcomes already known; the node is still open.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => ShutdownAsync();

    public ValueTask DisposeAsync() => new(ShutdownAsync());

    /// <inheritdoc/>
    public void PrimaryReady(long term) => _ = StartForTermAsync(term);

    /// <inheritdoc/>
    public void PrimaryLost(long term)
    {
        // Full fence: a run published after this read sees the fenced term (StartForTermAsync reads it after publishing).
        InterlockedMax(ref _fencedTerm, term);
        if (Current is { } run && run.Term <= (ulong)term)
        {
            // At once, on the caller's thread: no send starts after the loss (one in flight may finish or is cancelled).
            run.Dispatcher?.Stop();
            _ = StopRunAsync(run);
        }
    }

    /// <summary>Starts delivery for <paramref name="term"/> unless the term was lost meanwhile; never throws (it runs in the background).</summary>
    private async Task StartForTermAsync(long term)
    {
        try
        {
            await _turn.WaitAsync().ConfigureAwait(false);
            try
            {
                if (Volatile.Read(ref _stopped) != 0 || Interlocked.Read(ref _fencedTerm) >= term)
                {
                    return;
                }

                if (Current is { } old)
                {
                    old.Dispatcher?.Stop();
                    await StopRunCoreAsync(old).ConfigureAwait(false);
                }

                var replicator = _replicator!;
                await StartRunAsync((ulong)term, replicator.TryWrite, CancellationToken.None).ConfigureAwait(false);
                if (Interlocked.Read(ref _fencedTerm) >= term && Current is { } started)
                {
                    // Lost while starting: PrimaryLost may have missed this run.
                    started.Dispatcher?.Stop();
                    await StopRunCoreAsync(started).ConfigureAwait(false);
                }
                else
                {
                    _log.LogWarning("node {Node} delivers notifications as the primary of term {Term}", _nodeId, term);
                }
            }
            finally
            {
                _turn.Release();
            }
        }
#pragma warning disable CA1031 // Background: a failed start is logged, never thrown into the host (DESIGN invariant 9); the next term tries again.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log.LogError(e, "notification delivery did not start for term {Term}; undelivered events stay in the log for the next primary", term);
        }
    }

    private async Task StopRunAsync(Run run)
    {
        try
        {
            await _turn.WaitAsync().ConfigureAwait(false);
            try
            {
                if (ReferenceEquals(Current, run))
                {
                    await StopRunCoreAsync(run).ConfigureAwait(false);
                }
            }
            finally
            {
                _turn.Release();
            }
        }
#pragma warning disable CA1031 // Background: logged, never thrown into the host.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log.LogError(e, "stopping the notification run of term {Term} failed", run.Term);
        }
    }

    /// <summary>Builds and starts a run. Call holding <see cref="_turn"/>.</summary>
    private async Task StartRunAsync(ulong term, Func<LogEntry, Task<AppliedEntry>?> write, CancellationToken cancellationToken)
    {
        if (_options.Endpoints.Count == 0)
        {
            await RetireAllAsync(write, cancellationToken).ConfigureAwait(false);
            return;
        }

        var run = new Run(term);
        var endpoints = _options.CreateEndpoints();
        var delivery = _options.Delivery;
        run.Router = new NotificationRouter(endpoints.Select(e => e.Name), _options.Default);
        // The dispatcher times each attempt on its own clock (DeliveryOptions.RequestTimeout).
        run.Http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        if (_replicator is not null)
        {
            run.Http.DefaultRequestHeaders.TryAddWithoutValidation(NodeHeader, _nodeId);
        }

        try
        {
            var cursors = await QueryAsync(state => state.Deliveries.Cursors().ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
            foreach (var endpoint in endpoints)
            {
                // A retired endpoint configured again starts over from the oldest kept event; the ledger skips what it finished.
                var cursor = cursors.GetValueOrDefault(endpoint.Name);
                run.Outboxes.Add(endpoint.Name, new EndpointOutbox(endpoint.Name, cursor == DeliveryLedger.RetiredCursor ? 0 : cursor));
            }

            var capacity = endpoints.Count * (delivery.ReadAhead + delivery.MaxQueuedPerEndpoint + MaxRetriedPerCall + 1);
            run.Writer = new DeliveryLogWriter(write, _log, run.Outboxes, capacity);
            var replicator = _replicator;
            run.Dispatcher = new NotificationDispatcher(endpoints, delivery.ToDeliveryOptions(), run.Http, run.Writer, TimeProvider.System, new Random(), term)
            {
                // Replicated: a request starts only while this node holds its quorum lease in the run's term.
                SendGate = replicator is null ? null : () => replicator.HoldsLease((long)term),
            };
            foreach (var (name, cursor) in cursors)
            {
                if (!run.Outboxes.ContainsKey(name) && cursor != DeliveryLedger.RetiredCursor)
                {
                    _log.LogInformation("notification endpoint {Endpoint} is no longer configured; its undelivered events are released", name);
                    run.Writer.Retire(name);
                }
            }
        }
        catch
        {
            await StopRunCoreAsync(run).ConfigureAwait(false);
            throw;
        }

        Interlocked.Exchange(ref _run, run);
        foreach (var outbox in run.Outboxes.Values)
        {
            // The first cursor of a new endpoint pins the history from here on.
            run.Writer.RequestCursor(outbox.Endpoint);
            run.Readers.Add(Task.Run(() => FollowAsync(run, outbox, run.Stop.Token), CancellationToken.None));
        }
    }

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
        var run = Current;
        var pending = run?.Dispatcher?.Pending() ?? [];
        var statuses = new List<EndpointStatus>(names.Count);
        foreach (var name in names)
        {
            if (run?.Dispatcher is not { } dispatcher || !run.Outboxes.TryGetValue(name, out var outbox))
            {
                // The run ended between the two reads.
                continue;
            }

            var counters = dispatcher.Counters(name);
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
        if (Current is not { Dispatcher: { } dispatcher } run)
        {
            return ([], []);
        }

        var outboxes = run.Outboxes;

        var failed = await QueryAsync(
            state => state.Deliveries.Failed()
                .Where(f => outboxes.ContainsKey(f.Endpoint)
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
            if (!outboxes[f.Endpoint].TrackRetry(notification.Id, f.LogIndex))
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
                    outboxes[f.Endpoint].Settle(notification.Id, []);
                }

                break;
            }

            requeued.Add(f);
        }

        return (requeued, missing);
    }

    /// <summary>No endpoint is configured: the cursors of earlier endpoints are retired, or they would hold the history's events for good.</summary>
    private async Task RetireAllAsync(Func<LogEntry, Task<AppliedEntry>?> write, CancellationToken cancellation)
    {
        var stale = await QueryAsync(
            state => state.Deliveries.Cursors().Where(c => c.Value != DeliveryLedger.RetiredCursor).Select(c => c.Key).ToList(),
            cancellation).ConfigureAwait(false);
        if (stale.Count == 0)
        {
            return;
        }

        var writer = new DeliveryLogWriter(write, _log, new Dictionary<string, EndpointOutbox>(StringComparer.Ordinal), stale.Count);
        foreach (var name in stale)
        {
            _log.LogInformation("notification endpoint {Endpoint} is no longer configured; its undelivered events are released", name);
            writer.Retire(name);
        }

        // Writes what was queued, then stops.
        await writer.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ShutdownAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Current is { } run)
            {
                await StopRunCoreAsync(run).ConfigureAwait(false);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Stops a run's readers and dispatcher and writes the outcomes already known. Call holding <see cref="_turn"/>.</summary>
    private async Task StopRunCoreAsync(Run run)
    {
        Interlocked.CompareExchange(ref _run, null, run);
        await run.Stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(run.Readers).ConfigureAwait(false);
        if (run.Dispatcher is not null)
        {
            await run.Dispatcher.DisposeAsync().ConfigureAwait(false);
        }

        if (run.Writer is not null)
        {
            await run.Writer.DisposeAsync().ConfigureAwait(false);
        }

        run.Http?.Dispose();
        run.Stop.Dispose();
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static Notification NotificationOf(EngineState state, HistoryItem item, Dictionary<string, Protocol.Log.Monitor?>? decoded = null)
    {
        Protocol.Log.Monitor? monitor;
        if (decoded is null || !decoded.TryGetValue(item.Event.MonitorId, out monitor))
        {
            monitor = state.TryGetMonitor(item.Event.MonitorId, out var found) ? found : null;
            decoded?.Add(item.Event.MonitorId, monitor);
        }

        return monitor is not null
            ? new Notification(item.Event, monitor.Name, monitor.Tags.ToArray(), item.Message)
            {
                Critical = monitor.Options?.Thresholds is { HasCritical: true } t ? t.Critical : null,
                Warning = monitor.Options?.Thresholds is { HasWarning: true } w ? w.Warning : null,
            }
            : new Notification(item.Event, "", NoTags, item.Message);
    }

    /// <summary>
    /// The outbox reader of one endpoint. Reads ahead at most <see cref="NotificationDeliveryOptions.ReadAhead"/>
    /// events (and only while fewer than that plus the queue size are unsettled), queues them in log order
    /// as the dispatcher has room, and coalesces the ones still waiting per group.
    /// </summary>
    private async Task FollowAsync(Run run, EndpointOutbox outbox, CancellationToken stop)
    {
        var name = outbox.Endpoint;
        var dispatcher = run.Dispatcher!;
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
                    await ReadAsync(run, outbox, window, batch, first, routed, lastIndexComplete, stop).ConfigureAwait(false);
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
    private async Task ReadAsync(Run run, EndpointOutbox outbox, CoalescingWindow window, List<HistoryItem> batch, long firstSequence, List<(HistoryItem Item, long Sequence)> routed, bool lastIndexComplete, CancellationToken stop)
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
            if (item.Term > run.Dispatcher!.Term)
            {
                // Another node leads a later term: this one must send nothing more (DESIGN invariant 4).
                run.Dispatcher.Fence(item.Term);
            }

            if (item.Event.Notify && run.Router!.Route(item.Message).Contains(name))
            {
                routed.Add((item, firstSequence + i));
            }
        }

        for (var start = 0; start < routed.Count; start += MaxEventsPerQuery)
        {
            var chunk = routed.Skip(start).Take(MaxEventsPerQuery).ToList();
            var read = await QueryAsync(
                state =>
                {
                    // A monitor's definition is decoded once per chunk, not once per event (an alert storm is
                    // mostly one monitor's groups; this runs on the state-machine thread).
                    var monitors = new Dictionary<string, Protocol.Log.Monitor?>(StringComparer.Ordinal);
                    return chunk.Select(r => (Notification: NotificationOf(state, r.Item, monitors), Finished: state.Deliveries.Finished(name, r.Item.Event.MonitorId, r.Item.Event.GroupKey))).ToList();
                },
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
        run.Writer!.RequestCursor(name);
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

    /// <summary>The outbox gauges and counters, read from the live run (none while this node runs no delivery; a new run starts its counters over).</summary>
    private void RegisterMetrics()
    {
        if (_options.Endpoints.Count == 0)
        {
            return;
        }

        var meter = _meters.Create(ServerMetrics.MeterName);
        var names = _options.Endpoints.Select(e => e.Name).ToArray();
        IEnumerable<Measurement<long>> Each(Func<Run, NotificationDispatcher, string, long> value) =>
            Current is { Dispatcher: { } dispatcher } run
                ? names.Where(run.Outboxes.ContainsKey).Select(n => new Measurement<long>(value(run, dispatcher, n), new KeyValuePair<string, object?>("endpoint", n))).ToArray()
                : [];
        meter.CreateObservableGauge("alerting.notifications.queued", () => Each((_, d, n) => d.Counters(n).QueueDepth), description: "Deliveries waiting, retrying or in flight, per endpoint");
        meter.CreateObservableGauge("alerting.notifications.pending", () => Each((r, _, n) => r.Outboxes[n].Outstanding), description: "Events read by the outbox and not settled (queued, or waiting for queue room), per endpoint");
        meter.CreateObservableGauge("alerting.notifications.cursor", () => Each((r, _, n) => r.Outboxes[n].Cursor), description: "Log index before which every event is settled, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.delivered", () => Each((_, d, n) => d.Counters(n).Delivered), description: "Deliveries answered 2xx, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.failed", () => Each((_, d, n) => d.Counters(n).Failed), description: "Deliveries rejected or given up, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.superseded", () => Each((_, d, n) => d.Counters(n).Superseded), description: "Deliveries coalesced into a newer event of their group, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.retried", () => Each((_, d, n) => d.Counters(n).Retried), description: "Failed attempts retried, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.records_dropped", () => Current?.Writer?.Dropped ?? 0, description: "Delivery records not written (their events are resent after a restart)");
    }

    /// <summary>The failures of one endpoint a list shows, and how many there are.</summary>
    private sealed class FailedPage(long writtenCursor)
    {
        public long WrittenCursor { get; } = writtenCursor;

        public List<DeliveryLedger.FailedDelivery> Failed { get; } = [];

        public int Count { get; set; }
    }

    /// <summary>Delivery for one term this node leads: its outboxes, dispatcher (fenced to the term) and log writer.</summary>
    private sealed class Run(ulong term)
    {
        public ulong Term { get; } = term;

        public Dictionary<string, EndpointOutbox> Outboxes { get; } = new(StringComparer.Ordinal);

        public List<Task> Readers { get; } = [];

        public CancellationTokenSource Stop { get; } = new();

        public NotificationRouter? Router { get; set; }

        public HttpClient? Http { get; set; }

        public DeliveryLogWriter? Writer { get; set; }

        public NotificationDispatcher? Dispatcher { get; set; }
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
