using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Alerting.Engine.Timing;

/// <summary>
/// Hashed timing wheel owned by the state-machine thread (not thread-safe by design). Logical time
/// moves only through <see cref="Advance{THandler}(long, ref THandler)"/>, called for each Tick entry
/// of the log.
/// </summary>
/// <remarks>
/// <para>
/// Layout: <c>2^SlotCountLog2</c> slots of <c>ResolutionMs</c>; a timer due at <c>d</c> waits in slot
/// <c>ceil(d / ResolutionMs) mod slots</c>. A slot holds (due, sequence, payload, index, period, generation)
/// records in a list of fixed-size chunks, so a slot scan reads contiguous memory instead of chasing one
/// cache miss per timer through a linked list, and a firing needs nothing else; timers themselves are
/// struct entries of a pooled array addressed by int index, written when a timer is re-armed into a slot
/// (so Cancel finds its record in O(1)) and never read on the firing path.
/// Timers more than one revolution away share the slot with nearer ones and are skipped by a per-timer
/// due check (the "rounds" of a hashed wheel). A bitmap of non-empty slots lets an advance skip 64 empty
/// slots per word read. Schedule and Cancel are O(1) (cancel moves the slot's last record into the hole)
/// and allocate nothing once the pools are large enough; the timer pool and the chunk pool grow by
/// doubling (the timer pool up to <see cref="TimingWheelOptions.MaxTimers"/>), never shrink.
/// </para>
/// <para>
/// Firing order is total and deterministic: ascending due ms, ties by a sequence number assigned at
/// Schedule (kept by a periodic timer for all its instances), never by slot or memory order. An advance
/// first collects the due records of every slot it covers into a <see cref="DueBatch"/> and orders them
/// once (a counting pass on the due ms, an insertion sort by sequence per ms); timers scheduled or re-armed
/// during the advance with a due inside it go to a small min-heap (<see cref="DueQueue"/>), merged with
/// the batch as the drain proceeds, so the order stays exact. A batch too spread for the counting sort
/// (a jump, see <see cref="DueBatch.MaxCountingSpanMs"/>) goes through that heap as a whole.
/// </para>
/// <para>
/// Cost of <c>Advance(now)</c> over a span of <c>T</c> slots with <c>F</c> firings: when <c>T</c> is less
/// than a revolution, O(T/64 + entries in the visited non-empty slots + F + due ms spanned) plus
/// O(J log J) for the <c>J</c> instances re-armed or scheduled into the same advance. When <c>T</c> is a
/// revolution or more (a pause, a failover) every slot is visited once, whatever the jump: O(slots/64 +
/// live timers + F log n); a periodic timer fires once for each due instant it missed, interleaved in due
/// order with all the others.
/// </para>
/// </remarks>
public sealed class TimingWheel
{
    /// <summary>Largest due time accepted, so that due + period can never overflow.</summary>
    public const long MaxDueMs = long.MaxValue / 4;

    /// <summary>Records per slot chunk: 8 × 40 B = five cache lines read in a row by a slot scan.</summary>
    internal const int ChunkSize = 8;

    private const int None = -1;

    private readonly long _resolutionMs;
    private readonly int _slotMask;
    private readonly int _maxTimers;
    private readonly long _maxPeriodMs;

    private readonly SlotHead[] _slotHeads;
    private readonly ulong[] _occupied;
    private readonly DueQueue _dueQueue;
    private readonly DueBatch _batch;

    // ceil(2^64 / ResolutionMs), or 0 for 1 ms: divides a 32-bit ms offset by the resolution with one
    // multiply-high (Lemire, Kaser, Kurz 2019, "Faster remainder by direct computation"), exact for
    // every 32-bit offset, instead of a 64-bit division per firing.
    private readonly ulong _tickReciprocal;

    private TimerEntry[] _entries;

    // One bit per pool entry: the timer was cancelled while its record was in the running advance
    // (due batch or due queue). Checked per firing instead of the entry: 1 M timers take 128 KB.
    private ulong[] _cancelledInAdvance;

