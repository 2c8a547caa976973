using FASTER.core;

namespace Alerting.Engine.Journal;

/// <summary>
/// The durable log of input entries, on FASTER's FasterLog. One thread appends (the journaler
/// stage); a dedicated commit thread makes appended entries durable in groups: one FasterLog
/// commit covers every entry enqueued since the previous one was issued. Any thread may wait
/// for "durable up to index N".
/// <para>
/// The commit pipeline. The commit thread issues a commit, then writes and <c>fdatasync</c>s its
/// pages itself (<see cref="SegmentFileDevice"/>: no thread-pool hop on the data path);
/// FasterLog's commit worker then writes and fsyncs the commit metadata
/// (<see cref="JournalCommitFile"/>), and only then is the group published as durable. While
/// one group's metadata is being fsynced the commit thread already writes the next group's data:
/// at most <see cref="MaxCommitsInFlight"/> commits are outstanding.
/// </para>
/// <para>
/// Each FasterLog record is a <see cref="JournalRecordHeader"/> (length, CRC32C, term, index)
/// followed by the opaque payload. Recovery verifies every committed record and refuses to
/// start below the journal's own fsynced high-water mark, because FasterLog recovers to an
/// empty log without an error when its commit metadata is missing.
/// </para>
/// <para>
/// Recovery rules. FasterLog only trusts what a completed commit covers, so bytes written past
/// the last commit (a torn tail: a flush interrupted by the crash) are ignored and overwritten
/// by the next appends. Inside the committed region every byte was fsynced before the commit
/// record, so a bad CRC, bad framing, an index gap or a committed region that ends early is
/// corruption: <see cref="JournalCorruptionException"/>, naming the index. A committed log
/// that ends below the high-water mark is <see cref="JournalRecoveryException"/>.
/// </para>
/// <para>
/// FasterLog cannot drop its tail, so <see cref="TruncateAfter"/> refuses with
/// <see cref="NotSupportedException"/>: a follower whose uncommitted suffix conflicts with the
/// new leader's log resynchronises from a snapshot into a fresh journal instead of rewinding.
/// </para>
/// </summary>
public sealed class FasterJournal : IJournal
{
    /// <summary>File name prefix of the FasterLog segment files inside the journal directory.</summary>
    public const string SegmentFilePrefix = "journal.log";

    /// <summary>Subdirectory holding FasterLog's commit metadata.</summary>
    public const string CommitDirectoryName = "commits";

    /// <summary>
    /// Group commits outstanding at once: one whose data the commit thread is writing and syncing,
    /// one whose metadata FasterLog's worker is fsyncing. More would only queue behind the same disk.
    /// </summary>
    internal const int MaxCommitsInFlight = 2;

    /// <summary>Spins a blocking waiter makes before parking; a group commit takes about an fsync.</summary>
    private const int WaitSpinCount = 64;

    private readonly FasterLog _log;
    private readonly SegmentFileDevice _device;
    private readonly JournalCommitFile _commitFile;
    private readonly HighWaterMark _highWaterMark;
    private readonly JournalAddressIndex _addresses;
    private readonly JournalTermIndex _terms;
    private readonly int _maxPayloadBytes;
    private readonly int _sparseIndexInterval;
    private readonly byte[] _appendBuffer;
    private readonly Thread _commitThread;
    private readonly Thread _highWaterMarkThread;
    private readonly ManualResetEventSlim _commitRequested = new(false);
    private readonly ManualResetEventSlim _highWaterMarkRequested = new(false);
    private readonly Lock _truncateGate = new();

    /// <summary>Guards <see cref="_inFlight"/> and the committed addresses; taken by the commit thread and FasterLog's worker.</summary>
    private readonly Lock _inFlightGate = new();
    private readonly Queue<InFlightCommit> _inFlight = new(MaxCommitsInFlight);
    private readonly Action _onCommitDurable;
    private long _committedBeginAddress;
    private long _committedUntilAddress;

    // Commit thread only: what the last issued commit covers.
    private long _issuedIndex;
    private long _issuedTruncations;

    private TaskCompletionSource _durableAdvanced = NewDurableSignal();
    private long _firstIndex;
    private long _lastIndex;
    private ulong _lastTerm;
    private long _durableIndex;
    private long _commitCount;
    private long _truncationsRequested;
    private long _truncationsCommitted;
    private volatile bool _stopping;
    private volatile Exception? _commitFailure;
    private int _disposed;

