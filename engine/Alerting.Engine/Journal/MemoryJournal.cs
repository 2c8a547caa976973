namespace Alerting.Engine.Journal;

/// <summary>
/// An <see cref="IJournal"/> in memory, for the simulator and tests, with the faults a disk has:
/// <list type="bullet">
/// <item>a crash loses every entry not yet synced (<see cref="Crash"/> returns what a restart finds);</item>
/// <item>an append or a sync fails on demand with an <see cref="IOException"/>, as a full disk does
/// (<see cref="FailNextAppend"/>, <see cref="FailNextSync"/>); a failed sync leaves the journal
/// unusable, as FasterJournal's failed commit does, because after a failed fsync nothing written
/// since the last good one can be trusted;</item>
/// <item>durability waits until the test says so (<see cref="HoldDurability"/>, <see cref="ReleaseDurability"/>).</item>
/// </list>
/// Unlike FasterLog it can drop its tail (<see cref="TruncateAfter"/>). Thread-safe; while durability
/// is not held, every append is synced at once on the appending thread (one sync per append).
/// </summary>
public sealed class MemoryJournal : IJournal
{
    private readonly Lock _gate = new();
    private readonly List<byte[]> _payloads = [];
    private readonly List<ulong> _entryTerms = [];
    private readonly JournalTermIndex _terms = new();
    private readonly int _maxPayloadBytes;
    private TaskCompletionSource _durableAdvanced = NewSignal();
    private long _firstIndex;
    private long _durableIndex;
    private long _syncCount;
    private bool _held;
    private IOException? _nextAppendFailure;
    private IOException? _nextSyncFailure;
    private Exception? _failure;
    private bool _disposed;

    /// <summary>An empty journal whose first entry will be index 1.</summary>
    public MemoryJournal(int maxPayloadBytes = JournalOptions.DefaultMaxPayloadBytes)
        : this(maxPayloadBytes, firstIndex: 1)
    {
    }

