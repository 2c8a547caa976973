using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Engine.Snapshots;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.Pipeline;

/// <summary>
/// Issue 9 items 4 and 5: a damaged data folder is refused instead of opening empty, and
/// snapshots fall back, are named when rejected, and fail without stopping the node. Each test
/// damages real files on disk the way an operator or a crash would.
/// </summary>
public sealed class DataFolderTests : IDisposable
{
    private readonly TempDirectory _dir = new("alerting-data-folder");

    private string JournalDirectory => Path.Combine(_dir.Path, EngineNode.JournalDirectoryName);

    private string SnapshotsDirectory => Path.Combine(_dir.Path, EngineNode.SnapshotsDirectoryName);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Deleting_the_journal_folder_is_refused_naming_the_folder_instead_of_opening_empty()
    {
        await WriteEntriesAsync(Options(), 30);
        Directory.Delete(JournalDirectory, recursive: true);

        var refused = Assert.Throws<JournalRecoveryException>(() => EngineNode.Open(Options()));

        Assert.Contains($"'{JournalDirectory}' is missing", refused.Message, StringComparison.Ordinal);
        Assert.Contains(DataFolderManifest.PathIn(_dir.Path), refused.Message, StringComparison.Ordinal);
        Assert.Contains("--force-empty", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_the_high_water_mark_and_the_commit_file_is_refused_naming_the_mark()
    {
        await WriteEntriesAsync(Options(), 30);
        File.Delete(Path.Combine(JournalDirectory, "hwm"));
        File.Delete(Path.Combine(JournalDirectory, FasterJournal.CommitDirectoryName, "commit"));

        var refused = Assert.Throws<JournalRecoveryException>(() => EngineNode.Open(Options()));

        Assert.Contains("high-water mark 'hwm' is missing", refused.Message, StringComparison.Ordinal);
        Assert.Contains(JournalDirectory, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_journal_folder_emptied_of_its_files_is_refused_by_the_manifest_mark()
    {
        await WriteEntriesAsync(Options(), 30);
        foreach (var entry in Directory.EnumerateFileSystemEntries(JournalDirectory))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        var refused = Assert.Throws<JournalRecoveryException>(() => EngineNode.Open(Options()));

        Assert.Contains("ends at index 0 but the data folder manifest", refused.Message, StringComparison.Ordinal);
        Assert.Contains("entries up to 30 existed", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Force_empty_opens_an_empty_node_keeps_the_old_data_aside_and_rewrites_the_manifest()
    {
        await WriteEntriesAsync(Options(), 30);
        var oldId = DataFolderManifest.TryRead(_dir.Path)!.NodeId;
        Directory.Delete(JournalDirectory, recursive: true);

        string discarded;
        using (var node = EngineNode.Open(Options() with { ForceEmpty = true }))
        {
            Assert.Equal(0, node.Progress.AppliedIndex);
            discarded = Assert.IsType<string>(node.Recovery.DiscardedTo);
            Assert.NotEqual(oldId, node.DataFolderId);
        }

        Assert.True(File.Exists(Path.Combine(discarded, DataFolderManifest.FileName)), "the old manifest is kept aside");
        Assert.True(Directory.Exists(Path.Combine(discarded, EngineNode.SnapshotsDirectoryName)), "the old snapshots are kept aside");
        using var reopened = EngineNode.Open(Options());
        Assert.Null(reopened.Recovery.DiscardedTo);
    }

    [Fact]
    public async Task A_folder_written_without_a_manifest_opens_and_gets_one_from_what_is_there()
    {
        await WriteEntriesAsync(Options(), 30);
        File.Delete(DataFolderManifest.PathIn(_dir.Path));

        Guid id;
        using (var node = EngineNode.Open(Options()))
        {
            Assert.Equal(30, node.Progress.AppliedIndex);
            id = Assert.IsType<Guid>(node.DataFolderId);
        }

        var manifest = DataFolderManifest.TryRead(_dir.Path)!;
        Assert.Equal(id, manifest.NodeId);
        Assert.Equal(30, manifest.Index);
        using var again = EngineNode.Open(Options());
        Assert.Equal(id, again.DataFolderId);
    }

    [Fact]
    public async Task A_damaged_manifest_is_refused_naming_the_file()
    {
        await WriteEntriesAsync(Options(), 5);
        var path = DataFolderManifest.PathIn(_dir.Path);
        var bytes = File.ReadAllBytes(path);
        bytes[30] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var refused = Assert.Throws<JournalRecoveryException>(() => EngineNode.Open(Options()));

        Assert.Contains($"'{path}' is damaged", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_one_snapshot_the_journal_is_kept_so_a_damaged_snapshot_falls_back_to_it()
    {
        var options = Options() with { SnapshotEveryEntries = 20, SnapshotOnShutdown = false };
        await WriteEntriesAsync(options, 30);
        var snapshot = Assert.Single(Directory.GetFiles(SnapshotsDirectory, "*.snap"));
        Assert.Equal(1, JournalFirstIndex());

        Corrupt(snapshot);
        using var node = EngineNode.Open(options);

        Assert.Equal(30, node.Progress.AppliedIndex);
        Assert.Equal(0, node.Recovery.SnapshotIndex);
        Assert.Equal(30, node.Recovery.EntriesReplayed);
        var rejected = Assert.Single(node.Recovery.RejectedSnapshots);
        Assert.Contains(snapshot, rejected, StringComparison.Ordinal);
        Assert.Contains("CRC mismatch", rejected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_two_snapshots_the_journal_is_truncated_only_to_the_older_one()
    {
        var options = Options() with { SnapshotEveryEntries = 20, SnapshotOnShutdown = false };
        await WriteEntriesAsync(options, 30);
        await WriteEntriesAsync(options, 30);
        var indexes = new SnapshotStore(SnapshotsDirectory).ListIndexes();
        Assert.Equal(2, indexes.Count);

        Assert.Equal(indexes[1], JournalFirstIndex());
        Corrupt(new SnapshotStore(SnapshotsDirectory).PathFor(indexes[0]));
        using var node = EngineNode.Open(options);
        Assert.Equal(60, node.Progress.AppliedIndex);
        Assert.Equal(indexes[1], node.Recovery.SnapshotIndex);
    }

    [Fact]
    public async Task A_snapshot_that_passes_its_CRC_but_does_not_decode_falls_back_and_is_named()
    {
        await WriteEntriesAsync(Options(), 30);
        var store = new SnapshotStore(SnapshotsDirectory);
        Assert.Equal([30L], store.ListIndexes());
        await WriteEntriesAsync(Options() with { SnapshotOnShutdown = false }, 10);
        store.Write(40, 1, [0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x02]);

        using var node = EngineNode.Open(Options());

        Assert.Equal(40, node.Progress.AppliedIndex);
        Assert.Equal(30, node.Recovery.SnapshotIndex);
        var rejected = Assert.Single(node.Recovery.RejectedSnapshots);
        Assert.Contains(store.PathFor(40), rejected, StringComparison.Ordinal);
        Assert.Contains("passes its CRC but does not decode", rejected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_after_skipped_snapshots_names_each_one_and_why()
    {
        var options = Options() with { SnapshotEveryEntries = 20, SnapshotOnShutdown = false };
        await WriteEntriesAsync(options, 30);
        await WriteEntriesAsync(options, 30);
        var store = new SnapshotStore(SnapshotsDirectory);
        foreach (var index in store.ListIndexes())
        {
            Corrupt(store.PathFor(index));
        }

        var refused = Assert.Throws<JournalRecoveryException>(() => EngineNode.Open(options));

        Assert.Contains("no snapshot is usable", refused.Message, StringComparison.Ordinal);
        foreach (var index in store.ListIndexes())
        {
            Assert.Contains(store.PathFor(index), refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_stale_temporary_snapshot_file_is_removed_at_open_and_reported()
    {
        await WriteEntriesAsync(Options(), 5);
        var temp = Path.Combine(SnapshotsDirectory, SnapshotStore.FileNameFor(99) + ".tmp");
        File.WriteAllBytes(temp, [1, 2, 3]);

        using var node = EngineNode.Open(Options());

        Assert.False(File.Exists(temp));
        Assert.Equal([Path.GetFileName(temp)], node.Recovery.RemovedTempFiles);
    }

    [Fact]
    public async Task A_failed_background_snapshot_is_reported_at_once_and_the_node_keeps_writing()
    {
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Options() with { SnapshotEveryEntries = 10, OnSnapshotFailed = e => failed.TrySetResult(e) };
        using var node = EngineNode.Open(options);

        // The snapshot folder becomes a file: every snapshot write now fails on the real filesystem.
        Directory.Delete(SnapshotsDirectory, recursive: true);
        File.WriteAllBytes(SnapshotsDirectory, []);
        for (var i = 0; i < 10; i++)
        {
            await WriteAsync(node, i);
        }

        var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(SnapshotsDirectory, failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, node.SnapshotFailures);
        Assert.Same(failure, node.SnapshotFailure);
        Assert.Null(node.Fault);
        var ack = await WriteAsync(node, 100);
        Assert.Equal(11, ack.Index);

        // Shutdown's own snapshot fails too: recorded, never thrown.
        node.Dispose();
        Assert.Equal(2, node.SnapshotFailures);
        File.Delete(SnapshotsDirectory);
        using var reopened = EngineNode.Open(Options());
        Assert.Equal(11, reopened.Progress.AppliedIndex);
    }

    [Fact]
    public async Task A_snapshot_that_succeeds_after_a_failure_clears_the_failure()
    {
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var node = EngineNode.Open(Options() with { SnapshotEveryEntries = 10, OnSnapshotFailed = e => failed.TrySetResult(e) });
        Directory.Delete(SnapshotsDirectory, recursive: true);
        File.WriteAllBytes(SnapshotsDirectory, []);
        for (var i = 0; i < 10; i++)
        {
            await WriteAsync(node, i);
        }

        await failed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(node.SnapshotFailure);
        File.Delete(SnapshotsDirectory);
        Directory.CreateDirectory(SnapshotsDirectory);
        await WriteAsync(node, 10);

        // The shutdown snapshot (at 11) succeeds on the same node.
        node.Dispose();
        Assert.Null(node.SnapshotFailure);
        Assert.Equal(1, node.SnapshotFailures);
        Assert.Equal([11L], new SnapshotStore(SnapshotsDirectory).ListIndexes());
    }

    private EngineOptions Options() => new()
    {
        DataDirectory = _dir.Path,
        RunClock = false,
        InputRingSize = 1024,
        JournalPageSizeBits = 21,
        JournalMemorySizeBits = 23,
        JournalSegmentSizeBits = 25,
    };

    private static async Task WriteEntriesAsync(EngineOptions options, int count)
    {
        using var node = EngineNode.Open(options);
        for (var i = 0; i < count; i++)
        {
            await WriteAsync(node, i);
        }
    }

    private static async Task<AppliedEntry> WriteAsync(EngineNode node, int i)
    {
        var entry = new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = $"m-{i}" } };
        while (true)
        {
            var task = node.TryWrite(entry);
            if (task is not null)
            {
                return await task;
            }

            await node.Progress.WaitForAsync(node.Progress.AppliedIndex + 1);
        }
    }

    private static void Corrupt(string snapshot)
    {
        var bytes = File.ReadAllBytes(snapshot);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(snapshot, bytes);
    }

    private long JournalFirstIndex()
    {
        using var journal = FasterJournal.Open(new JournalOptions
        {
            Directory = JournalDirectory,
            PageSizeBits = 21,
            MemorySizeBits = 23,
            SegmentSizeBits = 25,
        });
        return journal.FirstIndex;
    }
}
