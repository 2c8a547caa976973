using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// All series windows of the state machine in pre-allocated flat arrays, addressed by int slot.
/// Single-threaded (state machine thread only), deterministic, allocation-free per point.
/// </summary>
/// <remarks>
/// Layout: one <c>long</c> head per slot, one <c>int</c> free-list entry per slot, and
/// <see cref="SeriesStoreOptions.RingLength"/> buckets per slot stored as seven columns (sum,
/// min, max, last: double; count: int; last offset, first offset: ushort when the buckets are at
/// most <see cref="OffsetColumn.NarrowMaxResolutionMs"/> wide, int otherwise, see
/// <see cref="OffsetColumn"/>), so an evaluation streams only the columns its aggregation reads. The columns are cut in chunks of a fixed number of slots
/// (about 64 KiB of doubles each, see <see cref="ChunkSlots"/>; slot s is local slot s mod C of
/// chunk s / C and owns its entries [local·L, (local+1)·L)): the store grows by one chunk, not by
/// doubling, so at most one chunk is unused room (M6) and no bucket is copied as it grows. Only a
/// store smaller than one chunk doubles its single chunk. With the defaults (15 s buckets, 21
/// retained + 1 future) that is 8 + 4 + 1 + 22 × 40 = 893 bytes per series.
/// <para>
/// Acceptance depends only on the point's bucket and the store clock (never on wall time):
/// with c = ⌊<see cref="NowMs"/> / resolution⌋ and b = ⌊unixMs / resolution⌋, a point is
/// accepted when c − RetainedBuckets &lt; b ≤ c + FutureBuckets. Because the clock never moves
/// back, an accepted bucket is always inside its series' ring.
/// </para>
/// </remarks>
public sealed class SeriesStore
{
    /// <summary>Head value of a slot on the free list.</summary>
    private const long FreeSlot = long.MinValue;

    /// <summary>
    /// Snapshot format version; bump on any change to <see cref="WriteTo"/>. 2 adds each bucket's
    /// first offset; 1 is still read (a bucket of several points gets <see cref="Bucket.UnknownOffset"/>).
    /// </summary>
    private const int FormatVersion = 2;

    /// <summary>The format before buckets kept their first offset.</summary>
    private const int FormatWithoutFirstOffset = 1;

    /// <summary>
    /// How many points ahead <see cref="AddPoints"/> prefetches: enough to cover a memory access
    /// (~100 ns) with the work of the points in between, few enough to stay in L1.
    /// </summary>
    internal const int PrefetchDistance = 8;

    private readonly SeriesStoreOptions _options;
    private readonly int _ringLength;

    /// <summary>Whether bucket offsets are kept as <c>ushort</c> (buckets at most 65 535 ms wide).</summary>
    private readonly bool _narrowOffsets;
    /// <summary>Bucket entries of doubles aimed at per chunk column: 8 192 (64 KiB), below the large-object heap's 85 000 B.</summary>
    private const int ChunkTargetBuckets = 8_192;

    /// <summary>Slots per full chunk: a power of two, so a slot's chunk is a shift away.</summary>
    private readonly int _chunkSlots;
    private readonly int _chunkShift;
    private readonly List<Chunk> _chunks = [];

    /// <summary>Slots the chunks hold (≤ the per-slot arrays' length).</summary>
    private int _capacity;

    private long[] _heads;

    // Per slot: the metric type of the series (derived from the series index, not in snapshots).
    private byte[] _types;
    private int[] _freeSlots;
    private int _freeCount;
    private int _highWater;

    /// <summary>Bucket of <see cref="NowMs"/>, kept so that a point costs one division.</summary>
    private long _clockBucket;

    /// <summary>Ring index of <see cref="_clockBucket"/>.</summary>
    private int _clockIndex;

