using Alerting.Engine;
using Attempt = Alerting.Notifications.SendAttempt;
using AttemptKind = Alerting.Notifications.SendOutcome;

namespace Alerting.Notifications;

/// <summary>
/// Sends notifications to endpoints: at least once, in order per key (monitor id + group key), with retries,
/// bounded queues and superseded retries dropped (DESIGN section 7).
/// </summary>
/// <remarks>
/// <para>Each key of each endpoint has its own queue and a single worker, so event k+1 of a key is not sent
/// before event k is delivered, refused for good, exhausted or superseded, while a stuck key never holds back
/// another. A newer event of a key supersedes every older event of that key that is not on the wire: only the
/// newest state of a group matters to a receiver, and a trigger retried after its resolve would reopen an
/// incident. An older event that is on the wire when a newer one arrives is superseded if that attempt fails.</para>
/// <para>Retries: 408, 429, 5xx (SMTP: 4xx), network errors and timeouts, with exponential backoff and "equal jitter"
/// (a delay in [b/2, b] for a backoff b), or the receiver's Retry-After when it gives one. Any other status
/// is final. Timers and timeouts run on the injected <see cref="TimeProvider"/>.</para>
/// <para>Fencing (DESIGN invariant 4): <see cref="Fence"/> with a higher term, or <see cref="Stop"/>, cancels
/// requests in flight and sends nothing more; undelivered events stay in <see cref="Pending"/> and in the log,
/// and the new primary resends them.</para>
/// </remarks>
public sealed class NotificationDispatcher : IAsyncDisposable
{
    /// <summary>Bytes of an error answer kept in the report's detail: enough for Alertmanager's or PagerDuty's reason.</summary>
    public const int MaxErrorBodyBytes = 512;

    private readonly Dictionary<string, EndpointQueue> _endpoints = new(StringComparer.Ordinal);
    private readonly DeliveryOptions _options;
    private readonly HttpClient _http;
    private readonly IDeliveryRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly Random _jitter;
    private readonly CancellationTokenSource _stop = new();
    private readonly SendContext _context;

    /// <param name="endpoints">The configured endpoints; names must be unique.</param>
    /// <param name="http">Caller-owned client; tests pass one over a loopback handler.</param>
    /// <param name="jitter">Source of backoff jitter; seed it to replay a run. Used under a lock.</param>
    /// <param name="term">The term this node leads; every request carries it.</param>
    public NotificationDispatcher(
        IEnumerable<NotificationEndpoint> endpoints,
        DeliveryOptions options,
        HttpClient http,
        IDeliveryRecorder recorder,
        TimeProvider time,
        Random jitter,
        ulong term)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(jitter);
        options.Validate();
        foreach (var endpoint in endpoints)
        {
            endpoint.Validate();
            if (_endpoints.ContainsKey(endpoint.Name))
            {
                throw new ArgumentException($"endpoint name '{endpoint.Name}' is used twice; names must be unique", nameof(endpoints));
            }

            _endpoints.Add(endpoint.Name, new EndpointQueue(endpoint, options.MaxConcurrentRequestsPerEndpoint));
        }