    // During a handler callback: the entry firing, and whether the callback cancelled it.
    private int _firingIndex = None;
    private bool _firingCancelled;
    private int _freeEntry = None;
    private int _entriesUsed;

    // Chunk c owns _records[c * ChunkSize ..][..ChunkSize] (only a slot's newest chunk is partly filled);
    // _chunkNext links a slot's chunks from newest to oldest, or the free chunks.
    private DueInstance[] _records;
    private int[] _chunkNext;
    private int _freeChunk = None;
    private int _chunksUsed;

    private long _nextSequence;
    private int _liveCount;
    private bool _advancing;

    // During an Advance: its target time. A timer scheduled or re-armed with a due at or before it
    // joins the due queue of this advance, which the drain merges with the sorted batch.
    private long _horizonMs;

    // Tick of the last advance's start and its first ms: ticks of nearby times are computed from this
    // base with 32-bit arithmetic.
    private long _tickBase;
    private long _tickBaseMs;

    /// <summary>Creates an empty wheel whose logical time starts at <paramref name="startMs"/>.</summary>
    public TimingWheel(TimingWheelOptions? options = null, long startMs = 0)
    {
        options ??= new TimingWheelOptions();
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(startMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(startMs, MaxDueMs);
        _resolutionMs = options.ResolutionMs;
        int slotCount = 1 << options.SlotCountLog2;
        _slotMask = slotCount - 1;
        _maxTimers = options.MaxTimers;
        _maxPeriodMs = options.MaxPeriodMs;
        _slotHeads = new SlotHead[slotCount];
        Array.Fill(_slotHeads, new SlotHead { Chunk = None });
        _occupied = new ulong[slotCount / 64];
        _entries = new TimerEntry[options.InitialCapacity];
        _cancelledInAdvance = new ulong[(options.InitialCapacity + 63) / 64];
        _dueQueue = new DueQueue(options.InitialCapacity);
        _batch = new DueBatch(options.InitialCapacity);
        _tickReciprocal = _resolutionMs == 1 ? 0 : (ulong.MaxValue / (ulong)_resolutionMs) + 1;
        _tickBase = CeilingTick(startMs);
        _tickBaseMs = _tickBase * _resolutionMs;
        int chunks = Math.Max(2, 2 * options.InitialCapacity / ChunkSize);
        _records = new DueInstance[chunks * ChunkSize];
        _chunkNext = new int[chunks];
        NowMs = startMs;
    }

    /// <summary>Logical time of the last completed Advance (or the start time), unix ms.</summary>
    public long NowMs { get; private set; }

    /// <summary>Live timers: scheduled, not cancelled, and (one-shots) not yet fired.</summary>
    public int Count => _liveCount;

    /// <summary>Timer pool entries currently allocated; grows by doubling, never shrinks.</summary>
    public int Capacity => _entries.Length;

    internal int SlotCount => _slotHeads.Length;

    /// <summary>
    /// Schedules a timer first due at <paramref name="firstDueMs"/>, then every <paramref name="periodMs"/>
    /// (0 = one-shot). A due time at or before <see cref="NowMs"/> fires at the next Advance (or in the
    /// running one, in due order, when called from a handler).
    /// </summary>
    public TimerHandle Schedule(long firstDueMs, long periodMs, long payload)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstDueMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstDueMs, MaxDueMs);
        ArgumentOutOfRangeException.ThrowIfNegative(periodMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(periodMs, _maxPeriodMs);

        int index = AllocateEntry();
        ref var entry = ref _entries[index];
        int generation = entry.Generation;
        entry.State = TimerState.Live;
        entry.Location = None; // in no slot until Place puts it in one
        Place(new DueInstance(firstDueMs, _nextSequence++, payload, index, (int)periodMs, generation));
        _liveCount++;
        return new TimerHandle(index, generation);
    }

