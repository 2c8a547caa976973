using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;

namespace Alerting.Engine.Tests.Evaluation;

public sealed class SeriesStoreSerializationTests
{
    private static byte[] Bytes(SeriesStore store)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            store.WriteTo(writer);
        }

        return stream.ToArray();
    }

    private static SeriesStore Read(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        return SeriesStore.ReadFrom(reader);
    }

    private static SeriesStore RandomStore(int seed)
    {
        var rng = new Random(seed);
        var store = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 5_000, RetainedBuckets = 8, FutureBuckets = 1, InitialCapacity = 2 });
        var now = 1_700_000_000_000L;
        store.AdvanceClock(now);
        var slots = Enumerable.Range(0, 20).Select(_ => store.Add()).ToList();
        for (var i = 0; i < 2_000; i++)
        {
            if (i % 100 == 0)
            {
                now += rng.Next(0, 10_000);
                store.AdvanceClock(now);
            }

            store.AddPoint(slots[rng.Next(slots.Count)], now + rng.Next(-45_000, 5_000), rng.Next(-100, 100) * 0.25);
        }

        // Free slots in a scrambled order: the free list order is state too.
        foreach (var slot in new[] { 7, 3, 15 })
        {
            store.Remove(slot);
        }

        store.Add();
        store.Add();
        return store;
    }

    [Fact]
    public void Write_read_write_gives_identical_bytes()
    {
        var store = RandomStore(seed: 42);
        var first = Bytes(store);
        var second = Bytes(Read(first));
        Assert.Equal(first, second);
    }

    [Fact]
    public void Restored_store_evaluates_and_accepts_points_identically()
    {
        var original = RandomStore(seed: 7);
        var restored = Read(Bytes(original));
        var originalEvaluator = new WindowEvaluator(original);
        var restoredEvaluator = new WindowEvaluator(restored);
        var live = Enumerable.Range(0, 20).Where(original.IsLive).ToArray();
        Assert.Equal(live, Enumerable.Range(0, 20).Where(restored.IsLive).ToArray());
        Assert.Equal(original.NowMs, restored.NowMs);

        foreach (var time in Enum.GetValues<TimeAggregation>().Where(t => t is not (TimeAggregation.Change or TimeAggregation.PctChange)))
        {
            foreach (var space in Enum.GetValues<SpaceAggregation>())
            {
                var spec = WindowSpec.Of(time, space, 30_000);
                Assert.Equal(originalEvaluator.Evaluate(live, spec, original.NowMs), restoredEvaluator.Evaluate(live, spec, restored.NowMs));
                foreach (var slot in live)
                {
                    Assert.Equal(originalEvaluator.Evaluate(slot, spec, original.NowMs), restoredEvaluator.Evaluate(slot, spec, restored.NowMs));
                }
            }
        }

        // Same next slot, same acceptance, same bytes after identical further input.
        Assert.Equal(original.Add(), restored.Add());
        Assert.Equal(original.AddPoint(live[0], original.NowMs, 1.5), restored.AddPoint(live[0], restored.NowMs, 1.5));
        Assert.Equal(Bytes(original), Bytes(restored));
    }

    [Fact]
    public void Batch_apply_gives_the_same_results_and_bytes_as_point_by_point()
    {
        const int Seed = 11;
        var rng = new Random(Seed);
        var options = new SeriesStoreOptions { ResolutionMs = 1_000, RetainedBuckets = 5, FutureBuckets = 1 };
        var single = new SeriesStore(options);
        var batched = new SeriesStore(options);
        var now = 1_700_000_000_000L;
        foreach (var store in new[] { single, batched })
        {
            store.AdvanceClock(now);
            for (var i = 0; i < 50; i++)
            {
                store.Add();
            }
        }

        var slots = new int[500];
        var times = new long[500];
        var values = new double[500];
        var results = new PointResult[500];
        for (var round = 0; round < 10; round++)
        {
            now += rng.Next(0, 2_000);
            single.AdvanceClock(now);
            batched.AdvanceClock(now);
            for (var i = 0; i < slots.Length; i++)
            {
                slots[i] = rng.Next(50);
                times[i] = now + rng.Next(-7_000, 3_000);
                values[i] = rng.Next(-1_000, 1_000) / 8.0;
            }

            batched.AddPoints(slots, times, values, results);
            for (var i = 0; i < slots.Length; i++)
            {
                Assert.True(single.AddPoint(slots[i], times[i], values[i]) == results[i], $"seed {Seed}, round {round}, point {i}");
            }
        }

        Assert.Contains(PointResult.TooOld, results);
        Assert.Equal(Bytes(single), Bytes(batched));
    }

    [Fact]
    public void Batch_with_mismatched_lengths_is_refused()
    {
        var store = new SeriesStore(new SeriesStoreOptions());
        Assert.Throws<ArgumentException>(() => store.AddPoints(new int[2], new long[2], new double[1], new PointResult[2]));
    }

    [Fact]
    public void Unknown_format_version_is_refused()
    {
        var bytes = Bytes(RandomStore(seed: 1));
        bytes[0] = 99;
        Assert.Throws<InvalidDataException>(() => Read(bytes));
    }

    [Fact]
    public void Format_1_store_is_read_with_unknown_first_offsets_and_cut_buckets_count_whole()
    {
        // A format-1 store as main wrote it before buckets kept their first offset: resolution
        // 10 s, 3 retained + 1 future, clock at 40 s, one slot whose head is bucket 3; bucket 1
        // holds one point (at 12 s, value 4), bucket 2 two points (21 s → 1, 27 s → 9).
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(1);            // format
            writer.Write(10_000L);      // resolution
            writer.Write(3);            // retained
            writer.Write(1);            // future
            writer.Write(40_000L);      // clock
            writer.Write(1);            // slots ever used
            writer.Write(0);            // free
            writer.Write(2L);           // head: bucket 2
            foreach (var ringIndex in Enumerable.Range(0, 4))
            {
                switch (ringIndex)
                {
                    case 1:
                        writer.Write(1);
                        writer.Write(4.0);
                        writer.Write(4.0);
                        writer.Write(4.0);
                        writer.Write(4.0);
                        writer.Write(2_000);
                        break;
                    case 2:
                        writer.Write(2);
                        writer.Write(10.0);
                        writer.Write(1.0);
                        writer.Write(9.0);
                        writer.Write(9.0);
                        writer.Write(7_000);
                        break;
                    default:
                        writer.Write(0);
                        break;
                }
            }
        }

        var store = Read(stream.ToArray());
        var window = store.Window(0);
        Assert.Equal(2_000, window[1].FirstOffsetMs);
        Assert.Equal(Bucket.UnknownOffset, window[2].FirstOffsetMs);

        // (22 s, 29 s]: cuts bucket 2 between its points. Its first offset is unknown, so it counts
        // whole (format 1's answer); a lone point is known exactly, so bucket 1 is left out.
        var evaluator = new WindowEvaluator(store);
        var spec = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 7_000);
        Assert.Equal(new EvaluationResult(true, 10, true, 2), evaluator.Evaluate(0, spec, 29_000));
        var wide = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 18_000);
        Assert.Equal(new EvaluationResult(true, 14, true, 3), evaluator.Evaluate(0, wide, 29_000));
        var lone = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 16_000);
        Assert.Equal(10, evaluator.Evaluate(0, lone, 29_000).Value);

        // Written back in format 2, the unknown offset stays unknown.
        var again = Read(Bytes(store));
        Assert.Equal(Bucket.UnknownOffset, again.Window(0)[2].FirstOffsetMs);
        Assert.Equal(Bytes(store), Bytes(again));
    }

    [Fact]
    public void Format_1_store_of_wide_buckets_keeps_unknown_first_offsets_through_points_and_relayout()
    {
        // As above with 15 min buckets, wider than a ushort offset: the store restores with int
        // offset columns, where unknown is −1 (the smallest offset, not ushort's 65 535 sentinel).
        // Bucket 1 holds one point (at 18 min → 4), bucket 2 two (31.5 min → 1, 40.5 min → 9).
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(1);            // format
            writer.Write(900_000L);     // resolution
            writer.Write(3);            // retained
            writer.Write(1);            // future
            writer.Write(3_600_000L);   // clock
            writer.Write(1);            // slots ever used
            writer.Write(0);            // free
            writer.Write(2L);           // head: bucket 2
            foreach (var ringIndex in Enumerable.Range(0, 4))
            {
                var bucket = ringIndex switch
                {
                    1 => (Count: 1, Sum: 4.0, Min: 4.0, Max: 4.0, Last: 4.0, LastOffsetMs: 180_000),
                    2 => (Count: 2, Sum: 10.0, Min: 1.0, Max: 9.0, Last: 9.0, LastOffsetMs: 630_000),
                    _ => default,
                };
                writer.Write(bucket.Count);
                if (bucket.Count != 0)
                {
                    writer.Write(bucket.Sum);
                    writer.Write(bucket.Min);
                    writer.Write(bucket.Max);
                    writer.Write(bucket.Last);
                    writer.Write(bucket.LastOffsetMs);
                }
            }
        }

        var store = Read(stream.ToArray());
        Assert.Equal(sizeof(long) + sizeof(int) + sizeof(byte) + (4L * Bucket.SizeBytes), store.BytesPerSeries);
        Assert.Equal(180_000, store.Window(0)[1].FirstOffsetMs);
        Assert.Equal(Bucket.UnknownOffset, store.Window(0)[2].FirstOffsetMs);

        // (33 min, 43.5 min]: cuts bucket 2 between its points; unknown, so it counts whole.
        var evaluator = new WindowEvaluator(store);
        Assert.Equal(new EvaluationResult(true, 10, true, 2), evaluator.Evaluate(0, WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, 630_000), 2_610_000));

        // A point earlier than any in the bucket lowers a known first offset, never an unknown one.
        Assert.Equal(PointResult.Accepted, store.AddPoint(0, 1_850_000, 5));
        Assert.Equal((3, 15.0, Bucket.UnknownOffset), (store.Window(0)[2].Count, store.Window(0)[2].Sum, store.Window(0)[2].FirstOffsetMs));
        Assert.Equal(PointResult.Accepted, store.AddPoint(0, 2_800_000, 7));
        Assert.Equal(PointResult.Accepted, store.AddPoint(0, 2_750_000, 1));
        Assert.Equal(50_000, store.Window(0)[3].FirstOffsetMs);

        // Bucket 2 (unknown first offset) and bucket 3 (known) fold into one 30 min bucket: unknown.
        var coarse = store.Relayout(new SeriesStoreOptions { ResolutionMs = 1_800_000, RetainedBuckets = 2, FutureBuckets = 1 });
        Assert.NotNull(coarse);
        var merged = coarse.Window(0)[1];
        Assert.Equal((5, 23.0, Bucket.UnknownOffset, 1_000_000), (merged.Count, merged.Sum, merged.FirstOffsetMs, merged.LastOffsetMs));

        // Round trip in today's format keeps it unknown.
        var again = Read(Bytes(coarse));
        Assert.Equal(Bucket.UnknownOffset, again.Window(0)[1].FirstOffsetMs);
        Assert.Equal(Bytes(coarse), Bytes(again));
    }

    [Fact]
    public void A_store_of_an_old_tier_layout_is_rebucketed_into_the_store_it_would_be_today()
    {
        // The ≤ 1 min tier before 15 s alignment (1 s buckets, 60 retained, 61 future) against
        // today's, fed the same points in time order; whole values, so sums do not depend on grouping.
        var old = new SeriesStore(new SeriesStoreOptions { ResolutionMs = 1_000, RetainedBuckets = 60, FutureBuckets = 61, InitialCapacity = 2 });
        var today = new SeriesStore(StoreTiers.Options(0, Engine.StateMachine.FuturePoints.ArrivalSkewMs, initialCapacity: 2));
        var rng = new Random(7);
        var now = 1_700_000_012_345L;
        foreach (var store in new[] { old, today })
        {
            store.AdvanceClock(now);
            Assert.Equal([0, 1, 2, 3], Enumerable.Range(0, 4).Select(_ => store.Add()));
            store.Remove(2);
        }

        var times = Enumerable.Range(0, 120).Select(_ => now - rng.Next(0, 59_000)).Order().ToList();
        foreach (var ms in times)
        {
            var slot = rng.Next(3) switch { 0 => 0, 1 => 1, _ => 3 };
            var value = rng.Next(-100, 100);
            Assert.Equal(PointResult.Accepted, old.AddPoint(slot, ms, value));

            // Today's store keeps less history (an exact 1 min window and its partial oldest bucket).
            today.AddPoint(slot, ms, value);
        }

        var rebucketed = old.Relayout(today.Options);
        Assert.NotNull(rebucketed);
        Assert.True(rebucketed.HasLayout(today.Options));
        Assert.Equal(Bytes(today), Bytes(rebucketed));

        // A finer layout cannot hold a coarse bucket.
        Assert.Null(today.Relayout(old.Options));
    }
}
