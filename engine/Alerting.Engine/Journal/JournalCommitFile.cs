using System.Buffers.Binary;
using FASTER.core;
using Microsoft.Win32.SafeHandles;

namespace Alerting.Engine.Journal;

/// <summary>
/// FasterLog's commit metadata in one preallocated file with two slots written alternately,
/// each <c>[CRC32C of the rest: uint32][length: int32][commitNum: int64][metadata]</c>.
/// <para>
/// Why not FasterLog's default commit manager: it creates a new file per commit (and deletes
/// the old one), so every group commit paid a file creation, O_SYNC writes and directory
/// updates on top of the data flush. Here a commit is one small write into an existing file
/// and one fsync. A torn write can only damage the slot being written; the other slot still
/// holds the previous commit, which stays valid because the data it covers was flushed
/// before it. Same scheme as <see cref="HighWaterMark"/>.
/// </para>
/// FasterLog calls <see cref="Commit"/> from its serial commit worker; recovery reads happen
/// before the first commit. The lock only makes the slot buffer safe if that ever changes.
/// </summary>
internal sealed class JournalCommitFile : ILogCommitManager
{
    internal const string FileName = "commit";

    /// <summary>Bytes per slot; FasterLog's metadata without iterators or cookies is under 100 bytes.</summary>
    private const int SlotStride = 4096;

    private const int SlotHeaderBytes = 16;

    /// <summary>Largest commit metadata a slot holds; a bigger one is an invariant failure, not truncated.</summary>
    internal const int MaxMetadataBytes = SlotStride - SlotHeaderBytes;

    private readonly SafeFileHandle _file;
    private readonly byte[] _slot = new byte[SlotStride];
    private readonly Lock _gate = new();
    private readonly string? _segmentDirectory;
    private readonly int _segmentSizeBits;
    private long _syncedThroughSegment;
    private long _segmentDirectorySyncs;

    private JournalCommitFile(SafeFileHandle file, string? segmentDirectory, int segmentSizeBits)
    {
        _file = file;
        _segmentDirectory = segmentDirectory;
        _segmentSizeBits = segmentSizeBits;
    }

    /// <summary>Highest segment number whose directory entry was fsynced before a commit covered it.</summary>
    internal long SyncedThroughSegment => Volatile.Read(ref _syncedThroughSegment);

    /// <summary>fsyncs of the segment directory made because a commit reached a new segment.</summary>
    internal long SegmentDirectorySyncs => Volatile.Read(ref _segmentDirectorySyncs);

    /// <summary>Called on FasterLog's commit worker when writing a commit failed (the exception is rethrown to FasterLog).</summary>
    internal Action<Exception>? Failed { get; set; }

