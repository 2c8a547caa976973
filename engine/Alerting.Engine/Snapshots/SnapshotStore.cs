using System.Buffers.Binary;
using System.Globalization;
using Alerting.Engine.Journal;

namespace Alerting.Engine.Snapshots;

/// <summary>
/// Snapshot files in one directory: <c>snapshot-{index:D20}.snap</c>, each a fixed header
/// (magic, index, term, body length, CRC of the body) and the state bytes. A snapshot is
/// written to a temporary file, fsynced, atomically renamed, and the directory fsynced, so
/// a crash leaves either the whole snapshot or none. Loading takes the newest one whose
/// CRC checks out; a damaged one is reported and the next older one is tried.
/// </summary>
public sealed class SnapshotStore
{
    /// <summary>How many snapshots are kept; the journal is truncated only before the oldest kept one.</summary>
    public const int SnapshotsRetained = 2;

    private const ulong Magic = 0x31_30_50_41_4E_53_4C_41; // "ALSNAP01" little-endian
    private const int HeaderBytes = 8 + 8 + 8 + 8 + 4;
    private const string Prefix = "snapshot-";
    private const string Suffix = ".snap";

    private const string TempSuffix = ".tmp";

    private readonly string _directory;

    /// <summary>
    /// Opens the snapshot folder, creating it (and fsyncing its parent) if needed, and removes
    /// temporary files a crash left behind mid-write (listed in <see cref="RemovedTempFiles"/>).
    /// </summary>
    public SnapshotStore(string directory)
    {
        _directory = directory;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory);
            DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(directory))!);
        }

        var removed = new List<string>();
        foreach (var temp in Directory.EnumerateFiles(directory, Prefix + "*" + Suffix + TempSuffix))
        {
            File.Delete(temp);
            removed.Add(Path.GetFileName(temp));
        }

        if (removed.Count > 0)
        {
            DirectorySync.Flush(directory);
        }

        removed.Sort(StringComparer.Ordinal);
        RemovedTempFiles = removed;
    }

    /// <summary>Stale temporary files (an interrupted write) removed when the store was opened.</summary>
    public IReadOnlyList<string> RemovedTempFiles { get; }

    /// <summary>File name of the snapshot at <paramref name="index"/>.</summary>
    public static string FileNameFor(long index) => Prefix + index.ToString("D20", CultureInfo.InvariantCulture) + Suffix;

    /// <summary>Full path of the snapshot at <paramref name="index"/>.</summary>
    public string PathFor(long index) => Path.Combine(_directory, FileNameFor(index));

    /// <summary>Writes a snapshot of state at <paramref name="index"/> and prunes old ones.</summary>
    public void Write(long index, ulong term, ReadOnlySpan<byte> body)
    {
        var header = new byte[HeaderBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(0), Magic);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), index);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), term);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(32), Crc32C.Compute(body));

        var path = PathFor(index);
        var temp = path + TempSuffix;
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(header);
            file.Write(body);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        DirectorySync.Flush(_directory);
        Prune();
    }

    /// <summary>Indexes of the snapshot files present, newest first (not validated).</summary>
    public IReadOnlyList<long> ListIndexes()
    {
        var indexes = new List<long>();
        foreach (var file in Directory.EnumerateFiles(_directory, Prefix + "*" + Suffix))
        {
            var name = Path.GetFileName(file);
            var digits = name.AsSpan(Prefix.Length, name.Length - Prefix.Length - Suffix.Length);
            if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                indexes.Add(index);
            }
        }

        indexes.Sort();
        indexes.Reverse();
        return indexes;
    }

    /// <summary>
    /// The newest snapshot whose header and CRC are valid, or null when there is none.
    /// <paramref name="rejected"/> receives a message for each damaged snapshot skipped.
    /// </summary>
    public LoadedSnapshot? LoadNewestValid(List<string>? rejected = null)
    {
        foreach (var index in ListIndexes())
        {
            if (TryLoad(index, out var snapshot, out var reason))
            {
                return snapshot;
            }

            rejected?.Add(reason);
        }

        return null;
    }

    /// <summary>Reads and validates the snapshot at <paramref name="index"/>.</summary>
    public bool TryLoad(long index, out LoadedSnapshot snapshot, out string reason)
    {
        snapshot = default;
        var path = PathFor(index);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"snapshot {index} ({path}): cannot read: {e.Message}";
            return false;
        }

        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadUInt64LittleEndian(bytes) != Magic)
        {
            reason = $"snapshot {index} ({path}): not a snapshot file (bad header)";
            return false;
        }

        var headerIndex = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        var term = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        var length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(24));
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(32));
        if (headerIndex != index || length != bytes.Length - HeaderBytes)
        {
            reason = $"snapshot {index} ({path}): header says index {headerIndex} and {length} bytes, file holds {bytes.Length - HeaderBytes}";
            return false;
        }

        var body = bytes.AsMemory(HeaderBytes);
        if (Crc32C.Compute(body.Span) != crc)
        {
            reason = $"snapshot {index} ({path}): CRC mismatch, the file is damaged";
            return false;
        }

        snapshot = new LoadedSnapshot(index, term, body);
        reason = string.Empty;
        return true;
    }

    /// <summary>The oldest retained snapshot's index (not validated).</summary>
    public long? OldestRetainedIndex()
    {
        var indexes = ListIndexes();
        return indexes.Count == 0 ? null : indexes[^1];
    }

    /// <summary>
    /// Where the journal may be truncated: the older of the two newest snapshots, once both pass
    /// their CRC. With one snapshot (or a damaged older one) nothing may be truncated: a damaged
    /// newest snapshot must still be able to fall back to the journal. Null when the journal must be kept whole.
    /// </summary>
    public long? TruncationPoint()
    {
        var indexes = ListIndexes();
        if (indexes.Count < SnapshotsRetained)
        {
            return null;
        }

        var older = indexes[SnapshotsRetained - 1];
        return TryLoad(older, out _, out _) ? older : null;
    }

    private void Prune()
    {
        var indexes = ListIndexes();
        for (var i = SnapshotsRetained; i < indexes.Count; i++)
        {
            File.Delete(PathFor(indexes[i]));
        }
    }

}

/// <summary>A validated snapshot: the state bytes as of log index <see cref="Index"/>.</summary>
public readonly record struct LoadedSnapshot(long Index, ulong Term, ReadOnlyMemory<byte> Body);