    /// <summary>Creates an empty store; the clock starts at 0.</summary>
    public SeriesStore(SeriesStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _ringLength = options.RingLength;
        _narrowOffsets = options.ResolutionMs <= OffsetColumn.NarrowMaxResolutionMs;
        _chunkShift = BitOperations.Log2((uint)Math.Max(1, ChunkTargetBuckets / _ringLength));
        _chunkSlots = 1 << _chunkShift;
        if (options.InitialCapacity < _chunkSlots)
        {
            // Smaller than a chunk: one chunk of the initial capacity, doubled until it is full-sized.
            _chunks.Add(new Chunk(options.InitialCapacity * _ringLength, _narrowOffsets));
            _capacity = options.InitialCapacity;
        }
        else
        {
            for (; _capacity < options.InitialCapacity; _capacity += _chunkSlots)
            {
                _chunks.Add(new Chunk(_chunkSlots * _ringLength, _narrowOffsets));
            }
        }

        _heads = new long[_capacity];
        _freeSlots = new int[_capacity];
        _types = new byte[_capacity];
    }

    /// <summary>Slots per full chunk of the bucket columns.</summary>
    internal int ChunkSlots => _chunkSlots;

    /// <summary>Resolution and retention.</summary>
    public SeriesStoreOptions Options => _options;

    /// <summary>Width of a bucket in milliseconds.</summary>
    public long ResolutionMs => _options.ResolutionMs;

    /// <summary>Buckets per series ring.</summary>
    public int RingLength => _ringLength;

    /// <summary>The store clock (unix ms): the state machine's time, never wall time.</summary>
    public long NowMs { get; private set; }

    /// <summary>Number of live series.</summary>
    public int Count => _highWater - _freeCount;

    /// <summary>Slots allocated (live or free).</summary>
    public int Capacity => _capacity;

    /// <summary>Bytes of array storage per slot for this layout.</summary>
    public long BytesPerSeries => sizeof(long) + sizeof(int) + sizeof(byte) + ((long)_ringLength * (Bucket.SizeBytes - (_narrowOffsets ? 2 * (sizeof(int) - sizeof(ushort)) : 0)));

    /// <summary>Bucket number of a unix-ms instant: ⌊unixMs / resolution⌋ (floor, also below 0).</summary>
    public long BucketOf(long unixMs)
    {
        var (bucket, remainder) = Math.DivRem(unixMs, _options.ResolutionMs);
        return remainder < 0 ? bucket - 1 : bucket;
    }

    /// <summary>Moves the store clock forward; an earlier time is ignored (the clock never moves back).</summary>
    public void AdvanceClock(long nowMs)
    {
        if (nowMs > NowMs)
        {
            NowMs = nowMs;
            _clockBucket = BucketOf(nowMs);
            var index = _clockBucket % _ringLength;
            _clockIndex = (int)(index < 0 ? index + _ringLength : index);
        }
    }

    /// <summary>Allocates a slot for a new, empty series (reusing the most recently freed slot).</summary>
    public int Add()
    {
        int slot;
        if (_freeCount > 0)
        {
            slot = _freeSlots[--_freeCount];
        }
        else
        {
            if (_highWater == _capacity)
            {
                Grow();
            }

            slot = _highWater++;
        }

        Invariant.Check(slot == _highWater - 1 || _heads[slot] == FreeSlot, "a reused slot must have been free");
        _heads[slot] = SeriesWindow.NoData;
        _types[slot] = (byte)Protocol.Log.SeriesType.Unspecified;
        return slot;
    }

    /// <summary>Frees a slot; its buckets are cleared so that the slot is reused clean.</summary>
    public void Remove(int slot)
    {
        CheckLive(slot);
        _heads[slot] = FreeSlot;
        ColumnsOf(slot).Clear();
        _freeSlots[_freeCount++] = slot;
    }

    /// <summary>Records the metric type of the series in <paramref name="slot"/> (what <c>.as_count()</c> and <c>.as_rate()</c> read).</summary>
    public void SetType(int slot, Protocol.Log.SeriesType type)
    {
        CheckLive(slot);
        _types[slot] = checked((byte)type);
    }

    /// <summary>The metric type of the series in <paramref name="slot"/> (unspecified until set).</summary>
    public Protocol.Log.SeriesType TypeOf(int slot) => (Protocol.Log.SeriesType)_types[slot];

    /// <summary>Whether <paramref name="slot"/> holds a live series.</summary>
    public bool IsLive(int slot) => (uint)slot < (uint)_highWater && _heads[slot] != FreeSlot;