    /// <summary>
    /// Opens (or creates, fsyncing the directory entry) the commit file in <paramref name="directory"/>.
    /// With <paramref name="segmentDirectory"/>, the folder holding FasterLog's segment files
    /// (<c>2^segmentSizeBits</c> bytes each): before a commit whose data reaches a segment not yet
    /// covered, that folder is fsynced, so a commit never points into a segment file whose
    /// directory entry a crash could lose. FasterLog creates segment files as the log grows, long
    /// after the folder's first fsync.
    /// </summary>
    public static JournalCommitFile Open(string directory, string? segmentDirectory = null, int segmentSizeBits = 0)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        bool existed = File.Exists(path);
        SafeFileHandle file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        try
        {
            if (!existed)
            {
                // Sized once, so a commit's fsync never has to persist a length change.
                RandomAccess.SetLength(file, 2 * SlotStride);
                RandomAccess.FlushToDisk(file);
                DirectorySync.Flush(directory);
                DirectorySync.Flush(Path.GetDirectoryName(directory)!);
            }

            var commitFile = new JournalCommitFile(file, segmentDirectory, segmentSizeBits);
            if (segmentDirectory is not null)
            {
                // Segment files recovered from an earlier run: make their entries durable once.
                DirectorySync.Flush(segmentDirectory);
                commitFile._syncedThroughSegment = HighestSegment(segmentDirectory);
            }

            return commitFile;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Commit(long beginAddress, long untilAddress, byte[] commitMetadata, long commitNum, bool forceWriteMetadata)
    {
        ArgumentNullException.ThrowIfNull(commitMetadata);
        if (commitMetadata.Length > MaxMetadataBytes)
        {
            throw new InvalidOperationException($"Invariant: FasterLog commit metadata of {commitMetadata.Length} bytes exceeds the commit slot ({MaxMetadataBytes} bytes).");
        }

        try
        {
            WriteSlot(untilAddress, commitMetadata, commitNum);
        }
        catch (Exception e)
        {
            Failed?.Invoke(e);
            throw;
        }
    }

    private void WriteSlot(long untilAddress, byte[] commitMetadata, long commitNum)
    {
        lock (_gate)
        {
            // FasterLog flushed the data up to untilAddress before calling here; the segment
            // files it created for it must be in the directory before the commit names them.
            if (_segmentDirectory is not null && untilAddress > 0 && ((untilAddress - 1) >> _segmentSizeBits) > _syncedThroughSegment)
            {
                DirectorySync.Flush(_segmentDirectory);
                Volatile.Write(ref _syncedThroughSegment, (untilAddress - 1) >> _segmentSizeBits);
                Interlocked.Increment(ref _segmentDirectorySyncs);
            }

            Span<byte> slot = _slot.AsSpan(0, SlotHeaderBytes + commitMetadata.Length);
            BinaryPrimitives.WriteInt32LittleEndian(slot[4..], commitMetadata.Length);
            BinaryPrimitives.WriteInt64LittleEndian(slot[8..], commitNum);
            commitMetadata.CopyTo(slot[SlotHeaderBytes..]);
            BinaryPrimitives.WriteUInt32LittleEndian(slot, Crc32C.Compute(slot[4..]));
            RandomAccess.Write(_file, slot, SlotOffset(commitNum));
            RandomAccess.FlushToDisk(_file);
        }
    }

    public byte[]? GetCommitMetadata(long commitNum)
    {
        lock (_gate)
        {
            for (int i = 0; i < 2; i++)
            {
                if (TryReadSlot(i, out long slotCommit, out byte[] metadata) && slotCommit == commitNum)
                {
                    return metadata;
                }
            }

            return null;
        }
    }

    /// <summary>Valid commits, newest first (the order FasterLog tries them in).</summary>
    public IEnumerable<long> ListCommits()
    {
        var commits = new List<long>(2);
        lock (_gate)
        {
            for (int i = 0; i < 2; i++)
            {
                if (TryReadSlot(i, out long commitNum, out _))
                {
                    commits.Add(commitNum);
                }
            }
        }

        commits.Sort((a, b) => b.CompareTo(a));
        return commits;
    }

    public void RemoveCommit(long commitNum)
    {
        lock (_gate)
        {
            for (int i = 0; i < 2; i++)
            {
                if (TryReadSlot(i, out long slotCommit, out _) && slotCommit == commitNum)
                {
                    ClearSlot(i);
                }
            }
        }
    }

    public void RemoveAllCommits()
    {
        lock (_gate)
        {
            ClearSlot(0);
            ClearSlot(1);
        }
    }

    public void OnRecovery(long commitNum)
    {
        // Both slots are kept: the older one is the fallback if the next commit's write tears.
    }

    public void Dispose() => _file.Dispose();

    private static long SlotOffset(long commitNum) => (commitNum & 1) * SlotStride;

    /// <summary>Highest N of the <c>journal.log.N</c> segment files present (0 when none).</summary>
    internal static long HighestSegment(string segmentDirectory)
    {
        long highest = 0;
        foreach (string file in Directory.EnumerateFiles(segmentDirectory, FasterJournal.SegmentFilePrefix + ".*"))
        {
            string suffix = Path.GetFileName(file)[(FasterJournal.SegmentFilePrefix.Length + 1)..];
            if (long.TryParse(suffix, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long segment))
            {
                highest = Math.Max(highest, segment);
            }
        }

        return highest;
    }

    private bool TryReadSlot(int slotIndex, out long commitNum, out byte[] metadata)
    {
        commitNum = 0;
        metadata = [];
        Span<byte> slot = _slot;
        if (RandomAccess.Read(_file, slot, (long)slotIndex * SlotStride) != SlotStride)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(slot[4..]);
        if (length is <= 0 or > MaxMetadataBytes)
        {
            return false;
        }

        Span<byte> used = slot[..(SlotHeaderBytes + length)];
        if (BinaryPrimitives.ReadUInt32LittleEndian(slot) != Crc32C.Compute(used[4..]))
        {
            return false;
        }

        commitNum = BinaryPrimitives.ReadInt64LittleEndian(slot[8..]);
        metadata = used[SlotHeaderBytes..].ToArray();
        return true;
    }

    private void ClearSlot(int slotIndex)
    {
        Array.Clear(_slot);
        RandomAccess.Write(_file, _slot, (long)slotIndex * SlotStride);
        RandomAccess.FlushToDisk(_file);
    }
}
