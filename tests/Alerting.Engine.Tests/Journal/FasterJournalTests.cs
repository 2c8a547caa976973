using Alerting.Engine.Journal;
using static Alerting.Engine.Tests.Journal.JournalTestSupport;

namespace Alerting.Engine.Tests.Journal;

public sealed class FasterJournalTests
{
    [Fact]
    public async Task Appended_entries_become_durable_and_scan_back_in_order()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path));
        Assert.Equal(1, journal.FirstIndex);
        Assert.Equal(0, journal.LastIndex);

        for (long i = 1; i <= 100; i++)
        {
            Assert.Equal(i, journal.Append(Payload(i), term: i <= 50 ? 1UL : 2UL));
        }

        await journal.WaitForDurableAsync(100);
        Assert.True(journal.DurableIndex >= 100);
        Assert.Equal(2UL, journal.LastTerm);

        var records = ReadAll(journal, 1);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), records.Select(r => r.Index));
        foreach (var (index, term, payload) in records)
        {
            Assert.Equal(Payload(index), payload);
            Assert.Equal(index <= 50 ? 1UL : 2UL, term);
        }

        Assert.Equal(Enumerable.Range(37, 64).Select(i => (long)i), ReadAll(journal, 37).Select(r => r.Index));
    }

    [Fact]
    public async Task WaitForDurableAsync_completes_only_after_the_index_is_durable()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path));
        Task pending = journal.WaitForDurableAsync(3).AsTask();
        Assert.False(pending.IsCompleted);

        journal.Append(Payload(1), 1);
        journal.Append(Payload(2), 1);
        journal.Append(Payload(3), 1);
        await pending;

        Assert.True(journal.DurableIndex >= 3);
        Assert.True(journal.WaitForDurableAsync(3).AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForDurableAsync_observes_cancellation()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path));
        using var cts = new CancellationTokenSource();
        Task pending = journal.WaitForDurableAsync(10, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Fact]
    public void Group_commit_covers_many_appends_with_few_commits()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path));
        const int appends = 20_000;
        var payload = new byte[64];
        long last = 0;
        for (int i = 0; i < appends; i++)
        {
            last = journal.Append(payload, 1);
        }

        journal.WaitForDurable(last);
        Assert.Equal(appends, journal.DurableIndex);
        Assert.True(journal.CommitCount < appends / 10, $"{journal.CommitCount} commits for {appends} appends: commits are not grouped");
    }

    [Fact]
    public void Append_allocates_nothing_in_steady_state()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(new JournalOptions { Directory = dir.Path, SparseIndexInterval = 1 << 20 });
        var payload = new byte[64];
        for (int i = 0; i < 1000; i++)
        {
            journal.Append(payload, 1);
        }

        // Least of a few attempts: a one-off runtime allocation (tiering, OSR) under load is not the append's.
        long allocated = AllocationProbe.SteadyBytes(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                journal.Append(payload, 1);
            }
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Payload_above_the_limit_is_rejected_and_at_the_limit_accepted()
    {
        using var dir = new TempDirectory();
        JournalOptions options = SmallOptions(dir.Path);
        using FasterJournal journal = FasterJournal.Open(options);

        var error = Assert.Throws<ArgumentException>(() => journal.Append(new byte[options.MaxPayloadBytes + 1], 1));
        Assert.Contains("MaxPayloadBytes", error.Message);
        Assert.Equal(1, journal.Append(new byte[options.MaxPayloadBytes], 1));
    }

    [Fact]
    public void Options_above_the_payload_limit_or_not_fitting_a_page_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => FasterJournal.Open(new JournalOptions { Directory = "x", MaxPayloadBytes = JournalOptions.DefaultMaxPayloadBytes + 1 }));
        Assert.Throws<ArgumentException>(() => FasterJournal.Open(new JournalOptions { Directory = "x", PageSizeBits = 16, MemorySizeBits = 20, SegmentSizeBits = 20, MaxPayloadBytes = 1 << 16 }));
    }

    [Fact]
    public void Term_going_backwards_is_rejected()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path));
        journal.Append(Payload(1), 5);
        Assert.Throws<ArgumentException>(() => journal.Append(Payload(2), 4));
    }

    [Fact]
    public void Reopen_after_clean_dispose_keeps_every_entry_and_continues_the_index()
    {
        using var dir = new TempDirectory();
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            for (long i = 1; i <= 500; i++)
            {
                journal.Append(Payload(i), 3);
            }
        }

        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            Assert.Equal(500, journal.LastIndex);
            Assert.Equal(500, journal.DurableIndex);
            Assert.Equal(3UL, journal.LastTerm);
            Assert.Equal(501, journal.Append(Payload(501), 3));
            journal.WaitForDurable(501);
        }

        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            var records = ReadAll(journal, 1);
            Assert.Equal(501, records.Count);
            Assert.All(records, r => Assert.Equal(Payload(r.Index), r.Payload));
            Assert.Equal(501, journal.HighWaterMarkIndex);
        }
    }

    [Fact]
    public void TruncateBefore_survives_reopen_and_scans_start_there()
    {
        using var dir = new TempDirectory();
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 300);
            journal.TruncateBefore(123);
            Assert.Equal(123, journal.FirstIndex);
            Assert.Throws<ArgumentOutOfRangeException>(() => journal.Scan(122));
            Assert.Equal(123, ReadAll(journal, 123)[0].Index);
        }

        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            Assert.Equal(123, journal.FirstIndex);
            Assert.Equal(300, journal.LastIndex);
            var records = ReadAll(journal, 123);
            Assert.Equal(Enumerable.Range(123, 178).Select(i => (long)i), records.Select(r => r.Index));
            Assert.All(records, r => Assert.Equal(Payload(r.Index), r.Payload));
            Assert.Equal(150, ReadAll(journal, 150)[0].Index);
        }
    }

    [Fact]
    public async Task AppendFirst_starts_an_empty_journal_at_a_snapshot_index_and_it_reopens_there()
    {
        using var dir = new TempDirectory();
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            journal.AppendFirst(5000, 7, Payload(5000));
            Assert.Equal(5000, journal.FirstIndex);
            Assert.Equal(5000, journal.LastIndex);
            journal.AppendAt(5001, 8, Payload(5001));
            await journal.WaitForDurableAsync(5001);
            Assert.True(journal.TryGetTerm(5000, out var term));
            Assert.Equal(7UL, term);
            Assert.False(journal.TryGetTerm(4999, out _));
            Assert.Throws<InvalidOperationException>(() => journal.AppendFirst(9000, 8, Payload(9000)));
        }

        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            Assert.Equal(5000, journal.FirstIndex);
            Assert.Equal(5001, journal.LastIndex);
            Assert.Equal(8UL, journal.LastTerm);
            var records = ReadAll(journal, 5000);
            Assert.Equal([5000L, 5001L], records.Select(r => r.Index));
            Assert.Equal([7UL, 8UL], records.Select(r => r.Term));
            Assert.All(records, r => Assert.Equal(Payload(r.Index), r.Payload));
            Assert.Equal(5002, journal.Append(Payload(5002), 8));
        }
    }

    [Fact]
    public void TruncateBefore_rejects_points_outside_the_durable_log()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path));
        AppendDurable(journal, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => journal.TruncateBefore(11));
        Assert.Throws<ArgumentOutOfRangeException>(() => journal.TruncateBefore(0));
    }

    [Fact]
    public void Scanner_follows_entries_that_become_durable_later()
    {
        using var dir = new TempDirectory();
        using FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path));
        AppendDurable(journal, 5);
        using JournalScanner scanner = journal.Scan(1);
        int seen = 0;
        while (scanner.TryNext(out _))
        {
            seen++;
        }

        Assert.Equal(5, seen);
        AppendDurable(journal, 3);
        while (scanner.TryNext(out JournalRecord record))
        {
            seen++;
            Assert.Equal(seen, record.Index);
        }

        Assert.Equal(8, seen);
    }
}