    private MemoryJournal(int maxPayloadBytes, long firstIndex)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayloadBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(firstIndex, 1);
        _maxPayloadBytes = maxPayloadBytes;
        _firstIndex = firstIndex;
        _durableIndex = firstIndex - 1;
        _terms.Reset(firstIndex);
    }

    public long FirstIndex
    {
        get
        {
            lock (_gate)
            {
                return _firstIndex;
            }
        }
    }

    public long LastIndex
    {
        get
        {
            lock (_gate)
            {
                return LastIndexLocked;
            }
        }
    }

    public ulong LastTerm
    {
        get
        {
            lock (_gate)
            {
                return _entryTerms.Count == 0 ? 0 : _entryTerms[^1];
            }
        }
    }

    public long DurableIndex
    {
        get
        {
            lock (_gate)
            {
                return _durableIndex;
            }
        }
    }

    /// <summary>Syncs completed (each one an fsync of a real journal).</summary>
    public long SyncCount
    {
        get
        {
            lock (_gate)
            {
                return _syncCount;
            }
        }
    }

    /// <summary>Why the journal can no longer make entries durable (a failed sync), or null.</summary>
    public Exception? Failure
    {
        get
        {
            lock (_gate)
            {
                return _failure;
            }
        }
    }

    private long LastIndexLocked => _firstIndex + _payloads.Count - 1;

    public long Append(ReadOnlySpan<byte> payload, ulong term)
    {
        lock (_gate)
        {
            long index = LastIndexLocked + 1;
            AppendLocked(index, term, payload);
            return index;
        }
    }

    public void AppendAt(long index, ulong term, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            long next = LastIndexLocked + 1;
            if (index != next)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"A follower appends the next index, {next}; drop a conflicting suffix first (TruncateAfter).");
            }

            AppendLocked(index, term, payload);
        }
    }

    public ValueTask WaitForDurableAsync(long index, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_durableIndex >= index)
            {
                return ValueTask.CompletedTask;
            }
        }

        return WaitForDurableSlowAsync(index, cancellationToken);
    }

    public void WaitForDurable(long index, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_durableIndex >= index)
                {
                    return;
                }

                ThrowIfUnusableLocked();
                signal = _durableAdvanced.Task;
            }

            signal.Wait(cancellationToken);
        }
    }

    public IJournalScanner Scan(long fromIndex)
    {
        lock (_gate)
        {
            ThrowIfUnusableLocked();
            if (fromIndex < _firstIndex || fromIndex > _durableIndex + 1)
            {
                throw new ArgumentOutOfRangeException(nameof(fromIndex), fromIndex, $"Scan must start within the kept, durable log: {_firstIndex}..{_durableIndex + 1}.");
            }

            return new Scanner(this, fromIndex);
        }
    }

    public void TruncateBefore(long index)
    {
        lock (_gate)
        {
            ThrowIfUnusableLocked();
            if (index < _firstIndex || index > _durableIndex)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Truncation point must be a kept, durable entry: {_firstIndex}..{_durableIndex}.");
            }

            int drop = (int)(index - _firstIndex);
            _payloads.RemoveRange(0, drop);
            _entryTerms.RemoveRange(0, drop);
            _terms.TruncateBefore(index);
            _firstIndex = index;
        }
    }

    public void TruncateAfter(long index)
    {
        lock (_gate)
        {
            ThrowIfUnusableLocked();
            if (index < _firstIndex - 1 || index > LastIndexLocked)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Truncation point must be within {_firstIndex - 1}..{LastIndexLocked}.");
            }

            int keep = (int)(index - _firstIndex + 1);
            _payloads.RemoveRange(keep, _payloads.Count - keep);
            _entryTerms.RemoveRange(keep, _entryTerms.Count - keep);
            _terms.TruncateAfter(index);
            _durableIndex = Math.Min(_durableIndex, index);
        }
    }

    public bool TryGetTerm(long index, out ulong term) => _terms.TryGetTerm(index, out term);

    /// <summary>Makes every appended entry durable now, like an fsync; throws (and fails the journal) if a sync failure is armed.</summary>
    public void Sync()
    {
        TaskCompletionSource advanced;
        lock (_gate)
        {
            ThrowIfUnusableLocked();
            advanced = SyncLocked();
        }

        advanced.TrySetResult();
        if (Failure is { } failure)
        {
            throw new InvalidOperationException("The journal's sync failed; no further entries can be made durable. Restart the node.", failure);
        }
    }

    /// <summary>From now on appends stay volatile until <see cref="ReleaseDurability"/> or <see cref="Sync"/>.</summary>
    public void HoldDurability()
    {
        lock (_gate)
        {
            _held = true;
        }
    }

    /// <summary>Ends <see cref="HoldDurability"/> and syncs everything appended meanwhile.</summary>
    public void ReleaseDurability()
    {
        TaskCompletionSource advanced;
        lock (_gate)
        {
            _held = false;
            if (_failure is not null || _disposed)
            {
                return;
            }

            advanced = SyncLocked();
        }

        advanced.TrySetResult();
    }

    /// <summary>The next append throws <paramref name="failure"/> (default: no space left) and appends nothing.</summary>
    public void FailNextAppend(IOException? failure = null)
    {
        lock (_gate)
        {
            _nextAppendFailure = failure ?? DiskFull("append");
        }
    }

    /// <summary>The next sync fails with <paramref name="failure"/> (default: no space left): nothing more becomes durable.</summary>
    public void FailNextSync(IOException? failure = null)
    {
        lock (_gate)
        {
            _nextSyncFailure = failure ?? DiskFull("fsync");
        }
    }

    /// <summary>
    /// Simulates a crash: this journal becomes unusable, and the returned one holds exactly
    /// what a restart finds on disk (the synced entries; the unsynced tail is lost).
    /// </summary>
    public MemoryJournal Crash()
    {
        TaskCompletionSource advanced;
        var restarted = new MemoryJournal(_maxPayloadBytes, FirstIndex);
        lock (_gate)
        {
            int keep = (int)(_durableIndex - _firstIndex + 1);
            for (int i = 0; i < keep; i++)
            {
                long index = _firstIndex + i;
                restarted._payloads.Add(_payloads[i]);
                restarted._entryTerms.Add(_entryTerms[i]);
                restarted._terms.Append(index, _entryTerms[i]);
            }

            restarted._durableIndex = _durableIndex;
            _disposed = true;
            advanced = _durableAdvanced;
        }

        advanced.TrySetResult();
        return restarted;
    }

    public void Dispose()
    {
        TaskCompletionSource advanced;
        lock (_gate)
        {
            _disposed = true;
            advanced = _durableAdvanced;
        }

        advanced.TrySetResult();
    }

    private static IOException DiskFull(string operation) => new($"No space left on device (simulated {operation} failure)");

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void AppendLocked(long index, ulong term, ReadOnlySpan<byte> payload)
    {
        ThrowIfUnusableLocked();
        if (payload.Length > _maxPayloadBytes)
        {
            throw new ArgumentException($"Journal entry payload is {payload.Length} bytes; the limit is {_maxPayloadBytes}.", nameof(payload));
        }

        ulong lastTerm = _entryTerms.Count == 0 ? 0 : _entryTerms[^1];
        if (term < lastTerm)
        {
            throw new ArgumentException($"Journal entry term {term} is below the last appended term {lastTerm}; terms never go backwards in the log.", nameof(term));
        }

        if (_nextAppendFailure is { } failure)
        {
            _nextAppendFailure = null;
            throw failure;
        }

        _payloads.Add(payload.ToArray());
        _entryTerms.Add(term);
        _terms.Append(index, term);
        if (!_held)
        {
            // Completing the signal under the lock is safe: continuations run asynchronously.
            SyncLocked().TrySetResult();
        }
    }

    /// <summary>Syncs under the lock; returns the signal to complete (outside the lock where possible).</summary>
    private TaskCompletionSource SyncLocked()
    {
        if (_nextSyncFailure is { } failure)
        {
            _nextSyncFailure = null;
            _failure = failure;
        }
        else
        {
            _durableIndex = LastIndexLocked;
            _syncCount++;
        }

        return Interlocked.Exchange(ref _durableAdvanced, NewSignal());
    }

    private void ThrowIfUnusableLocked()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is { } failure)
        {
            throw new InvalidOperationException("The journal's sync failed; no further entries can be made durable. Restart the node.", failure);
        }
    }

    private async ValueTask WaitForDurableSlowAsync(long index, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_durableIndex >= index)
                {
                    return;
                }

                ThrowIfUnusableLocked();
                signal = _durableAdvanced.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Scanner(MemoryJournal journal, long fromIndex) : IJournalScanner
    {
        private bool _disposed;

        public long NextIndex { get; private set; } = fromIndex;

        public bool TryNext(out JournalRecord record)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (journal._gate)
            {
                if (NextIndex > journal._durableIndex)
                {
                    record = default;
                    return false;
                }

                if (NextIndex < journal._firstIndex)
                {
                    throw new InvalidOperationException($"Entry {NextIndex} was truncated while a scan was reading it (the journal now starts at {journal._firstIndex}).");
                }

                int at = (int)(NextIndex - journal._firstIndex);
                record = new JournalRecord(NextIndex, journal._entryTerms[at], journal._payloads[at]);
            }

            NextIndex++;
            return true;
        }

        public void Dispose() => _disposed = true;
    }
}
