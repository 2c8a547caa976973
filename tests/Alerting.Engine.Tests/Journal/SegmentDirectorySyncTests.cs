using Alerting.Engine.Journal;

namespace Alerting.Engine.Tests.Journal;

/// <summary>
/// Issue 9 item 7: FasterLog creates a segment file each time the log grows past a segment,
/// long after the journal folder's first fsync. The commit file fsyncs the folder before a
/// commit reaches a new segment, so no commit names a segment whose directory entry a crash
/// could lose. Checked through the commit file's counters (the fsync itself has no observable
/// effect without pulling the power).
/// </summary>
public sealed class SegmentDirectorySyncTests
{
    [Fact]
    public void Every_segment_file_a_commit_covers_was_made_durable_in_the_directory_first()
    {
        using var dir = new TempDirectory();
        var options = new JournalOptions
        {
            Directory = dir.Path,
            PageSizeBits = 12,
            MemorySizeBits = 14,
            SegmentSizeBits = 13,
            MaxPayloadBytes = 1024,
        };
        using (var journal = FasterJournal.Open(options))
        {
            var payload = new byte[900];
            for (var i = 0; i < 100; i++)
            {
                journal.WaitForDurable(journal.Append(payload, term: 1));
            }

            var highest = JournalCommitFile.HighestSegment(dir.Path);
            Assert.True(highest >= 5, $"the test must cross several segments, reached {highest}");
            Assert.Equal(highest, journal.CommitFileForTests.SyncedThroughSegment);
            Assert.True(journal.CommitFileForTests.SegmentDirectorySyncs >= highest, $"{journal.CommitFileForTests.SegmentDirectorySyncs} directory fsyncs for {highest} new segments");
        }

        // A reopened journal starts from the segments already on disk.
        using var reopened = FasterJournal.Open(options);
        Assert.Equal(JournalCommitFile.HighestSegment(dir.Path), reopened.CommitFileForTests.SyncedThroughSegment);
    }
}
