namespace Alerting.Engine.Ring;

/// <summary>
/// Runs one consumer stage: waits on its barrier, hands every available slot to the handler in order, and
/// publishes its own <see cref="Sequence"/> once per batch (not per event), so downstream stages and producers
/// see progress with one store per batch.
/// </summary>
/// <remarks>
/// Generic over the handler type so a struct handler is called directly and can be inlined. A processor runs
/// once: <see cref="Run"/> on a caller's thread or <see cref="Start"/> on a dedicated one, then <see cref="Halt"/>.
/// A handler exception stops the processor and faults <see cref="Stopped"/>; the stage's sequence stays at the
/// last completed batch. A halted processor finishes the batch in hand and stops even if more is published:
/// wait for <see cref="Sequence"/> to reach the cursor before halting to drain.
/// </remarks>
public sealed class BatchEventProcessor<T, THandler> : IEventProcessor
    where T : struct
    where THandler : IEventHandler<T>
{
    /// <summary>
    /// Default for the most events handled before the processor publishes its progress. Bounds how long
    /// producers and downstream stages wait on a consumer that has a large backlog.
    /// </summary>
    public const int DefaultMaxBatchSize = 4096;

    private const int Idle = 0;
    private const int Running = 1;
    private const int Finished = 2;

    private readonly RingBuffer<T> _ring;
    private readonly SequenceBarrier _barrier;
    private readonly Sequence _sequence = new();
    private readonly int _maxBatchSize;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private THandler _handler;
    private int _state = Idle;

    /// <summary>Creates a processor reading <paramref name="ring"/> behind <paramref name="barrier"/>.</summary>
    /// <param name="ring">The ring whose slots are handed to the handler.</param>
    /// <param name="barrier">From <see cref="RingBuffer{T}.NewBarrier"/>: the cursor, or the upstream stages' sequences.</param>
    /// <param name="handler">The stage logic; a struct for inlining.</param>
    /// <param name="maxBatchSize">Most events handled between two publishes of this stage's progress (at least 1).</param>
    public BatchEventProcessor(RingBuffer<T> ring, SequenceBarrier barrier, THandler handler, int maxBatchSize = DefaultMaxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(barrier);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        _ring = ring;
        _barrier = barrier;
        _handler = handler;
        _maxBatchSize = maxBatchSize;
    }

    /// <summary>This stage's progress: every sequence up to it has been handled. Gate producers or later stages on it.</summary>
    public Sequence Sequence => _sequence;

    /// <summary>The handler, by reference, so a struct handler's state can be read once <see cref="Stopped"/> completed.</summary>
    public ref THandler Handler => ref _handler;

    /// <summary>The most events handled between two publishes of <see cref="Sequence"/>.</summary>
    public int MaxBatchSize => _maxBatchSize;

    /// <summary>Completes once the handler's <see cref="IEventHandler{T}.OnStart"/> returned and the loop is about to wait.</summary>
    public Task Started => _started.Task;

    /// <summary>Completes when the loop ended; faulted with the handler's exception if one stopped it.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>True while the loop runs.</summary>
    public bool IsRunning => Volatile.Read(ref _state) == Running;

    /// <summary>Starts <see cref="Run"/> on a new background thread named <paramref name="threadName"/>; returns <see cref="Started"/>.</summary>
    public Task Start(string threadName)
    {
        var thread = new Thread(Run) { IsBackground = true, Name = threadName };
        thread.Start();
        return Started;
    }

    /// <summary>Asks the loop to stop after the batch in hand; await <see cref="Stopped"/> for it to end.</summary>
    public void Halt() => _barrier.CancelProcessing();

    /// <summary>Runs the consumer loop on the calling thread until <see cref="Halt"/>; a processor runs once.</summary>
    public void Run()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Idle) != Idle)
        {
            throw new InvalidOperationException("A BatchEventProcessor runs once; it is already running or has run.");
        }

        Exception? failure = null;
        try
        {
            _handler.OnStart();
            _started.TrySetResult();
            ProcessEvents();
        }
        catch (Exception exception)
        {
            failure = exception;
        }

        try
        {
            _handler.OnShutdown();
        }
        catch (Exception exception)
        {
            failure ??= exception;
        }

        Volatile.Write(ref _state, Finished);
        if (failure is null)
        {
            _stopped.TrySetResult();
        }
        else
        {
            _started.TrySetException(failure);
            _stopped.TrySetException(failure);
        }
    }

    private void ProcessEvents()
    {
        var nextSequence = _sequence.Value + 1;
        var gapWait = default(SpinWait);
        while (true)
        {
            var result = _barrier.WaitFor(nextSequence, nextSequence + _maxBatchSize - 1);
            if (result.IsCancelled)
            {
                return;
            }

            var endSequence = result.Value;
            if (endSequence < nextSequence)
            {
                // Claimed by a producer that has not published yet. It may have been preempted mid-write, so
                // back off to yielding rather than spin away the time slice it needs to finish.
                gapWait.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            gapWait.Reset();
            for (var sequence = nextSequence; sequence <= endSequence; sequence++)
            {
                _handler.OnEvent(ref _ring[sequence], sequence, sequence == endSequence);
            }

            Invariant.Check(endSequence > _sequence.Value, "a stage's progress must only move forward");
            _sequence.SetValue(endSequence);
            nextSequence = endSequence + 1;
        }
    }
}
