namespace Alerting.Engine.Pipeline;

/// <summary>
/// Admission in front of the log (issue 7's stall bar): client writes enter the input ring only
/// while the apply work admitted and not yet applied (the backlog, estimated in nanoseconds of
/// state-machine time by <see cref="ApplyCostEstimate"/>) stays within a budget, so a write never
/// queues behind more than a few milliseconds of apply work, however much a closed-loop client offers.
/// <para>
/// A write that does not fit waits, asynchronously (no thread is blocked), in its client's lane;
/// lanes take turns round robin, one write per turn, so one client with many writes in flight
/// cannot starve another with one. Within a lane writes are admitted in arrival order, and a
/// lane's head is never overtaken by a smaller write behind it. A write is admitted when the
/// backlog plus its cost fits the budget, or when the backlog is empty (a write larger than the
/// budget goes alone). Refused with <see cref="AdmissionRefusedException"/>, before anything is
/// written: when <see cref="MaxWaiting"/> writes already wait, or when one waited
/// <see cref="MaxWait"/>. Callers release what they were admitted for once the write is applied
/// (or failed), which admits the next ones.
/// </para>
/// Not replicated state: it decides when a write enters the log, never what applying it does.
/// </summary>
public sealed class WriteAdmission
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly LinkedList<Lane> _turns = new();
    private readonly TimeProvider _time;
    private long _backlog;
    private int _waiting;
    private long _admitted;
    private long _refusedFull;
    private long _refusedTimedOut;

    public WriteAdmission(long budgetNanos, int maxWaiting, TimeSpan maxWait, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetNanos);
        ArgumentOutOfRangeException.ThrowIfNegative(maxWaiting);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxWait, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        BudgetNanos = budgetNanos;
        MaxWaiting = maxWaiting;
        MaxWait = maxWait;
        _time = time;
    }

    /// <summary>Estimated apply nanoseconds the backlog may hold before writes wait (0: one write at a time).</summary>
    public long BudgetNanos { get; }

    /// <summary>Writes that may wait at once; one more is refused at once.</summary>
    public int MaxWaiting { get; }

    /// <summary>Longest a write waits before it is refused.</summary>
    public TimeSpan MaxWait { get; }

    /// <summary>Estimated apply nanoseconds admitted and not yet released.</summary>
    public long BacklogNanos
    {
        get
        {
            lock (_lock)
            {
                return _backlog;
            }
        }
    }

    /// <summary>Writes waiting for admission now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Waiters held in lanes now (abandoned ones leave at once, so never more than <see cref="Waiting"/>).</summary>
    internal int QueuedEntries
    {
        get
        {
            lock (_lock)
            {
                var count = 0;
                foreach (var lane in _lanes.Values)
                {
                    count += lane.Count;
                }

                return count;
            }
        }
    }

    /// <summary>Client lanes held now (a lane leaves once it empties).</summary>
    internal int Lanes
    {
        get
        {
            lock (_lock)
            {
                Invariant.Check(_turns.Count == _lanes.Count, "every held lane takes turns");
                return _lanes.Count;
            }
        }
    }

    /// <summary>Writes admitted since start (at once or after waiting).</summary>
    public long Admitted => Volatile.Read(ref _admitted);

    /// <summary>Writes refused because <see cref="MaxWaiting"/> already waited.</summary>
    public long RefusedQueueFull => Volatile.Read(ref _refusedFull);

    /// <summary>Writes refused because they waited <see cref="MaxWait"/>.</summary>
    public long RefusedTimedOut => Volatile.Read(ref _refusedTimedOut);

    /// <summary>
    /// Admits a write of <paramref name="client"/> estimated at <paramref name="costNanos"/>: at once
    /// when nothing waits and it fits, otherwise once its turn comes and it fits.
    /// </summary>
    /// <exception cref="AdmissionRefusedException">The wait queue is full, or the write waited <see cref="MaxWait"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask<AdmissionTicket> AdmitAsync(string client, long costNanos, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(costNanos, 1);
        Waiter waiter;
        lock (_lock)
        {
            if (_waiting == 0 && Fits(costNanos))
            {
                _backlog += costNanos;
                _admitted++;
                return ValueTask.FromResult(new AdmissionTicket(costNanos, TimeSpan.Zero));
            }

            if (_waiting >= MaxWaiting)
            {
                _refusedFull++;
                throw new AdmissionRefusedException(
                    AdmissionRefusal.QueueFull,
                    $"the engine's apply backlog is over its budget ({Milliseconds(BudgetNanos)} ms of apply work) and {MaxWaiting} writes already wait for admission; nothing of this write was written; retry with backoff");
            }

            waiter = new Waiter(client, costNanos, _time.GetTimestamp());
            if (!_lanes.TryGetValue(client, out var lane))
            {
                lane = new Lane(client);
                _lanes.Add(client, lane);
            }

            waiter.Node = lane.AddLast(waiter);
            if (lane.Turn is null)
            {
                lane.Turn = _turns.AddLast(lane);
            }

            _waiting++;
        }

        waiter.Arm(this, cancellationToken);
        return new ValueTask<AdmissionTicket>(waiter.Completion.Task);
    }

    /// <summary>The write admitted with <paramref name="ticket"/> is applied (or failed): its cost leaves the backlog and waiting writes that now fit are admitted.</summary>
    public void Release(AdmissionTicket ticket)
    {
        lock (_lock)
        {
            Invariant.Check(ticket.CostNanos >= 1 && _backlog >= ticket.CostNanos, "a write releases at most the backlog it was admitted for");
            _backlog -= ticket.CostNanos;
        }

        Dispatch();
    }

    private static string Milliseconds(long nanos) => (nanos / 1e6).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    private bool Fits(long cost) => _backlog == 0 || _backlog + cost <= BudgetNanos;

    /// <summary>A waiting write's caller gave up or its time ran out: it leaves its lane at once (the lane too once empty) and is refused.</summary>
    private void Abandon(Waiter waiter, bool timedOut, CancellationToken callerToken)
    {
        lock (_lock)
        {
            if (waiter.State != WaiterState.Waiting)
            {
                return;
            }

            waiter.State = WaiterState.Abandoned;
            _waiting--;
            var lane = _lanes[waiter.Client];
            lane.Remove(waiter.Node!);
            waiter.Node = null;
            if (lane.Count == 0)
            {
                DropLane(lane);
            }
            if (timedOut)
            {
                _refusedTimedOut++;
            }
        }

        waiter.Disarm();
        waiter.Completion.TrySetException(!timedOut
            ? new OperationCanceledException(callerToken)
            : new AdmissionRefusedException(
                AdmissionRefusal.TimedOut,
                $"the write waited {MaxWait.TotalMilliseconds:0} ms for admission while the engine's apply backlog stayed over its budget ({Milliseconds(BudgetNanos)} ms of apply work); nothing of this write was written; retry with backoff"));

        // The abandoned write may have been a lane's head holding the others back.
        Dispatch();
    }

    /// <summary>Admits, lane by lane in turn, every waiting write that fits; completes them outside the lock.</summary>
    private void Dispatch()
    {
        List<(Waiter Waiter, long Waited)>? ready = null;
        lock (_lock)
        {
            while (_turns.First is { } turn)
            {
                var lane = turn.Value;
                Invariant.Check(lane.Count > 0, "a lane holds waiting writes only and leaves once empty");
                var next = lane.First!.Value;
                Invariant.Check(next.State == WaiterState.Waiting, "abandoned writes leave their lane at once");
                if (!Fits(next.CostNanos))
                {
                    break;
                }

                lane.RemoveFirst();
                next.Node = null;
                next.State = WaiterState.Admitted;
                _waiting--;
                _backlog += next.CostNanos;
                _admitted++;
                if (lane.Count > 0)
                {
                    // One write per turn: the lane goes to the back of the round.
                    _turns.Remove(turn);
                    _turns.AddLast(turn);
                }
                else
                {
                    DropLane(lane);
                }

                (ready ??= []).Add((next, _time.GetTimestamp()));
            }

            Invariant.Check(_waiting >= 0 && _backlog >= 0, "admission never counts fewer than zero waiting writes or backlog");
        }

        if (ready is null)
        {
            return;
        }

        foreach (var (waiter, at) in ready)
        {
            waiter.Disarm();
            waiter.Completion.TrySetResult(new AdmissionTicket(waiter.CostNanos, _time.GetElapsedTime(waiter.Since, at)));
        }
    }

    private void DropLane(Lane lane)
    {
        _turns.Remove(lane.Turn!);
        lane.Turn = null;
        _lanes.Remove(lane.Client);
    }

    private enum WaiterState
    {
        Waiting,
        Admitted,
        Abandoned,
    }

    private sealed class Waiter(string client, long costNanos, long since)
    {
        public string Client { get; } = client;

        public long CostNanos { get; } = costNanos;

        public long Since { get; } = since;

        public WaiterState State { get; set; }

        /// <summary>Its place in its lane while it waits (null once admitted or abandoned).</summary>
        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource<AdmissionTicket> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private readonly object _armLock = new();
        private CancellationTokenSource? _timeout;
        private CancellationTokenRegistration _onTimeout;
        private CancellationTokenRegistration _onCancel;

        /// <summary>Starts the wait's clock and watches the caller's token; either abandons the wait. A waiter admitted meanwhile is disarmed at once.</summary>
        public void Arm(WriteAdmission owner, CancellationToken cancellationToken)
        {
            bool expired;
            lock (_armLock)
            {
                // The wait is counted from when the write joined the queue, not from here: time that passes between
                // the queue's lock and this arm (the caller may already see it waiting) still counts.
                var remaining = owner.MaxWait - owner._time.GetElapsedTime(Since);
                expired = remaining <= TimeSpan.Zero;
                if (!expired)
                {
                    var timeout = new CancellationTokenSource(remaining, owner._time);
                    _timeout = timeout;
                    _onTimeout = timeout.Token.Register(() => owner.Abandon(this, timedOut: true, cancellationToken));
                }

                _onCancel = cancellationToken.Register(() => owner.Abandon(this, timedOut: false, cancellationToken));
                bool settled;
                lock (owner._lock)
                {
                    // Admitted (or abandoned) between AdmitAsync's lock and here: Dispatch may have
                    // disarmed before anything was armed, so nothing else would stop this clock.
                    settled = State != WaiterState.Waiting;
                }

                if (settled || Completion.Task.IsCompleted)
                {
                    Disarm();
                }
            }

            if (expired)
            {
                // Its whole wait passed before it was armed: refused as timed out (no-op if admitted meanwhile).
                owner.Abandon(this, timedOut: true, cancellationToken);
            }
        }

        /// <summary>Stops the clock and the caller's watch (from any thread, also from their own callbacks: nothing waits).</summary>
        public void Disarm()
        {
            lock (_armLock)
            {
                _onTimeout.Unregister();
                _onCancel.Unregister();
                Interlocked.Exchange(ref _timeout, null)?.Dispose();
            }
        }
    }

    private sealed class Lane(string client) : LinkedList<Waiter>
    {
        public string Client { get; } = client;

        /// <summary>Its place in the round of turns (every held lane has one).</summary>
        public LinkedListNode<Lane>? Turn { get; set; }
    }
}

/// <summary>What a write was admitted for (its estimated apply nanoseconds, to release once applied) and how long it waited.</summary>
public readonly record struct AdmissionTicket(long CostNanos, TimeSpan Waited);

/// <summary>Why <see cref="WriteAdmission"/> refused a write.</summary>
public enum AdmissionRefusal
{
    /// <summary><see cref="WriteAdmission.MaxWaiting"/> writes already waited.</summary>
    QueueFull,

    /// <summary>The write waited <see cref="WriteAdmission.MaxWait"/>.</summary>
    TimedOut,
}

/// <summary>A write refused admission (the server answers RESOURCE_EXHAUSTED): nothing of it was written.</summary>
public sealed class AdmissionRefusedException : Exception
{
    public AdmissionRefusedException(AdmissionRefusal reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public AdmissionRefusedException()
    {
    }

    public AdmissionRefusedException(string message)
        : base(message)
    {
    }

    public AdmissionRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AdmissionRefusal Reason { get; }
}
