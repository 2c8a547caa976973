using System.Buffers.Binary;
using Alerting.Engine.Journal;
using Alerting.Replication;

namespace Alerting.Server.Replication;

/// <summary>
/// The consensus core's <see cref="HardState"/> in the data folder (<c>replica-state</c>): term,
/// vote, commit and frontier, with a CRC32C. Written whole to a temporary file, fsynced, renamed
/// over the old one and the folder fsynced, so a crash leaves either the old or the new state.
/// </summary>
public sealed class HardStateFile
{
    public const string FileName = "replica-state";

    private const uint Magic = 0x53524C41; // "ALRS"
    private const int Version = 1;
    private const int Length = 4 + 4 + (5 * 8) + 4;

    private readonly string _directory;
    private readonly string _path;
    private readonly string _temporary;

    public HardStateFile(string dataDirectory)
    {
        _directory = Path.GetFullPath(dataDirectory);
        _path = Path.Combine(_directory, FileName);
        _temporary = _path + ".tmp";
    }

    public string FilePath => _path;

    /// <summary>The persisted state, or the empty one when the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file exists but is damaged: refusing to guess a term or a vote.</exception>
    public HardState Read()
    {
        if (!File.Exists(_path))
        {
            return default;
        }

        var bytes = File.ReadAllBytes(_path);
        if (bytes.Length != Length
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic
            || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)) != Version
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(Length - 4)) != Crc32C.Compute(bytes.AsSpan(0, Length - 4)))
        {
            throw new InvalidDataException($"the replication state file '{_path}' is damaged (length, version or CRC): refusing to start, a term or vote could be given twice; restore it from a backup");
        }

        var body = bytes.AsSpan(8);
        return new HardState(
            BinaryPrimitives.ReadInt64LittleEndian(body),
            checked((int)BinaryPrimitives.ReadInt64LittleEndian(body[8..])),
            BinaryPrimitives.ReadInt64LittleEndian(body[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(body[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(body[32..]));
    }

    /// <summary>Replaces the file with <paramref name="state"/>; returns once it survives a crash.</summary>
    public void Write(HardState state)
    {
        var bytes = new byte[Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), Version);
        var body = bytes.AsSpan(8);
        BinaryPrimitives.WriteInt64LittleEndian(body, state.Term);
        BinaryPrimitives.WriteInt64LittleEndian(body[8..], state.VotedFor);
        BinaryPrimitives.WriteInt64LittleEndian(body[16..], state.Commit);
        BinaryPrimitives.WriteInt64LittleEndian(body[24..], state.FrontierIndex);
        BinaryPrimitives.WriteInt64LittleEndian(body[32..], state.FrontierTerm);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Length - 4), Crc32C.Compute(bytes.AsSpan(0, Length - 4)));
        using (var file = new FileStream(_temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(_temporary, _path, overwrite: true);
        DirectorySync.Flush(_directory);
    }
}
