using System.Runtime.InteropServices;
using Alerting.Engine.Journal;
using static Alerting.Engine.Tests.Journal.JournalTestSupport;

namespace Alerting.Engine.Tests.Journal;

/// <summary>
/// The journal's own FASTER device: writes queued by FasterLog are written and fdatasynced by
/// whoever drains them (the commit thread), and complete only after that; real files throughout.
/// </summary>
public sealed class SegmentFileDeviceTests
{
    private const int PageBytes = 4096;

    [Fact]
    public void Queued_write_completes_only_in_DrainWrites_after_its_bytes_are_in_the_segment_file()
    {
        using var dir = new TempDirectory();
        using var device = NewDevice(dir.Path);
        int wakes = 0;
        device.QueueWritesTo(() => wakes++);
        using var page = new AlignedPage(PageBytes, fill: 0x5A);
        var completions = new List<(uint Error, uint Bytes)>();

        device.WriteAsync(page.Address, segmentId: 0, destinationAddress: PageBytes, PageBytes, (error, bytes, _) => completions.Add((error, bytes)), context: null!);

        Assert.Equal(1, wakes);
        Assert.Empty(completions);
        Assert.True(device.HasQueuedWrites);
        Assert.True(device.DrainWrites());
        Assert.Equal(new[] { (0u, (uint)PageBytes) }, completions);
        Assert.Equal(1, device.Syncs);
        byte[] onDisk = File.ReadAllBytes(SegmentPath(dir.Path, 0));
        Assert.Equal(2 * PageBytes, onDisk.Length);
        Assert.All(onDisk.AsSpan(PageBytes).ToArray(), b => Assert.Equal(0x5A, b));
        Assert.False(device.DrainWrites());
    }

    [Fact]
    public void Writes_drained_together_cost_one_fdatasync_per_segment_and_complete_in_queue_order()
    {
        using var dir = new TempDirectory();
        using var device = NewDevice(dir.Path);
        device.QueueWritesTo(() => { });
        using var page = new AlignedPage(PageBytes, fill: 1);
        var order = new List<int>();
        device.WriteAsync(page.Address, 0, 0, PageBytes, (_, _, c) => order.Add((int)c), 1);
        device.WriteAsync(page.Address, 0, PageBytes, PageBytes, (_, _, c) => order.Add((int)c), 2);
        device.WriteAsync(page.Address, 1, 0, PageBytes, (_, _, c) => order.Add((int)c), 3);

        Assert.True(device.DrainWrites());

        Assert.Equal([1, 2, 3], order.ToArray());
        Assert.Equal(3, device.Writes);
        Assert.Equal(2, device.Syncs);
    }

    [Fact]
    public void Before_queueing_is_switched_on_a_write_completes_inline_and_reads_back()
    {
        using var dir = new TempDirectory();
        using var device = NewDevice(dir.Path);
        using var written = new AlignedPage(PageBytes, fill: 0x33);
        using var read = new AlignedPage(PageBytes, fill: 0);
        uint writeError = 1;
        uint readBytes = 0;

        device.WriteAsync(written.Address, 2, 0, PageBytes, (error, _, _) => writeError = error, null!);
        Assert.Equal(0u, writeError);
        Assert.False(device.HasQueuedWrites);

        device.ReadAsync(2, 0, read.Address, PageBytes, (_, bytes, _) => readBytes = bytes, null!);
        Assert.Equal((uint)PageBytes, readBytes);
        Assert.True(read.Span.SequenceEqual(written.Span));
    }

    [Fact]
    public void A_write_that_cannot_reach_its_segment_completes_with_an_error_and_DrainWrites_throws()
    {
        using var dir = new TempDirectory();
        using var device = NewDevice(dir.Path);
        device.QueueWritesTo(() => { });
        Directory.CreateDirectory(SegmentPath(dir.Path, 7)); // a directory where the segment file must go
        using var page = new AlignedPage(PageBytes, fill: 9);
        (uint Error, uint Bytes) completion = (0, 1);
        device.WriteAsync(page.Address, 7, 0, PageBytes, (error, bytes, _) => completion = (error, bytes), null!);

        Assert.Throws<IOException>(() => device.DrainWrites());

        Assert.NotEqual(0u, completion.Error);
        Assert.Equal(0u, completion.Bytes);
    }

    [Fact]
    public void A_reopened_device_knows_the_range_of_segment_files_on_disk()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(SegmentPath(dir.Path, 3), []);
        File.WriteAllBytes(SegmentPath(dir.Path, 4), []);
        File.WriteAllBytes(Path.Combine(dir.Path, FasterJournal.SegmentFilePrefix + ".old"), []);

        using var device = NewDevice(dir.Path);

