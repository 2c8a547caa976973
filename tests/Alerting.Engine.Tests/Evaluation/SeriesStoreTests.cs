using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Evaluation;

public sealed class SeriesStoreTests
{
    private const long T0 = 1_700_000_000_000; // a multiple of every resolution used here
    private const long R = 10_000;

    private static SeriesStore NewStore(int retained = 6, int future = 1, int capacity = 4)
    {
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = R, RetainedBuckets = retained, FutureBuckets = future, InitialCapacity = capacity });
        store.AdvanceClock(T0);
        return store;
    }

    private static int CountPoints(SeriesWindow window)
    {
        var points = 0;
        for (var i = 0; i < window.Length; i++)
        {
            points += window.AtIndex(i).Count;
        }

        return points;
    }

    [Fact]
    public void Default_layout_keeps_a_five_minute_window_under_one_KiB_per_series()
    {
        var options = new SeriesStoreOptions();
        Assert.Equal(20, options.BucketsFor(300_000));
        var store = new SeriesStore(options);
        Assert.Equal(8 + 4 + 1 + (22 * 40), store.BytesPerSeries);
        Assert.True(store.BytesPerSeries <= 1_024);
    }

    [Fact]
    public void The_five_minute_tier_keeps_a_series_under_one_KiB()
    {
        // Bar M6, with the options the engine builds: an exact 5-minute window touches 21 buckets of
        // 15 s, and points enter at most the arrival skew (1 s) ahead: one future bucket.
        var tier = StoreTiers.For(300_000);
        var store = new SeriesStore(StoreTiers.Options(tier, Engine.StateMachine.FuturePoints.ArrivalSkewMs, initialCapacity: 1));
        Assert.Equal((15_000L, 21, 1), (store.ResolutionMs, store.Options.RetainedBuckets, store.Options.FutureBuckets));
        Assert.Equal(WindowRange.MaxBuckets(300_000, 15_000), store.Options.RetainedBuckets);
        Assert.Equal(893, store.BytesPerSeries);

        // The ≤ 1 min tier aligns series on the same 15 s intervals.
        var minute = new SeriesStore(StoreTiers.Options(StoreTiers.For(60_000), Engine.StateMachine.FuturePoints.ArrivalSkewMs, initialCapacity: 1));
        Assert.Equal((15_000L, 5, 253L), (minute.ResolutionMs, minute.Options.RetainedBuckets, minute.BytesPerSeries));
    }

    [Fact]
    public void A_series_in_the_week_tier_costs_about_8_KiB()
    {
        var tier = StoreTiers.For(2 * QueryLimits.MaxWindowMs);
        Assert.Equal(StoreTiers.Count - 1, tier);
        var store = new SeriesStore(StoreTiers.Options(tier, Engine.StateMachine.FuturePoints.ArrivalSkewMs, initialCapacity: 1));

        // 180 retained buckets of 2 h, one more for the partial oldest bucket of an exact window, and
        // one future bucket (points enter at most the arrival skew ahead).
        Assert.Equal(182, store.RingLength);
        Assert.Equal(8 + 4 + 1 + (182 * 44), store.BytesPerSeries);
    }

    [Fact]
    public void Offsets_are_exact_in_narrow_and_wide_offset_columns()
    {
        // 15 s buckets keep offsets as ushort (M6), 2 h buckets as int: both read back to the millisecond.
        foreach (var (tier, offsetMs) in new[] { (StoreTiers.For(300_000), 14_999), (StoreTiers.Count - 1, 7_199_999) })
        {
            var store = new SeriesStore(StoreTiers.Options(tier, Engine.StateMachine.FuturePoints.ArrivalSkewMs, initialCapacity: 1));
            var bucketStartMs = store.ResolutionMs * 1_000_000;
            store.AdvanceClock(bucketStartMs + offsetMs);
            var slot = store.Add();
            Assert.Equal(PointResult.Accepted, store.AddPoint(slot, bucketStartMs + offsetMs, 1.0));
            Assert.Equal(PointResult.Accepted, store.AddPoint(slot, bucketStartMs + 1, 2.0));
            var bucket = store.Window(slot)[store.BucketOf(bucketStartMs)];
            Assert.Equal((2, offsetMs, 1, 1.0), (bucket.Count, bucket.LastOffsetMs, bucket.FirstOffsetMs, bucket.Last));
        }
    }

    [Fact]
    public void Point_in_oldest_retained_bucket_is_accepted_and_one_bucket_older_is_too_old()
    {
        var store = NewStore(retained: 6);
        var slot = store.Add();
        var oldestRetainedStart = T0 - (5 * R);
        Assert.Equal(PointResult.Accepted, store.AddPoint(slot, oldestRetainedStart, 1));
        Assert.Equal(PointResult.TooOld, store.AddPoint(slot, oldestRetainedStart - 1, 1));
    }

    [Fact]
    public void Point_in_last_future_bucket_is_accepted_and_one_past_it_is_too_far_in_future()
    {
        var store = NewStore(future: 1);
        var slot = store.Add();
        var lastFutureMs = T0 + (2 * R) - 1;
        Assert.Equal(PointResult.Accepted, store.AddPoint(slot, lastFutureMs, 1));
        Assert.Equal(PointResult.TooFarInFuture, store.AddPoint(slot, lastFutureMs + 1, 1));
    }

    [Fact]
    public void Non_finite_values_are_refused()
    {
        var store = NewStore();
        var slot = store.Add();
        Assert.Equal(PointResult.NotFinite, store.AddPoint(slot, T0, double.NaN));
        Assert.Equal(PointResult.NotFinite, store.AddPoint(slot, T0, double.NegativeInfinity));
        Assert.Equal(SeriesWindow.NoData, store.Window(slot).Head);
    }

    [Fact]
    public void Out_of_order_point_lands_in_its_own_bucket()
    {
        var store = NewStore();
        var slot = store.Add();
        store.AddPoint(slot, T0 + 5, 10);
        store.AddPoint(slot, T0 - R + 3, 20);
        var window = store.Window(slot);
        Assert.Equal(store.BucketOf(T0), window.Head);
        Assert.Equal(20, window[store.BucketOf(T0) - 1].Sum);
        Assert.Equal(10, window[store.BucketOf(T0)].Sum);
    }

    [Fact]
    public void Later_point_with_equal_timestamp_becomes_last_and_earlier_timestamp_does_not()
    {
        var store = NewStore();
        var slot = store.Add();
        store.AddPoint(slot, T0 + 100, 1);
        store.AddPoint(slot, T0 + 100, 2);
        store.AddPoint(slot, T0 + 50, 3);
        var bucket = store.Window(slot)[store.BucketOf(T0)];
        Assert.Equal(2, bucket.Last);
        Assert.Equal(100, bucket.LastOffsetMs);
        Assert.Equal(3, bucket.Count);
        Assert.Equal(1, bucket.Min);
        Assert.Equal(3, bucket.Max);
        Assert.Equal(6, bucket.Sum);
    }

    [Fact]
    public void Advancing_the_head_clears_the_buckets_it_takes_over()
    {
        var store = NewStore(retained: 3, future: 0);
        var slot = store.Add();
        store.AddPoint(slot, T0 - (2 * R), 7);
        store.AdvanceClock(T0 + (3 * R));
        store.AddPoint(slot, T0 + (3 * R), 1);
        var window = store.Window(slot);
        Assert.False(window.Holds(store.BucketOf(T0 - (2 * R))));
        Assert.Equal(1, CountPoints(window));
    }

    [Fact]
    public void Clock_never_moves_back()
    {
        var store = NewStore();
        store.AdvanceClock(T0 - 1);
        Assert.Equal(T0, store.NowMs);
    }

    [Fact]
    public void Removed_slot_is_reused_empty()
    {
        var store = NewStore();
        var a = store.Add();
        store.AddPoint(a, T0, 5);
        store.Remove(a);
        Assert.False(store.IsLive(a));
        var b = store.Add();
        Assert.Equal(a, b);
        Assert.Equal(SeriesWindow.NoData, store.Window(b).Head);
        var window = store.Window(b);
        for (var i = 0; i < window.Length; i++)
        {
            Assert.Equal(default, window.AtIndex(i));
        }
    }

    [Fact]
    public void Store_grows_past_initial_capacity_and_keeps_data()
    {
        var store = NewStore(capacity: 1);
        var slots = Enumerable.Range(0, 100).Select(_ => store.Add()).ToArray();
        foreach (var slot in slots)
        {
            store.AddPoint(slot, T0, slot);
        }

        Assert.True(store.Capacity >= 100);
        Assert.Equal(100, store.Count);
        Assert.All(slots, slot => Assert.Equal(slot, store.Window(slot)[store.BucketOf(T0)].Sum));
    }

    [Fact]
    public void Store_grows_by_whole_chunks_past_the_first_and_keeps_every_window()
    {
        // A 2 048-bucket ring makes chunks of 4 slots: the first chunk doubles (1, 2, 4 slots), then
        // the store grows one chunk at a time, so its room is never more than one chunk past its slots.
        var store = NewStore(retained: 2_047, capacity: 1);
        Assert.Equal(4, store.ChunkSlots);
        var slots = new List<int>();
        for (var i = 0; i < 21; i++)
        {
            slots.Add(store.Add());
            store.AddPoint(slots[^1], T0 - (i * R), i);
            Assert.InRange(store.Capacity, slots.Count, Math.Max(4, slots.Count + store.ChunkSlots - 1));
        }

        Assert.Equal(24, store.Capacity);
        foreach (var slot in slots)
        {
            var window = store.Window(slot);
            Assert.Equal(1, CountPoints(window));
            Assert.Equal(slot, window[store.BucketOf(T0 - (slot * R))].Sum);
        }

        // A freed slot in a later chunk is reused clean, and a snapshot of the chunked store reads back the same.
        store.Remove(slots[13]);
        Assert.Equal(13, store.Add());
        Assert.Equal(0, CountPoints(store.Window(13)));
        using var first = new MemoryStream();
        store.WriteTo(new BinaryWriter(first));
        first.Position = 0;
        var read = SeriesStore.ReadFrom(new BinaryReader(first));
        using var second = new MemoryStream();
        read.WriteTo(new BinaryWriter(second));
        Assert.Equal(first.ToArray(), second.ToArray());
        Assert.Equal(20.0, read.Window(20)[read.BucketOf(T0 - (20 * R))].Sum);
    }

    [Fact]
    public void Points_on_dead_slots_are_refused()
    {
        var store = NewStore();
        Assert.Throws<ArgumentOutOfRangeException>(() => store.AddPoint(0, T0, 1));
    }

    [Fact]
    public void Bucket_numbers_floor_before_1970()
    {
        var store = NewStore();
        Assert.Equal(-1, store.BucketOf(-1));
        Assert.Equal(-1, store.BucketOf(-R));
        Assert.Equal(-2, store.BucketOf(-R - 1));
        Assert.Equal(0, store.BucketOf(R - 1));
    }

    [Theory]
    [InlineData(0, 6, 1)]
    [InlineData(R, 0, 1)]
    [InlineData(R, 6, -1)]
    [InlineData(R, SeriesStoreOptions.MaxRingLength, 1)]
    [InlineData(SeriesStoreOptions.MaxResolutionMs + 1, 6, 1)]
    public void Options_out_of_range_are_refused(long resolutionMs, int retained, int future)
    {
        var options = new SeriesStoreOptions { ResolutionMs = resolutionMs, RetainedBuckets = retained, FutureBuckets = future };
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeriesStore(options));
    }

    [Fact]
    public void Ring_of_exactly_the_maximum_length_is_allowed()
    {
        var store = new SeriesStore(new SeriesStoreOptions { RetainedBuckets = SeriesStoreOptions.MaxRingLength - 1, FutureBuckets = 1, InitialCapacity = 1 });
        Assert.Equal(SeriesStoreOptions.MaxRingLength, store.RingLength);
    }

    [Fact]
    public void Zero_initial_capacity_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeriesStore(new SeriesStoreOptions { InitialCapacity = 0 }));
    }

    [Fact]
    public void Steady_state_points_allocate_nothing()
    {
        var store = NewStore();
        var slots = Enumerable.Range(0, 4).Select(_ => store.Add()).ToArray();
        var batchSlots = Enumerable.Range(0, 10).Select(i => slots[i & 3]).ToArray();
        var batchTimes = new long[batchSlots.Length];
        var batchValues = new double[batchSlots.Length];
        var results = new PointResult[batchSlots.Length];
        store.AddPoint(slots[0], T0, 0);
        store.AddPoints(batchSlots, batchTimes, batchValues, results);
        var start = 0;
        var allocated = AllocationProbe.SteadyBytes(() =>
        {
            // Each attempt continues the clock where the last one stopped, so every point is accepted.
            for (var i = start; i < start + 10_000; i++)
            {
                var now = T0 + (i * 100L);
                store.AdvanceClock(now);
                store.AddPoint(slots[i & 3], now, i);
                if (i % 100 == 0)
                {
                    Array.Fill(batchTimes, now);
                    store.AddPoints(batchSlots, batchTimes, batchValues, results);
                }
            }

            start += 10_000;
        });

        Assert.Equal(0, allocated);
        Assert.All(results, result => Assert.Equal(PointResult.Accepted, result));
    }
}