    /// <summary>Folds a point into its series' bucket, or says why it was dropped.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slot"/> is not a live series.</exception>
    public PointResult AddPoint(int slot, long unixMs, double value) => AddPoint(slot, unixMs, BucketOf(unixMs), value);

    /// <summary>
    /// Applies a batch of points — point i is (<paramref name="slots"/>[i], <paramref name="unixMs"/>[i],
    /// <paramref name="values"/>[i]) — writing each outcome to <paramref name="results"/>[i]. Same
    /// outcome and state as calling <see cref="AddPoint(int, long, double)"/> in order, but the
    /// buckets of the point <see cref="PrefetchDistance"/> ahead are prefetched, so a batch spread
    /// over many series waits for memory once per several points instead of once per column per point.
    /// </summary>
    /// <exception cref="ArgumentException">The four spans differ in length (nothing applied).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A slot is not live; the points before it were applied.</exception>
    public void AddPoints(ReadOnlySpan<int> slots, ReadOnlySpan<long> unixMs, ReadOnlySpan<double> values, Span<PointResult> results)
    {
        if (unixMs.Length != slots.Length || values.Length != slots.Length || results.Length != slots.Length)
        {
            throw new ArgumentException($"A batch needs one timestamp, value and result per slot: {slots.Length} slots, {unixMs.Length} timestamps, {values.Length} values, {results.Length} results.", nameof(slots));
        }

        // Bucket numbers computed at prefetch time, reused when the point is applied (one division per point).
        Span<long> buckets = stackalloc long[PrefetchDistance];
        var warmUp = Math.Min(PrefetchDistance, slots.Length);
        for (var i = 0; i < warmUp; i++)
        {
            buckets[i] = Prefetch(slots[i], unixMs[i]);
        }

        for (var i = 0; i < slots.Length; i++)
        {
            var bucket = buckets[i % PrefetchDistance];
            var ahead = i + PrefetchDistance;
            if (ahead < slots.Length)
            {
                buckets[i % PrefetchDistance] = Prefetch(slots[ahead], unixMs[ahead]);
            }

            results[i] = AddPoint(slots[i], unixMs[i], bucket, values[i]);
        }
    }

    private PointResult AddPoint(int slot, long unixMs, long bucket, double value)
    {
        CheckLive(slot);
        if (!double.IsFinite(value))
        {
            return PointResult.NotFinite;
        }

        if (bucket <= _clockBucket - _options.RetainedBuckets)
        {
            return PointResult.TooOld;
        }

        if (bucket > _clockBucket + _options.FutureBuckets)
        {
            return PointResult.TooFarInFuture;
        }

        var offsetMs = (int)(unixMs - (bucket * _options.ResolutionMs));
        // CheckLive above already vouched for the slot.
        new SeriesWindow(ColumnsOf(slot), ref _heads[slot]).Add(bucket, RingIndexNearClock(bucket), offsetMs, value);
        return PointResult.Accepted;
    }

    /// <summary>
    /// Ring index of an acceptable bucket without a division: such a bucket is less than a ring
    /// length away from the clock's bucket, whose index is kept.
    /// </summary>
    private int RingIndexNearClock(long bucket)
    {
        var index = _clockIndex + (int)(bucket - _clockBucket);
        if (index < 0)
        {
            index += _ringLength;
        }
        else if (index >= _ringLength)
        {
            index -= _ringLength;
        }

        return index;
    }