    private FasterJournal(JournalOptions options, FasterLog log, SegmentFileDevice device, JournalCommitFile commitFile, HighWaterMark highWaterMark, JournalAddressIndex addresses, JournalTermIndex terms, long firstIndex, long lastIndex, ulong lastTerm)
    {
        _log = log;
        _device = device;
        _commitFile = commitFile;
        _highWaterMark = highWaterMark;
        _addresses = addresses;
        _terms = terms;
        _maxPayloadBytes = options.MaxPayloadBytes;
        _sparseIndexInterval = options.SparseIndexInterval;
        _appendBuffer = new byte[JournalRecordHeader.Size + options.MaxPayloadBytes];
        _firstIndex = firstIndex;
        _lastIndex = lastIndex;
        _lastTerm = lastTerm;
        _durableIndex = lastIndex;
        _issuedIndex = lastIndex;
        _committedBeginAddress = log.CommittedBeginAddress;
        _committedUntilAddress = log.CommittedUntilAddress;
        _onCommitDurable = OnCommitDurable;
        commitFile.Failed = OnCommitMetadataFailed;
        device.QueueWritesTo(WakeCommitThread);
        _commitThread = new Thread(CommitLoop) { IsBackground = true, Name = "journal-commit" };
        _highWaterMarkThread = new Thread(HighWaterMarkLoop) { IsBackground = true, Name = "journal-hwm" };
        _commitThread.Start();
        _highWaterMarkThread.Start();
    }

    /// <summary>Index of the oldest entry kept (the next index to be appended when the journal is empty).</summary>
    public long FirstIndex => Volatile.Read(ref _firstIndex);

    /// <summary>Index of the last entry appended (0 when none); may not be durable yet.</summary>
    public long LastIndex => Volatile.Read(ref _lastIndex);

    /// <summary>Term of the last entry appended (0 when none).</summary>
    public ulong LastTerm => Volatile.Read(ref _lastTerm);

    /// <summary>Every entry up to this index is fsynced (FasterLog commit completed).</summary>
    public long DurableIndex => Volatile.Read(ref _durableIndex);

    /// <summary>Group commits completed since open (each one FasterLog commit issued by the commit thread).</summary>
    public long CommitCount => Volatile.Read(ref _commitCount);

    /// <summary>Highest index persisted in the high-water mark file (lags <see cref="DurableIndex"/>).</summary>
    internal long HighWaterMarkIndex => _highWaterMark.Index;

    /// <summary>
    /// Called on the commit thread after each group commit with the commit's duration in
    /// <see cref="System.Diagnostics.Stopwatch"/> ticks and the number of entries it made durable.
    /// Set before appending; used by benchmark B3 to record commit latency.
    /// </summary>
    internal Action<long, long>? CommitObserver { get; set; }

    /// <summary>The segment device, whose counters show the page writes and fdatasyncs (for tests).</summary>
    internal SegmentFileDevice DeviceForTests => _device;

    /// <summary>The high-water mark file (fault tests close it so its next write fails).</summary>
    internal HighWaterMark HighWaterMarkForTests => _highWaterMark;

    /// <summary>The commit file, whose counters show the segment directory fsyncs (for tests).</summary>
    internal JournalCommitFile CommitFileForTests => _commitFile;

    /// <summary>FasterLog address up to which the log is committed (for recovery tests).</summary>
    internal long CommittedUntilAddress => _log.CommittedUntilAddress;

