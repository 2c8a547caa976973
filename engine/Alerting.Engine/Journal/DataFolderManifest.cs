using System.Buffers.Binary;
using System.Globalization;

namespace Alerting.Engine.Journal;

/// <summary>
/// The data folder's identity and its "data existed up to index N" mark, kept in
/// <c>manifest</c> beside <c>journal/</c> and <c>snapshots/</c>, outside the folders it
/// protects: deleting <c>journal/</c>, or the journal's own high-water mark together with its
/// commit file, no longer opens an empty node. The file is
/// <c>[magic: uint64][version: uint32][node id: 16 bytes][index: int64][CRC32C of the rest: uint32]</c>,
/// written to a temporary file, fsynced, renamed over the old one, and the folder fsynced.
/// It is rewritten rarely: at open, after each snapshot and at a clean stop. Between two
/// writes the journal's own high-water mark covers what was acknowledged.
/// </summary>
public sealed class DataFolderManifest
{
    /// <summary>File name inside the data folder.</summary>
    public const string FileName = "manifest";

    private const ulong Magic = 0x31_30_46_49_4E_41_4D_41; // "AMANIF01" little-endian
    private const uint Version = 1;
    private const int Bytes = 8 + 4 + 16 + 8 + 4;

    private readonly string _path;
    private readonly Lock _gate = new();
    private long _index;

    private DataFolderManifest(string dataDirectory, Guid nodeId, long index)
    {
        DataDirectory = dataDirectory;
        _path = Path.Combine(dataDirectory, FileName);
        NodeId = nodeId;
        _index = index;
    }

    /// <summary>The data folder this manifest describes.</summary>
    public string DataDirectory { get; }

    /// <summary>Created once, with the folder; never changes.</summary>
    public Guid NodeId { get; }

    /// <summary>Entries up to this index existed in the folder; a journal that ends below it lost data.</summary>
    public long Index => Volatile.Read(ref _index);

    /// <summary>Path of the manifest file in <paramref name="dataDirectory"/>.</summary>
    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>Reads the manifest, or returns null when the folder has none (new, or written by an older version).</summary>
    /// <exception cref="JournalRecoveryException">The file exists but is damaged.</exception>
    public static DataFolderManifest? TryRead(string dataDirectory)
    {
        var path = PathIn(dataDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != Bytes
            || BinaryPrimitives.ReadUInt64LittleEndian(bytes) != Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(Bytes - 4)) != Crc32C.Compute(bytes.AsSpan(0, Bytes - 4)))
        {
            throw new JournalRecoveryException(
                $"the data folder manifest '{path}' is damaged (bad length, magic or CRC): refusing to start without knowing how much data the folder held; restore the folder from a backup or a healthy peer, or start with --force-empty to discard it");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != Version)
        {
            throw new JournalRecoveryException(
                $"the data folder manifest '{path}' has version {version.ToString(CultureInfo.InvariantCulture)}, this build reads version {Version.ToString(CultureInfo.InvariantCulture)}: run the version that wrote it");
        }

        var nodeId = new Guid(bytes.AsSpan(12, 16));
        var index = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(28));
        return new DataFolderManifest(dataDirectory, nodeId, index);
    }

    /// <summary>Creates and persists a manifest with a new node id.</summary>
    public static DataFolderManifest Create(string dataDirectory, long index)
    {
        var manifest = new DataFolderManifest(dataDirectory, Guid.NewGuid(), index);
        manifest.Persist(index);

        // Whoever created the data folder itself, its entry in the parent must be durable too.
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(dataDirectory))!);
        return manifest;
    }

    /// <summary>Raises the mark to <paramref name="index"/> (never lowers it) and persists it.</summary>
    public void Advance(long index)
    {
        lock (_gate)
        {
            if (index <= _index)
            {
                return;
            }

            Persist(index);
            Volatile.Write(ref _index, index);
        }
    }

    private void Persist(long index)
    {
        var bytes = new byte[Bytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), Version);
        Invariant.Check(NodeId.TryWriteBytes(bytes.AsSpan(12, 16)), "a node id fills 16 bytes");
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(28), index);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Bytes - 4), Crc32C.Compute(bytes.AsSpan(0, Bytes - 4)));

        var temp = _path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
        DirectorySync.Flush(DataDirectory);
    }
}