    /// <summary>
    /// Hints the CPU to load what a point will touch, and returns the point's bucket number.
    /// A prefetch is only a hint: it never faults, even on a stale address.
    /// </summary>
    private unsafe long Prefetch(int slot, long unixMs)
    {
        var bucket = BucketOf(unixMs);
        if (!Sse.IsSupported
            || (uint)slot >= (uint)_highWater
            || bucket <= _clockBucket - _options.RetainedBuckets
            || bucket > _clockBucket + _options.FutureBuckets)
        {
            return bucket;
        }

        var chunk = _chunks[slot >> _chunkShift];
        var index = ((slot & (_chunkSlots - 1)) * _ringLength) + RingIndexNearClock(bucket);
        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk.Counts), index)));
        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk.Sums), index)));
        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk.Mins), index)));
        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk.Maxs), index)));
        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk.Lasts), index)));
        if (chunk.NarrowLastOffsetsMs is { } narrowLast)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(narrowLast), index)));
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk.NarrowFirstOffsetsMs!), index)));
        }
        else
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk.LastOffsetsMs!), index)));
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk.FirstOffsetsMs!), index)));
        }

        Sse.Prefetch0(Unsafe.AsPointer(ref _heads[slot]));
        return bucket;
    }

    /// <summary>The window of a live series.</summary>
    public SeriesWindow Window(int slot)
    {
        CheckLive(slot);
        return new SeriesWindow(ColumnsOf(slot), ref _heads[slot]);
    }

    /// <summary>Head bucket of a slot without the liveness check (free slots read as long.MinValue).</summary>
    internal long HeadOf(int slot) => _heads[slot];

    /// <summary>The bucket columns of a slot (live or not: the caller checks), its ring's L entries.</summary>
    internal BucketColumns ColumnsOf(int slot)
    {
        var chunk = _chunks[slot >> _chunkShift];
        var start = (slot & (_chunkSlots - 1)) * _ringLength;
        return new(
            chunk.Sums.AsSpan(start, _ringLength),
            chunk.Mins.AsSpan(start, _ringLength),
            chunk.Maxs.AsSpan(start, _ringLength),
            chunk.Lasts.AsSpan(start, _ringLength),
            chunk.Counts.AsSpan(start, _ringLength),
            chunk.NarrowLastOffsetsMs is { } narrowLast ? new OffsetColumn(narrowLast.AsSpan(start, _ringLength)) : new OffsetColumn(chunk.LastOffsetsMs.AsSpan(start, _ringLength)),
            chunk.NarrowFirstOffsetsMs is { } narrowFirst ? new OffsetColumn(narrowFirst.AsSpan(start, _ringLength)) : new OffsetColumn(chunk.FirstOffsetsMs.AsSpan(start, _ringLength)));
    }

    /// <summary>
    /// Writes the whole store. Identical state (including the free list order, which decides
    /// future slot ids) gives identical bytes; capacity beyond the slots ever used is not state.
    /// </summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(_options.ResolutionMs);
        writer.Write(_options.RetainedBuckets);
        writer.Write(_options.FutureBuckets);
        writer.Write(NowMs);
        writer.Write(_highWater);
        writer.Write(_freeCount);
        for (var i = 0; i < _freeCount; i++)
        {
            writer.Write(_freeSlots[i]);
        }

        for (var slot = 0; slot < _highWater; slot++)
        {
            var head = _heads[slot];
            writer.Write(head);
            if (head == FreeSlot || head == SeriesWindow.NoData)
            {
                continue;
            }

            var ring = ColumnsOf(slot);
            for (var i = 0; i < ring.Length; i++)
            {
                var bucket = ring[i];
                // Empty buckets are all zeros, so the count alone describes them.
                writer.Write(bucket.Count);
                if (bucket.Count == 0)
                {
                    continue;
                }

                writer.Write(bucket.Sum);
                writer.Write(bucket.Min);
                writer.Write(bucket.Max);
                writer.Write(bucket.Last);
                writer.Write(bucket.LastOffsetMs);
                writer.Write(bucket.FirstOffsetMs);
            }
        }
    }

    /// <summary>Reads a store written by <see cref="WriteTo"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a store of this format.</exception>
    public static SeriesStore ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var version = reader.ReadInt32();
        if (version is not (FormatWithoutFirstOffset or FormatVersion))
        {
            throw new InvalidDataException($"Series store format {version} is not supported (expected {FormatWithoutFirstOffset} or {FormatVersion}).");
        }

        var resolutionMs = reader.ReadInt64();
        var retained = reader.ReadInt32();
        var future = reader.ReadInt32();
        var nowMs = reader.ReadInt64();
        var highWater = reader.ReadInt32();
        var freeCount = reader.ReadInt32();
        if (highWater < 0 || freeCount < 0 || freeCount > highWater)
        {
            throw new InvalidDataException($"Series store header is corrupt: {highWater} slots, {freeCount} free.");
        }

        var options = new SeriesStoreOptions
        {
            ResolutionMs = resolutionMs,
            RetainedBuckets = retained,
            FutureBuckets = future,
            InitialCapacity = Math.Max(1, highWater),
        };
        var store = new SeriesStore(options) { _highWater = highWater, _freeCount = freeCount };
        store.AdvanceClock(nowMs);
        for (var i = 0; i < freeCount; i++)
        {
            var free = reader.ReadInt32();
            if ((uint)free >= (uint)highWater)
            {
                throw new InvalidDataException($"Series store free list names slot {free}, outside the {highWater} slots.");
            }

            store._freeSlots[i] = free;
        }

        for (var slot = 0; slot < highWater; slot++)
        {
            var head = reader.ReadInt64();
            store._heads[slot] = head;
            if (head == FreeSlot || head == SeriesWindow.NoData)
            {
                continue;
            }

            var ring = store.ColumnsOf(slot);
            for (var i = 0; i < ring.Length; i++)
            {
                var count = reader.ReadInt32();
                if (count < 0)
                {
                    throw new InvalidDataException($"Series store slot {slot} bucket {i} has a negative count.");
                }

                if (count == 0)
                {
                    continue;
                }

                var sum = reader.ReadDouble();
                var min = reader.ReadDouble();
                var max = reader.ReadDouble();
                var last = reader.ReadDouble();
                var lastOffsetMs = reader.ReadInt32();

                // Format 1 did not keep the first offset: a lone point is its own first point; of
                // several, the earliest is unknown, so an edge that cuts the bucket counts it whole.
                var firstOffsetMs = version == FormatWithoutFirstOffset
                    ? (count == 1 ? lastOffsetMs : Bucket.UnknownOffset)
                    : reader.ReadInt32();
                if (firstOffsetMs < Bucket.UnknownOffset || firstOffsetMs > lastOffsetMs || (count == 1 && firstOffsetMs != lastOffsetMs))
                {
                    throw new InvalidDataException($"Series store slot {slot} bucket {i} has first offset {firstOffsetMs} for last offset {lastOffsetMs} and {count} points.");
                }

                if (lastOffsetMs < 0 || lastOffsetMs >= resolutionMs)
                {
                    throw new InvalidDataException($"Series store slot {slot} bucket {i} has last offset {lastOffsetMs}, outside its {resolutionMs} ms bucket.");
                }

                ring.Set(i, new Bucket(sum, min, max, last, count, lastOffsetMs, firstOffsetMs));
            }
        }

        return store;
    }

    /// <summary>Whether <paramref name="options"/> lays buckets out as this store does (resolution, retained and future buckets).</summary>
    public bool HasLayout(SeriesStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ResolutionMs == _options.ResolutionMs
            && options.RetainedBuckets == _options.RetainedBuckets
            && options.FutureBuckets == _options.FutureBuckets;
    }

    /// <summary>
    /// This store's series in the layout <paramref name="options"/>, for a store restored from a
    /// snapshot written with another tier layout: same slots, free list and clock, each bucket
    /// folded, oldest first, into the bucket of the new resolution holding it (its sum added after
    /// the earlier buckets', so in time order rather than arrival order); buckets outside the new
    /// retention are dropped. Null when the new resolution is not a multiple of this one (a bucket
    /// would not fit in one new bucket).
    /// </summary>
    public SeriesStore? Relayout(SeriesStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.ResolutionMs % _options.ResolutionMs != 0)
        {
            return null;
        }

        var target = new SeriesStore(new SeriesStoreOptions
        {
            ResolutionMs = options.ResolutionMs,
            RetainedBuckets = options.RetainedBuckets,
            FutureBuckets = options.FutureBuckets,
            InitialCapacity = Math.Max(1, _highWater),
        }) { _highWater = _highWater, _freeCount = _freeCount };
        target.AdvanceClock(NowMs);
        Array.Copy(_freeSlots, target._freeSlots, _freeCount);
        Array.Copy(_types, target._types, _highWater);
        for (var slot = 0; slot < _highWater; slot++)
        {
            var head = _heads[slot];
            target._heads[slot] = head == FreeSlot ? FreeSlot : SeriesWindow.NoData;
            if (head == FreeSlot || head == SeriesWindow.NoData)
            {
                continue;
            }

            var ring = ColumnsOf(slot);
            var window = new SeriesWindow(target.ColumnsOf(slot), ref target._heads[slot]);
            for (var b = head - _ringLength + 1; b <= head; b++)
            {
                var index = b % _ringLength;
                var bucket = ring[(int)(index < 0 ? index + _ringLength : index)];
                var startMs = b * _options.ResolutionMs;
                var into = target.BucketOf(startMs);
                if (bucket.Count == 0
                    || into <= target._clockBucket - options.RetainedBuckets
                    || into > target._clockBucket + options.FutureBuckets)
                {
                    continue;
                }

                var shiftMs = (int)(startMs - (into * options.ResolutionMs));
                var first = bucket.FirstOffsetMs == Bucket.UnknownOffset ? Bucket.UnknownOffset : bucket.FirstOffsetMs + shiftMs;
                window.Merge(into, target.RingIndexNearClock(into), bucket with { LastOffsetMs = bucket.LastOffsetMs + shiftMs, FirstOffsetMs = first });
            }
        }

        return target;
    }

    private void CheckLive(int slot)
    {
        if (!IsLive(slot))
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, "Slot is not a live series of this store.");
        }
    }

    /// <summary>
    /// Room for one more chunk of slots (or, while the store is one chunk smaller than full-sized,
    /// twice its room); the per-slot arrays double, they are 13 B a slot.
    /// </summary>
    private void Grow()
    {
        if (_chunks.Count == 1 && _capacity < _chunkSlots)
        {
            _capacity = Math.Min(_capacity * 2, _chunkSlots);
            _chunks[0].Resize(_capacity * _ringLength);
        }
        else
        {
            Invariant.Check(_capacity == _chunks.Count * _chunkSlots, "a store of several chunks has only full-sized chunks");
            _chunks.Add(new Chunk(_chunkSlots * _ringLength, _narrowOffsets));
            _capacity = checked(_capacity + _chunkSlots);
        }

        if (_heads.Length < _capacity)
        {
            var length = Math.Max(_capacity, checked(_heads.Length * 2));
            Array.Resize(ref _heads, length);
            Array.Resize(ref _freeSlots, length);
            Array.Resize(ref _types, length);
        }
    }

    /// <summary>
    /// The seven bucket columns of one chunk of slots; the two offset columns as <c>ushort</c>
    /// (<see cref="NarrowLastOffsetsMs"/>, <see cref="NarrowFirstOffsetsMs"/>) or as ints, never both.
    /// </summary>
    private sealed class Chunk
    {
        public double[] Sums;
        public double[] Mins;
        public double[] Maxs;
        public double[] Lasts;
        public int[] Counts;
        public int[]? LastOffsetsMs;
        public int[]? FirstOffsetsMs;
        public ushort[]? NarrowLastOffsetsMs;
        public ushort[]? NarrowFirstOffsetsMs;

        public Chunk(int buckets, bool narrowOffsets)
        {
            Sums = new double[buckets];
            Mins = new double[buckets];
            Maxs = new double[buckets];
            Lasts = new double[buckets];
            Counts = new int[buckets];
            if (narrowOffsets)
            {
                NarrowLastOffsetsMs = new ushort[buckets];
                NarrowFirstOffsetsMs = new ushort[buckets];
            }
            else
            {
                LastOffsetsMs = new int[buckets];
                FirstOffsetsMs = new int[buckets];
            }
        }

        public void Resize(int buckets)
        {
            Array.Resize(ref Sums, buckets);
            Array.Resize(ref Mins, buckets);
            Array.Resize(ref Maxs, buckets);
            Array.Resize(ref Lasts, buckets);
            Array.Resize(ref Counts, buckets);
            if (NarrowLastOffsetsMs is not null)
            {
                Array.Resize(ref NarrowLastOffsetsMs, buckets);
                Array.Resize(ref NarrowFirstOffsetsMs, buckets);
            }
            else
            {
                Array.Resize(ref LastOffsetsMs, buckets);
                Array.Resize(ref FirstOffsetsMs, buckets);
            }
        }
    }
}