    /// <summary>
    /// Cancels the timer; it fires no more instances, even ones already due in the running Advance.
    /// Returns false for a stale handle (cancelled, or a one-shot whose callback has returned).
    /// </summary>
    public bool Cancel(TimerHandle handle)
    {
        int index = handle.Index;
        if ((uint)index >= (uint)_entriesUsed)
        {
            return false;
        }

        ref var entry = ref _entries[index];
        if (entry.Generation != handle.Generation)
        {
            return false;
        }

        Invariant.Check(entry.State == TimerState.Live, "an entry with a live generation belongs to a timer");
        if (index == _firingIndex)
        {
            // Released now; Advance sees the flag when the callback returns and does not re-arm it.
            _firingCancelled = true;
            Kill(index, ref entry);
        }
        else if (entry.Location != None && _records[entry.Location].Index == index)
        {
            // Its record is in a slot (a slot position taken out holds -1, and any re-append moves Location).
            RemoveRecord(entry.Slot, entry.Location);
            Kill(index, ref entry);
        }
        else
        {
            // Its record is in the running advance; the drain releases the entry when it reaches it.
            Invariant.Check(_advancing, "between advances every live timer's record is in a slot");
            entry.Generation = NextGeneration(entry.Generation);
            _cancelledInAdvance[index >> 6] |= 1UL << (index & 63);
        }

        _liveCount--;
        return true;
    }

