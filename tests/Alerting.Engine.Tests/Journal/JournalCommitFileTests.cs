using Alerting.Engine.Journal;

namespace Alerting.Engine.Tests.Journal;

public sealed class JournalCommitFileTests
{
    private const int SlotStride = 4096;

    [Fact]
    public void Latest_commit_is_listed_first_and_its_metadata_read_back_after_reopen()
    {
        using var dir = new TempDirectory();
        using (JournalCommitFile file = JournalCommitFile.Open(dir.Path))
        {
            file.Commit(0, 100, [1, 2, 3], commitNum: 1, forceWriteMetadata: false);
            file.Commit(0, 200, [4, 5], commitNum: 2, forceWriteMetadata: false);
            file.Commit(0, 300, [6], commitNum: 3, forceWriteMetadata: false);
        }

        using JournalCommitFile reopened = JournalCommitFile.Open(dir.Path);
        Assert.Equal([3L, 2L], reopened.ListCommits());
        Assert.Equal([6], reopened.GetCommitMetadata(3));
        Assert.Equal([4, 5], reopened.GetCommitMetadata(2));
        Assert.Null(reopened.GetCommitMetadata(1));
    }

    [Fact]
    public void Torn_write_of_the_newest_slot_falls_back_to_the_previous_commit()
    {
        using var dir = new TempDirectory();
        using (JournalCommitFile file = JournalCommitFile.Open(dir.Path))
        {
            file.Commit(0, 100, [1, 2, 3], commitNum: 4, forceWriteMetadata: false);
            file.Commit(0, 200, [7, 8, 9], commitNum: 5, forceWriteMetadata: false);
        }

        // Commit 5 is odd, so it lives in the second slot; damage one byte of its metadata.
        string path = Path.Combine(dir.Path, JournalCommitFile.FileName);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[SlotStride + 16] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        using JournalCommitFile reopened = JournalCommitFile.Open(dir.Path);
        Assert.Equal([4L], reopened.ListCommits());
        Assert.Equal([1, 2, 3], reopened.GetCommitMetadata(4));
        Assert.Null(reopened.GetCommitMetadata(5));
    }

    [Fact]
    public void Metadata_larger_than_a_slot_is_rejected_not_truncated()
    {
        using var dir = new TempDirectory();
        using JournalCommitFile file = JournalCommitFile.Open(dir.Path);
        file.Commit(0, 100, [1], commitNum: 1, forceWriteMetadata: false);

        Assert.Throws<InvalidOperationException>(() => file.Commit(0, 200, new byte[JournalCommitFile.MaxMetadataBytes + 1], commitNum: 2, forceWriteMetadata: false));
        Assert.Equal([1L], file.ListCommits());
    }

    [Fact]
    public void Removing_all_commits_leaves_nothing_to_recover()
    {
        using var dir = new TempDirectory();
        using JournalCommitFile file = JournalCommitFile.Open(dir.Path);
        file.Commit(0, 100, [1], commitNum: 1, forceWriteMetadata: false);
        file.Commit(0, 200, [2], commitNum: 2, forceWriteMetadata: false);

        file.RemoveAllCommits();

        Assert.Empty(file.ListCommits());
    }
}