        Assert.Equal(3, device.StartSegment);
        Assert.Equal(4, device.EndSegment);
    }

    [Fact]
    public void Garbage_past_the_last_commit_is_a_torn_tail_that_recovery_drops_and_appends_overwrite()
    {
        using var dir = new TempDirectory();
        long committedUntil;
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 100);
            committedUntil = journal.CommittedUntilAddress;
            Assert.True(journal.DeviceForTests.Writes > 0, "the journal's pages go through its own device");
            Assert.True(journal.DeviceForTests.Syncs > 0, "and are fdatasynced by it before the commit");
        }

        // A flush of the next group torn mid-sector: unaligned garbage past the commit.
        var garbage = new byte[700];
        new Random(11).NextBytes(garbage);
        using (var segment = new FileStream(SegmentFile(dir.Path), FileMode.Open, FileAccess.Write))
        {
            segment.Position = committedUntil;
            segment.Write(garbage);
        }

        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            Assert.Equal(100, journal.LastIndex);
            AppendDurable(journal, 60, salt: 3);
        }

        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            var records = ReadAll(journal, 1);
            Assert.Equal(Enumerable.Range(1, 160).Select(i => (long)i), records.Select(r => r.Index));
            Assert.All(records, r => Assert.Equal(Payload(r.Index, salt: r.Index <= 100 ? 0 : 3), r.Payload));
        }
    }

    [Fact]
    public async Task A_segment_write_that_fails_on_the_commit_thread_fails_every_waiter_and_later_append()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path));
        Directory.CreateDirectory(SegmentFile(dir.Path)); // the first segment cannot be opened as a file
        long index = journal.Append(Payload(1), term: 1);

        var waitError = await Assert.ThrowsAsync<InvalidOperationException>(() => journal.WaitForDurableAsync(index).AsTask());

        Assert.IsType<IOException>(waitError.InnerException);
        Assert.Equal(0, journal.DurableIndex);
        Assert.Throws<InvalidOperationException>(() => journal.WaitForDurable(index));
        Assert.Throws<InvalidOperationException>(() => journal.Append(Payload(2), term: 1));
    }

    [Fact]
    public async Task Appends_that_fill_memory_after_a_write_failure_throw_instead_of_waiting_for_pages_nobody_writes()
    {
        using var dir = new TempDirectory();
        // Two 4 KiB pages of memory: an appender that outruns the flushes must wait inside
        // FasterLog.Enqueue for a page to be written, and after a failure nothing writes it.
        var options = new JournalOptions
        {
            Directory = dir.Path,
            PageSizeBits = 12,
            MemorySizeBits = 13,
            SegmentSizeBits = 20,
            MaxPayloadBytes = 1024,
            SparseIndexInterval = 16,
        };
        using FasterJournal journal = FasterJournal.Open(options);
        Directory.CreateDirectory(SegmentFile(dir.Path)); // every page write fails
        var payload = new byte[1000];

        Task<long> appender = Task.Run(() =>
        {
            long appended = 0;
            try
            {
                // 10 000 entries are 2 500 pages: far more than memory holds without flushes.
                for (int i = 0; i < 10_000; i++)
                {
                    journal.Append(payload, term: 1);
                    appended++;
                }
            }
            catch (InvalidOperationException)
            {
                return appended;
            }

            return -1;
        });

        // A hang detector, not synchronisation: before the fix the appender never returns.
        long appendedBeforeFailure = await appender.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.InRange(appendedBeforeFailure, 0, 9_999);
        Assert.Equal(0, journal.DurableIndex);
        Assert.Throws<InvalidOperationException>(() => journal.Append(payload, term: 1));
    }

    [Fact]
    public void After_a_failure_the_device_completes_queued_and_new_writes_with_an_error_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        using var device = NewDevice(dir.Path);
        device.QueueWritesTo(() => { });
        using var page = new AlignedPage(PageBytes, fill: 5);
        (uint Error, uint Bytes) queued = (0, 1);
        device.WriteAsync(page.Address, 0, 0, PageBytes, (error, bytes, _) => queued = (error, bytes), null!);

        device.FailWrites();

        Assert.NotEqual(0u, queued.Error);
        Assert.Equal(0u, queued.Bytes);
        (uint Error, uint Bytes) later = (0, 1);
        device.WriteAsync(page.Address, 0, PageBytes, PageBytes, (error, bytes, _) => later = (error, bytes), null!);
        Assert.NotEqual(0u, later.Error);
        Assert.Equal(0u, later.Bytes);
        Assert.False(device.HasQueuedWrites);
        Assert.False(device.DrainWrites());
        Assert.Equal(0, device.Writes);
        Assert.False(File.Exists(SegmentPath(dir.Path, 0)) && new FileInfo(SegmentPath(dir.Path, 0)).Length > 0, "a failed device writes nothing");
    }

    [Fact]
    public async Task A_high_water_mark_write_failure_fails_the_journal_like_a_commit_failure()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path));
        AppendDurable(journal, 5);
        journal.HighWaterMarkForTests.Dispose(); // its next write throws ObjectDisposedException

        // Commits still succeed; the high-water mark thread fails after the next one.
        var appendError = await WaitForAppendToFail(journal);

        Assert.IsType<ObjectDisposedException>(appendError.InnerException);
        Assert.Throws<InvalidOperationException>(() => journal.WaitForDurable(journal.LastIndex + 1));

        // Through Fail, the device stops taking writes: one queued now completes with an error
        // at once instead of being written by a commit thread that keeps running.
        using var page = new AlignedPage(PageBytes, fill: 1);
        var completed = new TaskCompletionSource<uint>(TaskCreationOptions.RunContinuationsAsynchronously);
        journal.DeviceForTests.WriteAsync(page.Address, 0, 1UL << 19, PageBytes, (error, _, _) => completed.TrySetResult(error), null!);
        Assert.NotEqual(0u, await completed.Task.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>Appends until the journal refuses (the high-water mark thread fails after a commit completes).</summary>
    private static async Task<InvalidOperationException> WaitForAppendToFail(FasterJournal journal)
    {
        while (true)
        {
            try
            {
                long next = journal.Append(Payload(journal.LastIndex + 1), term: 1);
                await journal.WaitForDurableAsync(next);
            }
            catch (InvalidOperationException e)
            {
                return e;
            }
        }
    }

    [Fact]
    public void Random_appends_waits_truncations_and_reopens_match_a_list_model()
    {
        int seed = Environment.GetEnvironmentVariable("JOURNAL_DEVICE_SEED") is { } fixedSeed ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        Console.WriteLine($"Random_appends_waits_truncations_and_reopens_match_a_list_model seed {seed} (replay: JOURNAL_DEVICE_SEED={seed})");
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var options = new JournalOptions { Directory = dir.Path, PageSizeBits = 12, MemorySizeBits = 14, SegmentSizeBits = 14, MaxPayloadBytes = 1024, SparseIndexInterval = 8 };
        var model = new List<byte[]>(); // model[i] is the payload of index first + i
        long first = 1;
        for (int reopen = 0; reopen < 4; reopen++)
        {
            using FasterJournal journal = FasterJournal.Open(options);
            Assert.True(first == journal.FirstIndex, $"seed {seed}: first index after reopen {reopen}");
            Assert.True(first + model.Count - 1 == journal.LastIndex, $"seed {seed}: last index after reopen {reopen}");
            for (int step = 0; step < 40; step++)
            {
                int batch = random.Next(1, 60);
                long last = 0;
                for (int i = 0; i < batch; i++)
                {
                    var payload = new byte[random.Next(1, 1024)];
                    random.NextBytes(payload);
                    model.Add(payload);
                    last = journal.Append(payload, term: 1);
                }

                if (random.Next(3) == 0)
                {
                    continue; // leave this batch to a later group commit
                }

                journal.WaitForDurable(last);
                if (random.Next(8) == 0)
                {
                    long keepFrom = random.NextInt64(first, journal.DurableIndex + 1);
                    journal.TruncateBefore(keepFrom);
                    model.RemoveRange(0, (int)(keepFrom - first));
                    first = keepFrom;
                }
            }

            journal.WaitForDurable(journal.LastIndex);
            var records = ReadAll(journal, first);
            Assert.True(records.Count == model.Count, $"seed {seed}: {records.Count} records read, model holds {model.Count}");
            for (int i = 0; i < model.Count; i++)
            {
                Assert.True(records[i].Index == first + i && records[i].Payload.AsSpan().SequenceEqual(model[i]), $"seed {seed}: entry {first + i} differs from the model");
            }
        }
    }

    private static SegmentFileDevice NewDevice(string directory)
    {
        var device = new SegmentFileDevice(Path.Combine(directory, FasterJournal.SegmentFilePrefix));
        device.Initialize(1 << 20);
        return device;
    }

    private static string SegmentPath(string directory, int segment) => Path.Combine(directory, $"{FasterJournal.SegmentFilePrefix}.{segment}");

    /// <summary>A sector-aligned native buffer, as FasterLog hands to its device.</summary>
    private sealed unsafe class AlignedPage : IDisposable
    {
        private readonly int _bytes;

        public AlignedPage(int bytes, byte fill)
        {
            _bytes = bytes;
            Address = (IntPtr)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
            Span.Fill(fill);
        }

        public IntPtr Address { get; }

        public Span<byte> Span => new((void*)Address, _bytes);

        public void Dispose() => NativeMemory.AlignedFree((void*)Address);
    }
}
