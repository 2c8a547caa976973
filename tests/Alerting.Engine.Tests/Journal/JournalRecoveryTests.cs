using Alerting.Engine.Journal;
using static Alerting.Engine.Tests.Journal.JournalTestSupport;

namespace Alerting.Engine.Tests.Journal;

/// <summary>
/// What Open does with damaged files. The rule the journal implements: bytes past FasterLog's
/// last commit are a torn tail and are dropped; damage inside the committed region is
/// corruption; a committed log below the high-water mark is a refusal to start.
/// </summary>
public sealed class JournalRecoveryTests
{
    [Fact]
    public void Torn_tail_past_the_last_commit_recovers_to_the_last_committed_entry_and_appends_continue()
    {
        using var dir = new TempDirectory();
        string commits = Path.Combine(dir.Path, FasterJournal.CommitDirectoryName);
        string hwm = Path.Combine(dir.Path, "hwm");
        string savedCommits = Path.Combine(dir.Path, "saved-commits");
        long committedAt100;
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 100);
            committedAt100 = journal.CommittedUntilAddress;
        }

        // The state on disk when the commit of entries 101..150 never completed: the commit
        // metadata and high-water mark still say 100, and the data flush was torn.
        CopyDirectory(commits, savedCommits);
        byte[] savedHwm = File.ReadAllBytes(hwm);
        long tornAt;
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 50, salt: 1);
            tornAt = journal.AddressOf(130) + 10;
        }

        Directory.Delete(commits, recursive: true);
        CopyDirectory(savedCommits, commits);
        File.WriteAllBytes(hwm, savedHwm);
        using (var segment = new FileStream(SegmentFile(dir.Path), FileMode.Open, FileAccess.Write))
        {
            Assert.True(tornAt > committedAt100);
            segment.SetLength(tornAt);
        }

        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            Assert.Equal(100, journal.LastIndex);
            AppendDurable(journal, 40, salt: 2);
        }

        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            var records = ReadAll(journal, 1);
            Assert.Equal(Enumerable.Range(1, 140).Select(i => (long)i), records.Select(r => r.Index));
            Assert.All(records, r => Assert.Equal(Payload(r.Index, salt: r.Index <= 100 ? 0 : 2), r.Payload));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void Flipped_bit_in_a_committed_record_is_corruption_naming_its_index(int bitInPayload)
    {
        using var dir = new TempDirectory();
        long address;
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 50);
            address = journal.AddressOf(20);
        }

        // FasterLog's 4-byte length header, then ours, then the payload.
        FlipBit(SegmentFile(dir.Path), address + 4 + JournalRecordHeader.Size, bitInPayload);

        var error = Assert.Throws<JournalCorruptionException>(() => FasterJournal.Open(SmallOptions(dir.Path)));
        Assert.Equal(20, error.Index);
        Assert.Contains("CRC mismatch at log index 20", error.Message);
    }

    [Fact]
    public void Flipped_bit_in_the_index_field_is_corruption_naming_the_expected_index()
    {
        using var dir = new TempDirectory();
        long address;
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 50);
            address = journal.AddressOf(33);
        }

        FlipBit(SegmentFile(dir.Path), address + 4 + 16, 3);

        var error = Assert.Throws<JournalCorruptionException>(() => FasterJournal.Open(SmallOptions(dir.Path)));
        Assert.Equal(33, error.Index);
    }

    [Fact]
    public void Deleted_commit_metadata_with_a_high_water_mark_refuses_to_start()
    {
        using var dir = new TempDirectory();
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 20);
        }

        Directory.Delete(Path.Combine(dir.Path, FasterJournal.CommitDirectoryName), recursive: true);

        var error = Assert.Throws<JournalRecoveryException>(() => FasterJournal.Open(SmallOptions(dir.Path)));
        Assert.Contains("recovered to index 0 but its high-water mark says 20 was durable", error.Message);
    }

    [Fact]
    public void Corrupted_commit_metadata_with_a_high_water_mark_refuses_to_start()
    {
        using var dir = new TempDirectory();
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 20);
        }

        string[] commitFiles = Directory.GetFiles(Path.Combine(dir.Path, FasterJournal.CommitDirectoryName), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(commitFiles);
        foreach (string file in commitFiles)
        {
            byte[] bytes = File.ReadAllBytes(file);
            Array.Fill(bytes, (byte)0xA5);
            File.WriteAllBytes(file, bytes);
        }

        Assert.Throws<JournalRecoveryException>(() => FasterJournal.Open(SmallOptions(dir.Path)));
    }

    [Fact]
    public void Unreadable_high_water_mark_refuses_to_start()
    {
        using var dir = new TempDirectory();
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 5);
        }

        string hwm = Path.Combine(dir.Path, "hwm");
        File.WriteAllBytes(hwm, new byte[File.ReadAllBytes(hwm).Length]);

        var error = Assert.Throws<JournalRecoveryException>(() => FasterJournal.Open(SmallOptions(dir.Path)));
        Assert.Contains("high-water mark", error.Message);
    }

    [Fact]
    public void Segment_cut_inside_the_committed_region_does_not_start_silently()
    {
        using var dir = new TempDirectory();
        long cutAt;
        using (FasterJournal journal = FasterJournal.Open(SmallOptions(dir.Path)))
        {
            AppendDurable(journal, 200);
            cutAt = journal.AddressOf(150) + 10;
        }

        using (var segment = new FileStream(SegmentFile(dir.Path), FileMode.Open, FileAccess.Write))
        {
            segment.SetLength(cutAt);
        }

        Exception error = Assert.ThrowsAny<Exception>(() => FasterJournal.Open(SmallOptions(dir.Path)));
        Assert.True(error is JournalCorruptionException or JournalRecoveryException, error.ToString());
    }

    private static void FlipBit(string file, long offset, int bit)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        int value = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(value ^ (1 << bit)));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
