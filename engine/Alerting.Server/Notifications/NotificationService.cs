using System.Diagnostics.Metrics;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Alerting.Notifications;
using Alerting.Server.Hosting;
using HistoryItem = Alerting.Engine.StateMachine.TransitionHistory.HistoryItem;

namespace Alerting.Server.Notifications;

/// <summary>
/// Sends transition events to the configured endpoints. On start it resends what the log holds
/// undelivered (events above the delivery ledger's finished number for each routed endpoint:
/// they were pending when the node stopped), then follows the transition history live. The
/// history holds only applied entries, and entries are applied once durable, so nothing is sent
/// for an event that could still be lost (DESIGN invariant 3). Each finished delivery is
/// written back to the log by <see cref="DeliveryLogWriter"/>.
/// </summary>
public sealed class NotificationService : IHostedService, IAsyncDisposable
{
    /// <summary>First and longest wait before asking a full input ring again for a read.</summary>
    public static readonly TimeSpan InitialQueryBackoff = TimeSpan.FromMilliseconds(1);

    public static readonly TimeSpan MaxQueryBackoff = TimeSpan.FromMilliseconds(200);

    private static readonly IReadOnlyList<string> NoTags = [];

    private readonly NotificationOptions _options;
    private readonly EngineNode _node;
    private readonly ILogger<NotificationService> _log;
    private readonly IMeterFactory _meters;
    private readonly CancellationTokenSource _stop = new();
    private NotificationRouter? _router;
    private HttpClient? _http;
    private DeliveryLogWriter? _writer;
    private NotificationDispatcher? _dispatcher;
    private Task? _follower;
    private int _stopped;

    public NotificationService(ServerOptions options, EngineNode node, ILogger<NotificationService> log, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Notifications;
        _node = node;
        _log = log;
        _meters = meters;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Endpoints.Count == 0)
        {
            return;
        }

        var endpoints = _options.CreateEndpoints();
        var router = new NotificationRouter(endpoints.Select(e => e.Name), _options.Default);
        _router = router;
        // The dispatcher times each attempt on its own clock (DeliveryOptions.RequestTimeout).
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        _writer = new DeliveryLogWriter(_node, _log);
        var dispatcher = new NotificationDispatcher(endpoints, new DeliveryOptions(), _http, _writer, TimeProvider.System, new Random(), _node.Term);
        _dispatcher = dispatcher;
        RegisterMetrics(dispatcher, endpoints, _writer);

        var (undelivered, after) = await QueryAsync(state => Undelivered(state, router), cancellationToken).ConfigureAwait(false);
        var results = dispatcher.Resume(undelivered);
        if (undelivered.Count > 0)
        {
            _log.LogInformation("resending {Count} undelivered notification(s) ({Accepted} queued)", undelivered.Count, results.Count(r => r == EnqueueResult.Accepted));
        }