    /// <summary>FasterLog address of the record holding <paramref name="index"/> (for recovery tests).</summary>
    internal long AddressOf(long index)
    {
        using JournalScanner scanner = Scan(index);
        if (!scanner.TryNext(out _))
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "Index is not durable.");
        }

        return scanner.CurrentAddress;
    }

    /// <summary>Opens (recovering) or creates the journal in <see cref="JournalOptions.Directory"/>.</summary>
    /// <exception cref="JournalCorruptionException">A committed record failed verification.</exception>
    /// <exception cref="JournalRecoveryException">The log recovered below the high-water mark.</exception>
    public static FasterJournal Open(JournalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string directory = Path.GetFullPath(options.Directory);
        Directory.CreateDirectory(directory);
        RefuseSegmentsWithoutHighWaterMark(directory);

        HighWaterMark highWaterMark = HighWaterMark.Open(directory);
        SegmentFileDevice? device = null;
        JournalCommitFile? commitFile = null;
        FasterLog? log = null;
        try
        {
            device = new SegmentFileDevice(Path.Combine(directory, SegmentFilePrefix));
            commitFile = JournalCommitFile.Open(Path.Combine(directory, CommitDirectoryName), directory, options.SegmentSizeBits);
            log = new FasterLog(new FasterLogSettings
            {
                LogDevice = device,
                PageSizeBits = options.PageSizeBits,
                MemorySizeBits = options.MemorySizeBits,
                SegmentSizeBits = options.SegmentSizeBits,
                LogCommitManager = commitFile,
                TryRecoverLatest = true,
                // We only ever scan committed data, so the safe tail need not follow appends.
                AutoRefreshSafeTailAddress = false,
                // Our CRC32C replaces FasterLog's XOR-fold checksum.
                LogChecksum = LogChecksumType.None,
            });

            var addresses = new JournalAddressIndex();
            var terms = new JournalTermIndex();
            (long firstIndex, long lastIndex, ulong lastTerm) = Recover(log, addresses, terms, options.SparseIndexInterval);
            if (lastIndex < highWaterMark.Index)
            {
                throw new JournalRecoveryException(
                    $"Journal in '{directory}' recovered to index {lastIndex} but its high-water mark says {highWaterMark.Index} was durable: refusing to start below it; the commit files may be missing or corrupt. Restore the node from a healthy peer.");
            }

            return new FasterJournal(options, log, device, commitFile, highWaterMark, addresses, terms, firstIndex, lastIndex, lastTerm);
        }
        catch
        {
            log?.Dispose();
            commitFile?.Dispose();
            device?.Dispose();
            highWaterMark.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Appends an entry and returns its index (LastIndex + 1). Only one thread may call this.
    /// The entry is in memory when this returns; wait for <see cref="DurableIndex"/> before
    /// treating it as written. Does not allocate.
    /// </summary>
    /// <exception cref="ArgumentException">The payload is larger than <see cref="JournalOptions.MaxPayloadBytes"/>, or the term went backwards.</exception>
    public long Append(ReadOnlySpan<byte> payload, ulong term) => AppendNext(_lastIndex + 1, payload, term);

    /// <summary>
    /// Makes an empty journal begin at <paramref name="index"/> with this entry: a replica that
    /// installs the primary's snapshot at <paramref name="index"/> keeps the snapshot's last entry
    /// (so the journal and the snapshot join up, and a reopened journal knows where it starts) and
    /// continues at <paramref name="index"/> + 1. The appending thread's call, before any other append.
    /// </summary>
    /// <exception cref="InvalidOperationException">The journal holds entries.</exception>
    public void AppendFirst(long index, ulong term, ReadOnlySpan<byte> payload)
    {
        ThrowIfUnusable();
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        if (LastIndex != 0 || FirstIndex != 1)
        {
            throw new InvalidOperationException($"the journal already holds entries {FirstIndex}..{LastIndex}: only an empty journal can begin at index {index}");
        }

        _terms.Reset(index);
        Volatile.Write(ref _firstIndex, index);
        long appended = AppendNext(index, payload, term);
        Invariant.Check(appended == index, "the first entry lands at the index asked for");
    }

    private long AppendNext(long index, ReadOnlySpan<byte> payload, ulong term)
    {
        ThrowIfUnusable();
        if (payload.Length > _maxPayloadBytes)
        {
            throw new ArgumentException($"Journal entry payload is {payload.Length} bytes; the limit (JournalOptions.MaxPayloadBytes) is {_maxPayloadBytes}.", nameof(payload));
        }

        if (term < _lastTerm)
        {
            throw new ArgumentException($"Journal entry term {term} is below the last appended term {_lastTerm}; terms never go backwards in the log.", nameof(term));
        }

        new JournalRecordHeader(term, index, payload).Write(_appendBuffer);
        payload.CopyTo(_appendBuffer.AsSpan(JournalRecordHeader.Size));
        long address;
        try
        {
            address = _log.Enqueue(_appendBuffer.AsSpan(0, JournalRecordHeader.Size + payload.Length));
        }
        catch (CommitFailureException e)
        {
            // Enqueue waited for a page whose flush failed (Fail completes stranded writes with
            // an error, so it does not wait forever): fail the way every other caller does.
            Fail(e);
            ThrowIfUnusable();
            throw;
        }

        // Enqueue may have waited for a page flush that failed: the entry will not become
        // durable, so its index is not handed out.
        ThrowIfUnusable();
        if (index % _sparseIndexInterval == 0 || index == FirstIndex)
        {
            _addresses.Add(index, address);
        }

        _terms.Append(index, term);

        Volatile.Write(ref _lastTerm, term);
        Volatile.Write(ref _lastIndex, index);

        // Dekker pairing with the commit thread's Reset-then-recheck: the store of _lastIndex
        // must be visible before we read IsSet, or the commit thread could sleep on our entry.
        Interlocked.MemoryBarrier();
        if (!_commitRequested.IsSet)
        {
            _commitRequested.Set();
        }

        return index;
    }

    /// <inheritdoc/>
    public void AppendAt(long index, ulong term, ReadOnlySpan<byte> payload)
    {
        long next = LastIndex + 1;
        if (index != next)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"A follower appends the next index, {next}; a conflicting suffix must be dropped first, and FasterJournal cannot drop its tail.");
        }

        long appended = Append(payload, term);
        Invariant.Check(appended == index, "a follower's entry lands at the index the leader gave it");
    }

    /// <summary>
    /// Refuses: FasterLog cannot truncate its tail. A follower holding a conflicting uncommitted
    /// suffix resynchronises from the leader's snapshot into a fresh journal.
    /// </summary>
    /// <exception cref="NotSupportedException">Always, unless nothing would be dropped.</exception>
    public void TruncateAfter(long index)
    {
        ThrowIfUnusable();
        if (index >= LastIndex)
        {
            return;
        }

        throw new NotSupportedException($"FasterJournal cannot drop entries {index + 1}..{LastIndex}: FasterLog cannot truncate its tail. Resynchronise this node from a snapshot into a fresh journal.");
    }

    /// <inheritdoc/>
    public bool TryGetTerm(long index, out ulong term) => _terms.TryGetTerm(index, out term);

    IJournalScanner IJournal.Scan(long fromIndex) => Scan(fromIndex);

    /// <summary>Completes when <see cref="DurableIndex"/> ≥ <paramref name="index"/>. Allocates nothing when already durable.</summary>
    public ValueTask WaitForDurableAsync(long index, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _durableIndex) >= index)
        {
            return ValueTask.CompletedTask;
        }

        return WaitForDurableSlowAsync(index, cancellationToken);
    }

    /// <summary>Blocks until <see cref="DurableIndex"/> ≥ <paramref name="index"/> (spins briefly, then parks).</summary>
    public void WaitForDurable(long index, CancellationToken cancellationToken = default)
    {
        var spinner = default(SpinWait);
        for (int i = 0; i < WaitSpinCount; i++)
        {
            if (Volatile.Read(ref _durableIndex) >= index)
            {
                return;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        while (true)
        {
            TaskCompletionSource signal = Volatile.Read(ref _durableAdvanced);
            if (Volatile.Read(ref _durableIndex) >= index)
            {
                return;
            }

            ThrowIfUnusable();
            signal.Task.Wait(cancellationToken);
        }
    }

    /// <summary>
    /// Scans durable entries from <paramref name="fromIndex"/> (FirstIndex ≤ fromIndex ≤ DurableIndex + 1).
    /// The scanner can be polled again later to follow new durable entries.
    /// </summary>
    public JournalScanner Scan(long fromIndex)
    {
        ThrowIfUnusable();
        long first = FirstIndex;
        long durable = DurableIndex;
        if (fromIndex < first || fromIndex > durable + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fromIndex), fromIndex, $"Scan must start within the kept, durable log: {first}..{durable + 1}.");
        }

        return OpenScannerAt(fromIndex);
    }

    /// <summary>
    /// Drops entries before <paramref name="index"/> (after a snapshot covering them) and waits
    /// until the new start is committed, so a restart begins there. FirstIndex ≤ index ≤ DurableIndex:
    /// the entry at <paramref name="index"/> is kept, so a reopened journal knows where it is.
    /// </summary>
    public void TruncateBefore(long index)
    {
        ThrowIfUnusable();
        long ticket;
        lock (_truncateGate)
        {
            long first = FirstIndex;
            long durable = DurableIndex;
            if (index < first || index > durable)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Truncation point must be a kept, durable entry: {first}..{durable}.");
            }

            if (index == first)
            {
                return;
            }

            long address;
            using (JournalScanner scanner = OpenScannerAt(index))
            {
                if (!scanner.TryNext(out _))
                {
                    throw new InvalidOperationException($"Invariant: durable index {index} must be readable.");
                }

                address = scanner.CurrentAddress;
            }

            _log.TruncateUntil(address);
            _addresses.TruncateBefore(index, address);
            _terms.TruncateBefore(index);
            Volatile.Write(ref _firstIndex, index);
            ticket = Interlocked.Increment(ref _truncationsRequested);
        }

        _commitRequested.Set();
        while (Volatile.Read(ref _truncationsCommitted) < ticket)
        {
            TaskCompletionSource signal = Volatile.Read(ref _durableAdvanced);
            if (Volatile.Read(ref _truncationsCommitted) >= ticket)
            {
                break;
            }

            ThrowIfUnusable();
            signal.Task.Wait();
        }
    }

    /// <summary>Makes everything appended durable, stops the commit thread and closes the files.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping = true;
        _commitRequested.Set();
        _commitThread.Join();
        _device.StopQueueing();
        _highWaterMarkRequested.Set();
        _highWaterMarkThread.Join();

        // A clean close leaves the high-water mark equal to what is durable.
        if (_commitFailure is null && DurableIndex > _highWaterMark.Index)
        {
            _highWaterMark.Write(DurableIndex);
        }

        _log.Dispose();
        _commitFile.Dispose();
        _device.Dispose();
        _highWaterMark.Dispose();
        _commitRequested.Dispose();
        _highWaterMarkRequested.Dispose();
        Volatile.Read(ref _durableAdvanced).TrySetResult();
    }

    /// <summary>
    /// The high-water mark is created before the first segment file, so segment files holding
    /// data without it mean it was deleted: FasterLog would then open an empty log without error
    /// (when the commit file is gone too) and the data would silently disappear.
    /// </summary>
    private static void RefuseSegmentsWithoutHighWaterMark(string directory)
    {
        if (File.Exists(Path.Combine(directory, HighWaterMark.FileName)))
        {
            return;
        }

        foreach (string segment in Directory.EnumerateFiles(directory, SegmentFilePrefix + ".*"))
        {
            if (new FileInfo(segment).Length > 0)
            {
                throw new JournalRecoveryException(
                    $"the journal in '{directory}' holds segment files ('{Path.GetFileName(segment)}') but its high-water mark '{HighWaterMark.FileName}' is missing: refusing to start without knowing which entries were durable; restore the folder from a backup or a healthy peer, or start with --force-empty to discard the data");
            }
        }
    }

    private static TaskCompletionSource NewDurableSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static (long FirstIndex, long LastIndex, ulong LastTerm) Recover(FasterLog log, JournalAddressIndex addresses, JournalTermIndex terms, int sparseInterval)
    {
        long committedUntil = log.CommittedUntilAddress;
        long firstIndex = 0;
        long lastIndex = 0;
        ulong lastTerm = 0;
        long endAddress = log.BeginAddress;
        using (var scanner = new JournalScanner(log.Scan(log.BeginAddress, committedUntil), owner: null, expectedIndex: 0))
        {
            while (scanner.TryNext(out JournalRecord record))
            {
                if (firstIndex == 0)
                {
                    firstIndex = record.Index;
                    terms.Reset(firstIndex);
                }

                terms.Append(record.Index, record.Term);

                if (record.Index == firstIndex || record.Index % sparseInterval == 0)
                {
                    addresses.Add(record.Index, scanner.CurrentAddress);
                }

                lastIndex = record.Index;
                lastTerm = record.Term;
                endAddress = scanner.NextAddress;
            }
        }

        // FasterLog treats a zeroed record header as page padding and skips to the next page,
        // so a committed region whose bytes were lost reads as "fewer records", not as an error.
        // The last verified record must therefore end exactly where the commit says the log ends.
        if (endAddress < committedUntil && !IsPagePadding(log, endAddress, committedUntil))
        {
            throw new JournalCorruptionException(lastIndex + 1, $"Committed records missing (verified records end at address {endAddress}, FasterLog committed until {committedUntil})");
        }

        return firstIndex == 0 ? (1, 0, 0) : (firstIndex, lastIndex, lastTerm);
    }

    private static bool IsPagePadding(FasterLog log, long endAddress, long committedUntil)
    {
        // A commit can end at the start of a fresh page when the last record filled the previous one.
        long pageSize = 1L << log.UnsafeGetLogPageSizeBits();
        return committedUntil - endAddress < pageSize && committedUntil % pageSize == 0;
    }

    private JournalScanner OpenScannerAt(long fromIndex)
    {
        if (!_addresses.TryFloor(fromIndex, out long floorIndex, out long floorAddress))
        {
            floorIndex = FirstIndex;
            floorAddress = _log.BeginAddress;
        }

        var scanner = new JournalScanner(_log.Scan(floorAddress, long.MaxValue), this, floorIndex);
        try
        {
            scanner.SkipTo(fromIndex);
            return scanner;
        }
        catch
        {
            scanner.Dispose();
            throw;
        }
    }

    private async ValueTask WaitForDurableSlowAsync(long index, CancellationToken cancellationToken)
    {
        while (true)
        {
            TaskCompletionSource signal = Volatile.Read(ref _durableAdvanced);
            if (Volatile.Read(ref _durableIndex) >= index)
            {
                return;
            }

            ThrowIfUnusable();
            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void CommitLoop()
    {
        try
        {
            while (true)
            {
                bool wrote = _device.DrainWrites();
                long target = Volatile.Read(ref _lastIndex);
                long truncations = Volatile.Read(ref _truncationsRequested);
                bool newWork = target > _issuedIndex || truncations > _issuedTruncations;
                if (newWork && InFlightCount() < MaxCommitsInFlight)
                {
                    IssueCommit(target, truncations);
                    continue;
                }

                if (wrote)
                {
                    continue;
                }

                if (_commitFailure is not null || (_stopping && !newWork && InFlightCount() == 0))
                {
                    return;
                }

                // Reset, then recheck everything that sets the event (appends, queued writes,
                // completed commits, stop), so a signal between the checks is never lost.
                _commitRequested.Reset();
                if (_device.HasQueuedWrites
                    || ((Volatile.Read(ref _lastIndex) > _issuedIndex || Volatile.Read(ref _truncationsRequested) > _issuedTruncations) && InFlightCount() < MaxCommitsInFlight)
                    || InFlightCount() == 0 && _stopping
                    || _commitFailure is not null)
                {
                    continue;
                }

                _commitRequested.Wait();
            }
        }
#pragma warning disable CA1031 // The failure is handed to every caller; the thread must not die silently.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(e);
        }
    }

    /// <summary>
    /// Issues a FasterLog commit covering every entry up to <paramref name="target"/> and every
    /// truncation requested so far. The commit thread then writes its pages (DrainWrites) and
    /// FasterLog's worker writes its metadata, which publishes it (OnCommitMetadataDurable).
    /// </summary>
    private void IssueCommit(long target, long truncations)
    {
        // Every entry up to `target` was enqueued before `target` was published, so it lies below
        // the tail read now; a truncation was applied before its ticket was taken, so the begin
        // address read now includes it. A commit's metadata at or past both covers this group.
        long tail = _log.TailAddress;
        long begin = _log.BeginAddress;
        lock (_inFlightGate)
        {
            Invariant.Check(_inFlight.Count < MaxCommitsInFlight, "the commit thread keeps at most MaxCommitsInFlight commits outstanding");
            _inFlight.Enqueue(new InFlightCommit(tail, begin, target, truncations, System.Diagnostics.Stopwatch.GetTimestamp()));
        }

        _issuedIndex = target;
        _issuedTruncations = truncations;

        // A strong commit, so FasterLog calls back once this commit's metadata is fsynced and
        // its committed addresses (what scanners read up to) are updated. It issues nothing when
        // an earlier commit already covers the tail and begin address, and that earlier commit
        // may have completed before this group was queued: hence the check either way.
        _log.CommitStrongly(out _, out _, spinWait: false, callback: _onCommitDurable);
        OnCommitDurable();
    }

    private int InFlightCount()
    {
        lock (_inFlightGate)
        {
            return _inFlight.Count;
        }
    }

    /// <summary>
    /// On FasterLog's commit worker after a commit's metadata was fsynced and FasterLog's
    /// committed addresses were updated (and on the commit thread after issuing a commit).
    /// </summary>
    private void OnCommitDurable()
    {
        try
        {
            lock (_inFlightGate)
            {
                _committedBeginAddress = Math.Max(_committedBeginAddress, _log.CommittedBeginAddress);
                _committedUntilAddress = Math.Max(_committedUntilAddress, _log.CommittedUntilAddress);
                PublishCoveredLocked();
            }
        }
#pragma warning disable CA1031 // Runs on FasterLog's worker: a fault is handed to every caller instead of escaping there.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(e);
        }
    }

    private void OnCommitMetadataFailed(Exception failure) => Fail(failure);

    /// <summary>
    /// Publishes, oldest first, every in-flight group whose tail and begin address FasterLog's
    /// committed state covers. FasterLog moves that state only after the data flush and the
    /// metadata fsync, so the high-water mark thread, which reads the published index
    /// afterwards, can lag but never lead, and a scan can read every published entry.
    /// </summary>
    private void PublishCoveredLocked()
    {
        bool published = false;
        while (_inFlight.TryPeek(out InFlightCommit group) && group.TailAddress <= _committedUntilAddress && group.BeginAddress <= _committedBeginAddress)
        {
            _inFlight.Dequeue();
            CommitObserver?.Invoke(System.Diagnostics.Stopwatch.GetTimestamp() - group.IssuedTimestamp, group.Index - _durableIndex);
            Interlocked.Increment(ref _commitCount);
            if (group.Index > _durableIndex)
            {
                Volatile.Write(ref _durableIndex, group.Index);
            }

            Volatile.Write(ref _truncationsCommitted, group.Truncations);
            published = true;
        }

        if (!published)
        {
            return;
        }

        Interlocked.Exchange(ref _durableAdvanced, NewDurableSignal()).TrySetResult();
        if (!_highWaterMarkRequested.IsSet)
        {
            _highWaterMarkRequested.Set();
        }

        WakeCommitThread();
    }

    private void WakeCommitThread()
    {
        if (!_commitRequested.IsSet)
        {
            _commitRequested.Set();
        }
    }

    /// <summary>
    /// The one way the journal fails (commit thread, FasterLog's commit worker, the high-water
    /// mark thread): the first failure is kept, the device stops taking writes and completes the
    /// queued ones with an error (so an appender inside FasterLog.Enqueue returns), every waiter
    /// wakes and throws, and the commit thread wakes and exits.
    /// </summary>
    private void Fail(Exception failure)
    {
        Interlocked.CompareExchange(ref _commitFailure, failure, null);
        _device.FailWrites();
        Interlocked.Exchange(ref _durableAdvanced, NewDurableSignal()).TrySetResult();
        _commitRequested.Set();
    }

    /// <summary>
    /// Persists the high-water mark off the commit thread, so its fsync never delays the next
    /// group commit. It writes the latest published durable index, coalescing every commit
    /// that completed during its previous fsync: the mark lags by at most one fsync plus the
    /// commits behind it, and never leads what FasterLog has durably committed.
    /// </summary>
    private void HighWaterMarkLoop()
    {
        try
        {
            while (true)
            {
                _highWaterMarkRequested.Wait();
                _highWaterMarkRequested.Reset();
                long durable = Volatile.Read(ref _durableIndex);
                if (durable > _highWaterMark.Index)
                {
                    _highWaterMark.Write(durable);
                }

                if (_stopping && !_commitThread.IsAlive)
                {
                    return;
                }
            }
        }
#pragma warning disable CA1031 // The failure is handed to every caller; the thread must not die silently.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(e);
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_commitFailure is { } failure)
        {
            throw new InvalidOperationException("The journal commit thread failed; no further entries can be made durable. Restart the node.", failure);
        }
    }

    /// <summary>A group commit issued and not yet durable: what it covers and when it was issued.</summary>
    private readonly record struct InFlightCommit(long TailAddress, long BeginAddress, long Index, long Truncations, long IssuedTimestamp);
}