    /// <summary>
    /// Moves logical time to <paramref name="nowMs"/> and fires every due instance with due ≤ nowMs, in
    /// ascending (due, scheduling order), each due instant of a periodic timer exactly once. Time never
    /// goes back: an earlier <paramref name="nowMs"/> is treated as <see cref="NowMs"/> (it still fires
    /// timers scheduled overdue since). Not re-entrant; a handler must not throw (the state machine
    /// treats that as fatal, and the wheel refuses further advances). Returns the number of firings.
    /// </summary>
    public long Advance<THandler>(long nowMs, ref THandler handler)
        where THandler : struct, ITimerHandler
    {
        if (_advancing)
        {
            throw new InvalidOperationException("TimingWheel.Advance is not re-entrant, and a handler that threw leaves the wheel unusable.");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(nowMs, MaxDueMs);
        nowMs = Math.Max(nowMs, NowMs);
        _advancing = true;
        long startTick = CeilingTick(NowMs);
        long endTick = CeilingTick(nowMs);
        _tickBase = startTick;
        _tickBaseMs = startTick * _resolutionMs;
        _horizonMs = nowMs;
        _batch.Clear();
        if (endTick - startTick >= SlotCount)
        {
            // A jump of a revolution or more: every slot may hold due timers; visit each once.
            CollectAllDue(nowMs);
        }
        else
        {
            long tick = startTick;
            while ((tick = NextOccupiedTick(tick, endTick)) >= 0)
            {
                CollectSlot((int)(tick & _slotMask), nowMs);
                tick++;
            }
        }

        if (!_batch.TrySort())
        {
            // Dues too spread (a jump) or ties too large for the counting sort: the heap orders them.
            foreach (ref readonly var due in _batch.Items)
            {
                _dueQueue.Push(due);
            }

            _batch.Clear();
        }

        long fired = Drain(ref handler);
        Invariant.Check(_dueQueue.Count == 0 && !_batch.HasNext, "the due queue and batch are empty between advances");
        NowMs = nowMs;
        _advancing = false;
        return fired;
    }

    /// <summary>Walks every structure and throws if an invariant is broken. O(slots + capacity); for tests.</summary>
    internal void CheckInvariants()
    {
        if (_advancing || _dueQueue.Count != 0)
        {
            throw new InvalidOperationException("Timer invariant broken: checked during an advance or with a non-empty due queue.");
        }

        int records = 0;
        int chunks = 0;
        for (int slot = 0; slot < _slotHeads.Length; slot++)
        {
            bool bit = (_occupied[slot >> 6] & (1UL << (slot & 63))) != 0;
            if (bit != (_slotHeads[slot].Chunk != None))
            {
                throw new InvalidOperationException($"Timer invariant broken: occupancy bit of slot {slot} disagrees with its chunk list.");
            }

            for (int chunk = _slotHeads[slot].Chunk; chunk != None; chunk = _chunkNext[chunk])
            {
                int fill = chunk == _slotHeads[slot].Chunk ? _slotHeads[slot].Fill : ChunkSize;
                if (fill is < 1 or > ChunkSize || ++chunks > _chunksUsed)
                {
                    throw new InvalidOperationException($"Timer invariant broken: chunk {chunk} of slot {slot} holds {fill} records.");
                }

                for (int k = 0; k < fill; k++)
                {
                    int location = (chunk * ChunkSize) + k;
                    var record = _records[location];
                    ref var entry = ref _entries[record.Index];
                    long placeTick = CeilingTick(Math.Max(record.DueMs, NowMs));
                    if (entry.State != TimerState.Live || entry.Slot != slot || entry.Location != location
                        || entry.Generation != record.Generation || (int)(placeTick & _slotMask) != slot)
                    {
                        throw new InvalidOperationException($"Timer invariant broken: record of entry {record.Index} misplaced in slot {slot}.");
                    }

                    records++;
                }
            }
        }

        if (Array.Exists(_cancelledInAdvance, word => word != 0))
        {
            throw new InvalidOperationException("Timer invariant broken: a cancelled-in-advance mark outlived its advance.");
        }

        int freeEntries = CountFreeList(_freeEntry, _entriesUsed, i => _entries[i].Location, i => _entries[i].State == TimerState.Free);
        int freeChunks = CountFreeList(_freeChunk, _chunksUsed, c => _chunkNext[c], _ => true);
        if (records != _liveCount || records + freeEntries != _entriesUsed || chunks + freeChunks != _chunksUsed)
        {
            throw new InvalidOperationException(
                $"Timer invariant broken: {records} records, {freeEntries} free of {_entriesUsed} entries, live count {_liveCount}; {chunks} + {freeChunks} free of {_chunksUsed} chunks.");
        }
    }

    private static int CountFreeList(int head, int used, Func<int, int> next, Func<int, bool> isFree)
    {
        int count = 0;
        for (int i = head; i != None; i = next(i))
        {
            if (!isFree(i) || ++count > used)
            {
                throw new InvalidOperationException($"Timer invariant broken: free list corrupt at {i}.");
            }
        }

        return count;
    }

    private static int NextGeneration(int generation)
    {
        int next = unchecked(generation + 1);
        return next == 0 ? 1 : next;
    }

    private int AllocateEntry()
    {
        if (_freeEntry != None)
        {
            int index = _freeEntry;
            ref var entry = ref _entries[index];
            Invariant.Check(entry.State == TimerState.Free && entry.Generation != 0, "free list holds only free entries");
            _freeEntry = entry.Location;
            return index;
        }

        if (_entriesUsed == _entries.Length)
        {
            GrowEntries();
        }

        int fresh = _entriesUsed++;
        _entries[fresh].Generation = 1;
        return fresh;
    }

    private void GrowEntries()
    {
        if (_entries.Length >= _maxTimers)
        {
            throw new InvalidOperationException($"The timing wheel holds its maximum of {_maxTimers} timers (TimingWheelOptions.MaxTimers); cancel timers or raise the limit.");
        }

        int capacity = (int)Math.Min((long)_entries.Length * 2, _maxTimers);
        Array.Resize(ref _entries, capacity);
        Array.Resize(ref _cancelledInAdvance, (capacity + 63) / 64);
        _dueQueue.Grow(capacity);
        _batch.Grow(capacity);
    }

    private void Kill(int index, ref TimerEntry entry)
    {
        entry.Generation = NextGeneration(entry.Generation);
        Release(index, ref entry);
    }

    private void Release(int index, ref TimerEntry entry)
    {
        entry.State = TimerState.Free;
        entry.Location = _freeEntry;
        _freeEntry = index;
    }

    private int AllocateChunk()
    {
        if (_freeChunk != None)
        {
            int chunk = _freeChunk;
            _freeChunk = _chunkNext[chunk];
            return chunk;
        }

        if (_chunksUsed == _chunkNext.Length)
        {
            // Bounded by the timer pool: every chunk but a slot's newest is full, so chunks in use
            // never exceed min(slots, records) + records / ChunkSize, plus one slot's worth mid-scan.
            int capacity = checked(_chunkNext.Length * 2);
            Array.Resize(ref _records, checked(capacity * ChunkSize));
            Array.Resize(ref _chunkNext, capacity);
        }

        return _chunksUsed++;
    }

    private void FreeChunk(int chunk)
    {
        _chunkNext[chunk] = _freeChunk;
        _freeChunk = chunk;
    }

    /// <summary>Puts a due instance where it belongs: the running advance's due queue, or a wheel slot.</summary>
    private void Place(in DueInstance due)
    {
        if (_advancing && due.DueMs <= _horizonMs)
        {
            _dueQueue.Push(due);
            return;
        }

        // An overdue timer scheduled between advances waits in the slot of NowMs, which the next
        // advance visits first; during an advance every due left for the wheel is after NowMs anyway.
        int slot = (int)(TickOf(Math.Max(due.DueMs, NowMs)) & _slotMask);
        int location = AppendRecord(slot, due);
        ref var entry = ref _entries[due.Index];
        entry.Slot = slot;
        entry.Location = location;
    }

    /// <summary>Appends to the slot's newest chunk (a new one when full) and returns the record's location.</summary>
    private int AppendRecord(int slot, in DueInstance due)
    {
        ref var head = ref _slotHeads[slot];
        if (head.Chunk == None || head.Fill == ChunkSize)
        {
            int fresh = AllocateChunk();
            _chunkNext[fresh] = head.Chunk;
            if (head.Chunk == None)
            {
                _occupied[slot >> 6] |= 1UL << (slot & 63);
            }

            head.Chunk = fresh;
            head.Fill = 0;
        }

        int location = (head.Chunk * ChunkSize) + head.Fill++;
        _records[location] = due;
        return location;
    }

    /// <summary>Removes one record by moving the slot's last record (in its newest chunk) into the hole.</summary>
    private void RemoveRecord(int slot, int location)
    {
        ref var head = ref _slotHeads[slot];
        Invariant.Check(head.Chunk != None, "a record lives in a non-empty slot");
        int last = (head.Chunk * ChunkSize) + --head.Fill;
        if (location != last)
        {
            var moved = _records[last];
            _records[location] = moved;
            _entries[moved.Index].Location = location;
        }

        _records[last] = _records[last] with { Index = None };

        if (head.Fill == 0)
        {
            int emptied = head.Chunk;
            head.Chunk = _chunkNext[emptied];
            head.Fill = ChunkSize;
            FreeChunk(emptied);
            if (head.Chunk == None)
            {
                _occupied[slot >> 6] &= ~(1UL << (slot & 63));
            }
        }
    }

    /// <summary>First tick in [fromTick, toTick] whose slot is non-empty, or -1. Needs toTick - fromTick &lt; slots.</summary>
    private long NextOccupiedTick(long fromTick, long toTick)
    {
        Invariant.Check(toTick - fromTick < SlotCount, "a tick range shorter than a revolution visits each slot once");
        long tick = fromTick;
        while (tick <= toTick)
        {
            int slot = (int)(tick & _slotMask);
            int bit = slot & 63;
            ulong bits = _occupied[slot >> 6] >> bit;
            if (bits != 0)
            {
                long found = tick + BitOperations.TrailingZeroCount(bits);
                return found <= toTick ? found : -1;
            }

            // Slot counts are multiples of 64, so the next word starts at the next multiple of 64 (wrapping).
            tick += 64 - bit;
        }

        return -1;
    }

    private void CollectAllDue(long nowMs)
    {
        for (int word = 0; word < _occupied.Length; word++)
        {
            ulong bits = _occupied[word];
            while (bits != 0)
            {
                CollectSlot((word << 6) + BitOperations.TrailingZeroCount(bits), nowMs);
                bits &= bits - 1;
            }
        }
    }

    /// <summary>
    /// Moves every record of the slot due at or before <paramref name="horizonMs"/> into the due batch.
    /// The slot's chunks are detached and freed as they are read; records of later rounds are appended
    /// again to fresh chunks of the same slot.
    /// </summary>
    private void CollectSlot(int slot, long horizonMs)
    {
        int chunk = _slotHeads[slot].Chunk;
        int fill = _slotHeads[slot].Fill;
        _slotHeads[slot] = new SlotHead { Chunk = None };
        _occupied[slot >> 6] &= ~(1UL << (slot & 63));
        while (chunk != None)
        {
            int first = chunk * ChunkSize;
            int end = first + fill;
            int next = _chunkNext[chunk];
            if (next != None)
            {
                Prefetch(ref _records[next * ChunkSize]);
                Prefetch(ref _records[(next * ChunkSize) + ChunkSize - 1]);
            }

            for (int location = first; location < end; location++)
            {
                // _records is read through the field: AppendRecord below may grow (replace) it.
                var record = _records[location];

                // The position is given up: Cancel must not find this record here any more.
                _records[location] = record with { Index = None };
                if (record.DueMs <= horizonMs)
                {
                    // The firing needs nothing from the pool entry; prefetch the slot its next instance goes to.
                    _batch.Add(record);
                    PrefetchSlot(record.DueMs + record.PeriodMs);
                }
                else
                {
                    _entries[record.Index].Location = AppendRecord(slot, record);
                }
            }

            FreeChunk(chunk);
            chunk = next;
            fill = ChunkSize;
        }
    }

    private static unsafe void Prefetch<T>(ref T location)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref location));
        }
    }

    private void PrefetchSlot(long dueMs) =>
        Prefetch(ref _slotHeads[(int)(TickOf(dueMs) & _slotMask)]);

    /// <summary><see cref="CeilingTick"/> as a multiply-high when within 2^32 ms after the tick base, else a division.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long TickOf(long ms)
    {
        ulong offset = (ulong)(ms + _resolutionMs - 1 - _tickBaseMs);
        if (offset > uint.MaxValue)
        {
            return CeilingTick(ms);
        }

        return _tickBase + (long)(_tickReciprocal == 0 ? offset : Math.BigMul(_tickReciprocal, offset, out _));
    }

    /// <summary>
    /// Slot tick of a ms: tick t covers ((t - 1) × ResolutionMs, t × ResolutionMs], so an advance to a time
    /// aligned on the resolution (the engine's 100 ms ticks) ends on a slot that is entirely due, and no
    /// record of it is collected only to be put back.
    /// </summary>
    private long CeilingTick(long ms) => (ms + _resolutionMs - 1) / _resolutionMs;

    private long Drain<THandler>(ref THandler handler)
        where THandler : struct, ITimerHandler
    {
        long fired = 0;
        var batch = _batch;
        while (true)
        {
            // Merge of the sorted batch with the queue of timers scheduled or re-armed into this advance.
            DueInstance due;
            if (_dueQueue.Count > 0 && (!batch.HasNext || _dueQueue.Peek().FiresBefore(batch.Next)))
            {
                due = _dueQueue.Pop();
            }
            else if (batch.HasNext)
            {
                due = batch.Next;
                batch.MoveNext();
            }
            else
            {
                break;
            }

            int index = due.Index;
            ulong cancelledBit = 1UL << (index & 63);
            if ((_cancelledInAdvance[index >> 6] & cancelledBit) != 0)
            {
                _cancelledInAdvance[index >> 6] &= ~cancelledBit;
                Release(index, ref _entries[index]);
                continue;
            }

            _firingIndex = index;
            _firingCancelled = false;
            handler.OnTimer(new TimerHandle(index, due.Generation), due.Payload, due.DueMs);
            _firingIndex = None;
            fired++;

            // The callback may have cancelled this timer (its entry is then already released).
            if (_firingCancelled)
            {
                continue;
            }

            if (due.PeriodMs == 0)
            {
                Kill(index, ref _entries[index]);
                _liveCount--;
                continue;
            }

            Place(due with { DueMs = due.DueMs + due.PeriodMs });
        }

        return fired;
    }
}
