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

    private readonly string _directory;

    public SnapshotStore(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

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
        var temp = path + ".tmp";
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
        catch (IOException e)
        {
            reason = $"snapshot {index}: cannot read {Path.GetFileName(path)}: {e.Message}";
            return false;
        }

        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadUInt64LittleEndian(bytes) != Magic)
        {
            reason = $"snapshot {index}: not a snapshot file (bad header)";
            return false;
        }

        var headerIndex = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        var term = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        var length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(24));
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(32));
        if (headerIndex != index || length != bytes.Length - HeaderBytes)
        {
            reason = $"snapshot {index}: header says index {headerIndex} and {length} bytes, file holds {bytes.Length - HeaderBytes}";
            return false;
        }

        var body = bytes.AsMemory(HeaderBytes);
        if (Crc32C.Compute(body.Span) != crc)
        {
            reason = $"snapshot {index}: CRC mismatch, the file is damaged";
            return false;
        }

        snapshot = new LoadedSnapshot(index, term, body);
        reason = string.Empty;
        return true;
    }

    /// <summary>The oldest retained snapshot's index: the journal may be truncated before it.</summary>
    public long? OldestRetainedIndex()
    {
        var indexes = ListIndexes();
        return indexes.Count == 0 ? null : indexes[^1];
    }

    private void Prune()
    {
        var indexes = ListIndexes();
        for (var i = SnapshotsRetained; i < indexes.Count; i++)
        {
            File.Delete(PathFor(indexes[i]));
        }
    }

    private string PathFor(long index) =>
        Path.Combine(_directory, Prefix + index.ToString("D20", CultureInfo.InvariantCulture) + Suffix);
}

/// <summary>A validated snapshot: the state bytes as of log index <see cref="Index"/>.</summary>
public readonly record struct LoadedSnapshot(long Index, ulong Term, ReadOnlyMemory<byte> Body);
