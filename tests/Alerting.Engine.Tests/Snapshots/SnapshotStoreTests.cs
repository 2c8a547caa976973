using Alerting.Engine.Snapshots;

namespace Alerting.Engine.Tests.Snapshots;

public sealed class SnapshotStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "alerting-snapshots-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Newest_valid_snapshot_is_loaded_with_its_index_term_and_bytes()
    {
        var store = new SnapshotStore(_directory);
        store.Write(10, 1, [1, 2, 3]);
        store.Write(20, 2, [4, 5, 6, 7]);

        var loaded = store.LoadNewestValid();

        Assert.NotNull(loaded);
        Assert.Equal(20, loaded.Value.Index);
        Assert.Equal(2UL, loaded.Value.Term);
        Assert.Equal(new byte[] { 4, 5, 6, 7 }, loaded.Value.Body.ToArray());
    }

    [Fact]
    public void A_damaged_newest_snapshot_is_reported_and_the_older_one_is_used()
    {
        var store = new SnapshotStore(_directory);
        store.Write(10, 1, [1, 2, 3]);
        store.Write(20, 1, [4, 5, 6]);
        var newest = Directory.GetFiles(_directory, "*20.snap").Single();
        var bytes = File.ReadAllBytes(newest);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(newest, bytes);

        var rejected = new List<string>();
        var loaded = store.LoadNewestValid(rejected);

        Assert.Equal(10, loaded?.Index);
        Assert.Contains(rejected, r => r.Contains("snapshot 20 (", StringComparison.Ordinal) && r.Contains("CRC mismatch", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_the_retained_number_of_snapshots_is_kept()
    {
        var store = new SnapshotStore(_directory);
        for (var i = 1; i <= 5; i++)
        {
            store.Write(i * 100, 1, [(byte)i]);
        }

        Assert.Equal([500L, 400L], store.ListIndexes());
        Assert.Equal(400, store.OldestRetainedIndex());
    }

    [Fact]
    public void A_leftover_temporary_file_from_a_crash_is_not_a_snapshot()
    {
        var store = new SnapshotStore(_directory);
        store.Write(10, 1, [1]);
        File.WriteAllBytes(Path.Combine(_directory, "snapshot-00000000000000000020.snap.tmp"), [9, 9]);

        Assert.Equal(10, store.LoadNewestValid()?.Index);
    }

    [Fact]
    public void An_empty_directory_has_no_snapshot()
    {
        Assert.Null(new SnapshotStore(_directory).LoadNewestValid());
    }
}