        _follower = Task.Run(() => FollowAsync(after, _stop.Token), CancellationToken.None);
    }

    /// <summary>Stops following, stops sending, and writes the outcomes already known; the node is still open.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => ShutdownAsync();

    public ValueTask DisposeAsync() => new(ShutdownAsync());

    private async Task ShutdownAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_follower is not null)
        {
            await _follower.ConfigureAwait(false);
        }

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

    /// <summary>On the state-machine thread: every notifying event in the history not finished at an endpoint it routes to, and the newest index read.</summary>
    private static (List<PendingDelivery> Undelivered, long After) Undelivered(EngineState state, NotificationRouter router)
    {
        var items = new List<HistoryItem>();
        _ = state.History.CopyAfter(0, null, items, int.MaxValue);
        var undelivered = new List<PendingDelivery>();
        foreach (var item in items)
        {
            if (!item.Event.Notify)
            {
                continue;
            }

            Notification? notification = null;
            foreach (var endpoint in router.Route(item.Message))
            {
                var e = item.Event;
                if (e.TransitionNumber > state.Deliveries.Finished(endpoint, e.MonitorId, e.GroupKey))
                {
                    notification ??= NotificationOf(state, item);
                    undelivered.Add(new PendingDelivery(endpoint, notification));
                }
            }
        }

        return (undelivered, items.Count == 0 ? 0 : items[^1].Event.LogIndex);
    }

    private static Notification NotificationOf(EngineState state, HistoryItem item) =>
        state.TryGetMonitor(item.Event.MonitorId, out var monitor) && monitor is not null
            ? new Notification(item.Event, monitor.Name, monitor.Tags.ToArray(), item.Message)
            : new Notification(item.Event, "", NoTags, item.Message);

    /// <summary>
    /// Follows the history from <paramref name="after"/>. A batch holds everything new, bounded by
    /// the history's capacity; reading all of it keeps the position on a whole log index (several
    /// events share one).
    /// </summary>
    private async Task FollowAsync(long after, CancellationToken stop)
    {
        var history = _node.History;
        var batch = new List<HistoryItem>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                batch.Clear();
                var more = history.CopyAfter(after, null, batch, int.MaxValue);
                if (batch.Count == 0)
                {
                    await more.WaitAsync(stop).ConfigureAwait(false);
                    continue;
                }

                if (history.ForgottenBeforeIndex > after + 1)
                {
                    _log.LogWarning("the transition history dropped events after index {After} before they were read; they are sent after the next restart", after);
                }

                var notifying = batch.Where(i => i.Event.Notify).ToList();
                if (notifying.Count > 0)
                {
                    var notifications = await QueryAsync(state => notifying.Select(i => NotificationOf(state, i)).ToList(), stop).ConfigureAwait(false);
                    Enqueue(notifying, notifications);
                }

                after = batch[^1].Event.LogIndex;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: what is not enqueued yet stays undelivered in the log and is resent on the next start.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug or a closed node: stop following rather than fail the host's shutdown; what was not
            // enqueued stays undelivered in the log and is resent on the next start.
            _log.LogError(e, "following the transition history for notifications stopped after index {After}", after);
        }
    }

    private void Enqueue(List<HistoryItem> items, List<Notification> notifications)
    {
        var dispatcher = _dispatcher!;
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].Term > dispatcher.Term)
            {
                // Another node leads a later term: this one must send nothing more (DESIGN invariant 4).
                dispatcher.Fence(items[i].Term);
            }

            foreach (var endpoint in _router!.Route(items[i].Message))
            {
                var result = dispatcher.Enqueue(endpoint, notifications[i]);
                if (result is EnqueueResult.Overloaded or EnqueueResult.Fenced)
                {
                    _log.LogWarning("notification {Id} to {Endpoint} not queued: {Result}; it stays undelivered in the log and is sent after the next restart",
                        notifications[i].Id, endpoint, result);
                }
            }
        }
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

    private void RegisterMetrics(NotificationDispatcher dispatcher, IReadOnlyList<NotificationEndpoint> endpoints, DeliveryLogWriter writer)
    {
        var meter = _meters.Create(ServerMetrics.MeterName);
        var names = endpoints.Select(e => e.Name).ToArray();
        IEnumerable<Measurement<long>> Each(Func<DeliveryCounters, long> value) =>
            names.Select(n => new Measurement<long>(value(dispatcher.Counters(n)), new KeyValuePair<string, object?>("endpoint", n)));
        meter.CreateObservableGauge("alerting.notifications.queued", () => Each(c => c.QueueDepth), description: "Deliveries waiting, retrying or in flight, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.delivered", () => Each(c => c.Delivered), description: "Deliveries answered 2xx, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.failed", () => Each(c => c.Failed), description: "Deliveries rejected or exhausted, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.retried", () => Each(c => c.Retried), description: "Failed attempts retried, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.overloaded", () => Each(c => c.Overloaded), description: "Events refused by a queue limit, per endpoint");
        meter.CreateObservableCounter("alerting.notifications.records_dropped", () => writer.Dropped, description: "Delivery records not written (their events are resent after a restart)");
    }
}