        _options = options;
        _http = http;
        _recorder = recorder;
        _time = time;
        _jitter = jitter;
        Term = term;
        _context = new SendContext(http, options, time, term);
    }

    public ulong Term { get; }

    /// <summary>
    /// Asked right before each request is started; while it answers false nothing is sent (the delivery waits,
    /// its attempts not counted, rechecking every <see cref="GateRecheckInterval"/>). A replicated primary answers
    /// whether it holds its quorum lease, so a primary that was paused or cut off starts no request before it
    /// learns it was deposed (DESIGN invariant 4). Null: always send.
    /// </summary>
    public Func<bool>? SendGate { get; init; }

    /// <summary>How often a closed <see cref="SendGate"/> is asked again.</summary>
    public static readonly TimeSpan GateRecheckInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>True once fenced or stopped: nothing is sent any more.</summary>
    public bool IsStopped => _stop.IsCancellationRequested;

    public IEnumerable<string> EndpointNames => _endpoints.Keys;

    /// <summary>
    /// Queues <paramref name="notification"/> for <paramref name="endpoint"/>. Call only for events whose log entry
    /// is durable (DESIGN invariant 3), in log order per key. Never blocks on the network.
    /// </summary>
    public EnqueueResult Enqueue(string endpoint, Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var queue = QueueOf(endpoint);
        if (IsStopped)
        {
            return EnqueueResult.Fenced;
        }

        var action = NotificationPolicy.ActionOf(notification.Event);
        if (action == NotificationAction.None)
        {
            return EnqueueResult.NotNotified;
        }

        var id = notification.Id;
        List<Delivery>? superseded = null;
        TransitionId? staleBehind = null;
        lock (queue)
        {
            // A registered key with no event left is one whose worker settled its last event and has not
            // looked again yet: it takes the new one on its next turn (the key is still its own).
            if (queue.Keys.TryGetValue(id.Key, out var keyQueue) && keyQueue.Items.Count > 0)
            {
                var newestNumber = keyQueue.Items[^1].Number;
                foreach (var item in keyQueue.Items)
                {
                    if (item.Number == id.TransitionNumber)
                    {
                        return EnqueueResult.Duplicate;
                    }
                }

                if (id.TransitionNumber < newestNumber)
                {
                    queue.Superseded++;
                    var newest = keyQueue.Items[^1];
                    staleBehind = newest.Notification.Id;
                    if (_options.Coalesce && !newest.InFlight)
                    {
                        newest.Notification = newest.Notification with { Replaces = Merge(newest.Notification.Replaces, [notification]) };
                    }
                }
                else if (!_options.Coalesce)
                {
                    if (queue.Depth >= _options.MaxQueuedPerEndpoint)
                    {
                        queue.Overloaded++;
                        return EnqueueResult.Overloaded;
                    }
                }
                else
                {
                    superseded = Supersede(queue, keyQueue);
                    if (superseded is null)
                    {
                        queue.Overloaded++;
                        return EnqueueResult.Overloaded;
                    }

                    if (superseded.Count > 0)
                    {
                        notification = notification with { Replaces = Merge(notification.Replaces, superseded.Select(d => d.Notification)) };
                    }
                }
            }
            else if (keyQueue is not null)
            {
                // (If the dispatcher stopped meanwhile its worker has left; the add below starts one, which ends at once.)
                if (queue.Depth >= _options.MaxQueuedPerEndpoint)
                {
                    queue.Overloaded++;
                    return EnqueueResult.Overloaded;
                }
            }
            else
            {
                if (queue.Keys.Count >= _options.MaxKeysPerEndpoint || queue.Depth >= _options.MaxQueuedPerEndpoint)
                {
                    queue.Overloaded++;
                    return EnqueueResult.Overloaded;
                }

                keyQueue = new KeyQueue(id.Key);
                queue.Keys.Add(id.Key, keyQueue);
            }

            if (staleBehind is null)
            {
                keyQueue.Items.Add(new Delivery(notification, action, _time.GetUtcNow()));
                queue.Depth++;
                keyQueue.Worker ??= Task.Run(() => RunKeyAsync(queue, keyQueue));
            }
        }

        if (staleBehind is { } newer)
        {
            Report(queue, new Delivery(notification, action, _time.GetUtcNow()), DeliveryOutcome.Superseded, 0, $"superseded by {newer}, already queued");
            return EnqueueResult.Stale;
        }

        if (superseded is not null)
        {
            foreach (var old in superseded)
            {
                Report(queue, old, DeliveryOutcome.Superseded, 0, $"superseded by {id}");
            }
        }

        return EnqueueResult.Accepted;
    }

    /// <summary>
    /// Completes when <paramref name="endpoint"/>'s queue has room for an event of a new key (at once when it has);
    /// a caller that got <see cref="EnqueueResult.Overloaded"/> waits here and enqueues again: backpressure
    /// instead of a drop. Also completes when the dispatcher stops (the next enqueue answers Fenced).
    /// </summary>
    public Task WhenRoomAsync(string endpoint, CancellationToken cancellation)
    {
        var queue = QueueOf(endpoint);
        lock (queue)
        {
            if (IsStopped || HasRoom(queue))
            {
                return Task.CompletedTask;
            }

            queue.RoomFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return queue.RoomFreed.Task.WaitAsync(cancellation);
        }
    }

    /// <summary>
    /// Resends undelivered events on startup or promotion (the log's transitions without a <c>NotificationDelivered</c>),
    /// in log order. Several events of one key collapse to the newest, the older ones reported as superseded.
    /// </summary>
    /// <returns>The result of each delivery, in the order given.</returns>
    public IReadOnlyList<EnqueueResult> Resume(IReadOnlyList<PendingDelivery> undelivered)
    {
        ArgumentNullException.ThrowIfNull(undelivered);
        var order = Enumerable.Range(0, undelivered.Count)
            .OrderBy(i => undelivered[i].Notification.Event.LogIndex)
            .ThenBy(i => undelivered[i].Notification.Event.TransitionNumber)
            .ToArray();
        var results = new EnqueueResult[undelivered.Count];
        foreach (var i in order)
        {
            results[i] = Enqueue(undelivered[i].Endpoint, undelivered[i].Notification);
        }

        return results;
    }

    /// <summary>Every undelivered notification (waiting, retrying or in flight), in log order.</summary>
    public IReadOnlyList<PendingDelivery> Pending()
    {
        var pending = new List<PendingDelivery>();
        foreach (var queue in _endpoints.Values)
        {
            lock (queue)
            {
                foreach (var keyQueue in queue.Keys.Values)
                {
                    pending.AddRange(keyQueue.Items.Select(item => new PendingDelivery(queue.Endpoint.Name, item.Notification)));
                }
            }
        }

        return pending
            .OrderBy(p => p.Notification.Event.LogIndex)
            .ThenBy(p => p.Notification.Event.TransitionNumber)
            .ThenBy(p => p.Notification.Id.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Endpoint, StringComparer.Ordinal)
            .ToList();
    }

    public DeliveryCounters Counters(string endpoint)
    {
        var queue = QueueOf(endpoint);
        lock (queue)
        {
            return new DeliveryCounters(endpoint, queue.Depth, queue.Keys.Count, queue.Delivered, queue.Retried, queue.Failed, queue.Superseded, queue.Overloaded);
        }
    }

    /// <summary>
    /// Called when this node learns of <paramref name="observedTerm"/>: a higher term than its own means another node
    /// leads, so all sending stops at once (DESIGN invariant 4).
    /// </summary>
    /// <returns>True when the dispatcher is (now) stopped.</returns>
    public bool Fence(ulong observedTerm)
    {
        if (observedTerm > Term)
        {
            Stop();
        }

        return IsStopped;
    }

    /// <summary>Stops all sending: requests in flight are cancelled, waiting retries are dropped, nothing new is sent.</summary>
    public void Stop()
    {
        _stop.Cancel();
        foreach (var queue in _endpoints.Values)
        {
            TaskCompletionSource? waiting;
            lock (queue)
            {
                waiting = queue.RoomFreed;
                queue.RoomFreed = null;
            }

            waiting?.TrySetResult();
        }
    }

    /// <summary>Stops and waits for every worker to finish. Idempotent; <see cref="Pending"/> still answers afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        Stop();
        var workers = new List<Task>();
        foreach (var queue in _endpoints.Values)
        {
            lock (queue)
            {
                workers.AddRange(queue.Keys.Values.Select(k => k.Worker).OfType<Task>());
            }
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        foreach (var queue in _endpoints.Values)
        {
            queue.Dispose();
        }
    }

    /// <summary>
    /// Takes every event of the key that is not on the wire out of its queue, to make room for a newer one;
    /// null, changing nothing, when even that would leave the endpoint over its limit.
    /// </summary>
    private List<Delivery>? Supersede(EndpointQueue queue, KeyQueue keyQueue)
    {
        var replaceable = keyQueue.Items.Count(item => !item.InFlight);
        if (queue.Depth + 1 - replaceable > _options.MaxQueuedPerEndpoint)
        {
            return null;
        }

        var superseded = keyQueue.Items.FindAll(item => !item.InFlight);
        keyQueue.Items.RemoveAll(item => !item.InFlight);
        foreach (var old in superseded)
        {
            old.Removed = true;
            // Cancelled under the lock: the worker disposes the source under the same lock. Its continuation
            // is forced onto the thread pool, so nothing runs here while the lock is held.
            old.RetryWait?.Cancel();
        }

        queue.Depth -= superseded.Count;
        queue.Superseded += superseded.Count;
        return superseded;
    }

    private bool HasRoom(EndpointQueue queue) => queue.Depth < _options.MaxQueuedPerEndpoint && queue.Keys.Count < _options.MaxKeysPerEndpoint;

    /// <summary>Called under the queue's lock after a delivery or a key left it; the waiter is woken outside it.</summary>
    private TaskCompletionSource? TakeRoomWaiter(EndpointQueue queue)
    {
        if (queue.RoomFreed is not { } waiting || !HasRoom(queue))
        {
            return null;
        }

        queue.RoomFreed = null;
        return waiting;
    }

    /// <summary>The ids an event replaces: what it already replaced, then each older event and what that one replaced, in number order.</summary>
    private static List<TransitionId> Merge(IReadOnlyList<TransitionId> already, IEnumerable<Notification> older)
    {
        var ids = new List<TransitionId>(already);
        foreach (var notification in older)
        {
            ids.AddRange(notification.Replaces);
            ids.Add(notification.Id);
        }

        ids.Sort((a, b) => a.TransitionNumber.CompareTo(b.TransitionNumber));
        return ids;
    }

    private EndpointQueue QueueOf(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return _endpoints.TryGetValue(endpoint, out var queue)
            ? queue
            : throw new ArgumentException($"no endpoint named '{endpoint}' is configured", nameof(endpoint));
    }

    private async Task RunKeyAsync(EndpointQueue queue, KeyQueue keyQueue)
    {
        var gated = false;
        while (true)
        {
            if (gated)
            {
                gated = false;
                try
                {
                    await Task.Delay(GateRecheckInterval, _time, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (IsStopped)
                {
                }
            }

            Delivery? delivery = null;
            TaskCompletionSource? waiter = null;
            lock (queue)
            {
                if (IsStopped)
                {
                    keyQueue.Worker = null;
                    return;
                }

                if (keyQueue.Items.Count == 0)
                {
                    queue.Keys.Remove(keyQueue.Key);
                    keyQueue.Worker = null;
                    waiter = TakeRoomWaiter(queue);
                }
                else
                {
                    delivery = keyQueue.Items[0];
                }
            }

            if (waiter is not null || delivery is null)
            {
                waiter?.TrySetResult();
                return;
            }

            try
            {
                await queue.Concurrency.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (IsStopped)
            {
                continue;
            }

            Attempt attempt;
            try
            {
                if (SendGate is { } gate && !gate())
                {
                    // Not sure this node still leads: start nothing now (the semaphore is released below).
                    gated = true;
                    continue;
                }

                lock (queue)
                {
                    if (IsStopped || delivery.Removed)
                    {
                        continue;
                    }

                    delivery.InFlight = true;
                    delivery.Attempts++;
                }

                attempt = await SendAsync(queue.Endpoint, delivery).ConfigureAwait(false);
            }
            finally
            {
                queue.Concurrency.Release();
            }

            await SettleAsync(queue, keyQueue, delivery, attempt).ConfigureAwait(false);
        }
    }

    /// <summary>Applies the answer of one attempt: done, failed for good, superseded, or wait and retry.</summary>
    private async Task SettleAsync(EndpointQueue queue, KeyQueue keyQueue, Delivery delivery, Attempt attempt)
    {
        DeliveryOutcome? outcome = null;
        string? detail = attempt.Detail;
        TimeSpan delay = default;
        CancellationTokenSource? wait = null;
        TaskCompletionSource? waiter = null;
        lock (queue)
        {
            delivery.InFlight = false;
            if (attempt.Kind == AttemptKind.Stopped)
            {
                // Not delivered: it stays pending, for the primary that fenced us to resend.
                return;
            }

            var now = _time.GetUtcNow();
            if (attempt.Kind == AttemptKind.Delivered)
            {
                outcome = DeliveryOutcome.Delivered;
                queue.Delivered++;
            }
            else if (attempt.Kind == AttemptKind.Rejected)
            {
                outcome = DeliveryOutcome.Rejected;
                queue.Failed++;
            }
            else if (_options.Coalesce && keyQueue.Items.Count > 1)
            {
                var newer = keyQueue.Items[^1];
                outcome = DeliveryOutcome.Superseded;
                detail = $"superseded by {newer.Notification.Id} after a failed attempt: {attempt.Detail}";
                newer.Notification = newer.Notification with { Replaces = Merge(newer.Notification.Replaces, [delivery.Notification]) };
                queue.Superseded++;
            }
            else if (delivery.Attempts >= _options.MaxAttempts || now - delivery.EnqueuedAt >= _options.MaxAge)
            {
                outcome = DeliveryOutcome.Exhausted;
                detail = $"gave up after {delivery.Attempts} attempts over {now - delivery.EnqueuedAt}: {attempt.Detail}";
                queue.Failed++;
            }
            else
            {
                delay = attempt.RetryAfter ?? Backoff(delivery.Attempts);
                wait = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                delivery.RetryWait = wait;
                queue.Retried++;
            }

            if (outcome is not null)
            {
                Invariant.Check(ReferenceEquals(keyQueue.Items[0], delivery), "the worker settles the head of its key");
                keyQueue.Items.RemoveAt(0);
                queue.Depth--;
                waiter = TakeRoomWaiter(queue);
            }
        }

        waiter?.TrySetResult();
        if (outcome is { } final)
        {
            Report(queue, delivery, final, attempt.StatusCode, detail);
            return;
        }

        Invariant.Check(wait is not null, "a delivery that is not final waits for its retry");
        // The timer is armed before the report, so a test that advances a fake clock on the report sees it fire.
        var due = _time.GetUtcNow() + delay;
        var timer = Task.Delay(delay, _time, wait.Token);
        _recorder.RetryScheduled(new RetryReport(queue.Endpoint.Name, delivery.Notification.Id, delivery.Attempts, attempt.StatusCode, delay, due, attempt.Detail ?? ""));
        // Forced yield: a supersession cancels the wait while holding the queue lock, and this continuation must not run there.
        await timer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ForceYielding);
        lock (queue)
        {
            delivery.RetryWait = null;
            wait.Dispose();
        }
    }

    private TimeSpan Backoff(int attempts)
    {
        var exponent = Math.Min(attempts - 1, 30);
        var ceiling = Math.Min(_options.InitialBackoff.Ticks * (1L << exponent), _options.MaxBackoff.Ticks);
        if (ceiling < 0)
        {
            ceiling = _options.MaxBackoff.Ticks;
        }

        long jitter;
        lock (_jitter)
        {
            jitter = _jitter.NextInt64(0, (ceiling / 2) + 1);
        }

        return TimeSpan.FromTicks((ceiling - (ceiling / 2)) + jitter);
    }

    private async Task<Attempt> SendAsync(NotificationEndpoint endpoint, Delivery delivery)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token);
        try
        {
            return await endpoint.SendAsync(_context, delivery.Notification, delivery.Action, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (IsStopped)
        {
            return new Attempt(AttemptKind.Stopped, 0, null, "stopped");
        }
        catch (OperationCanceledException)
        {
            // Our timeout, or the HttpClient's own Timeout when it is the shorter one.
            return new Attempt(AttemptKind.Retry, 0, null, $"timed out after {(timeout.IsCancellationRequested ? _options.RequestTimeout : _http.Timeout)}");
        }
        catch (Exception e)
        {
            // An endpoint answers every outcome it knows; anything else is retried (bounded by MaxAttempts and
            // MaxAge) rather than thrown, which would end this key's worker with its queue held (DESIGN invariant 9).
            return new Attempt(AttemptKind.Retry, 0, null, $"unexpected error: {e.GetType().Name}: {e.Message}");
        }
    }

    private void Report(EndpointQueue queue, Delivery delivery, DeliveryOutcome outcome, int statusCode, string? detail) =>
        _recorder.Completed(new DeliveryReport(queue.Endpoint.Name, delivery.Notification.Id, delivery.Action, outcome, delivery.Attempts, statusCode, detail)
        {
            LogIndex = delivery.Notification.Event.LogIndex,
            Replaces = delivery.Notification.Replaces,
        });

}
