using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Alerting.Engine.Journal;

/// <summary>
/// The journal's own fsynced record of the highest durable index, kept because FasterLog
/// recovers to an empty log without an error when its commit metadata is missing.
/// The file holds two slots in different 512-byte sectors, written alternately, each
/// <c>[index: uint64][sequence: uint64][CRC32C of the 16 bytes: uint32]</c>. A torn write can
/// damage only the slot being written; the other still holds the previous value. This avoids
/// a temp file + rename + directory fsync on every group commit: one write and one fsync.
/// </summary>
internal sealed class HighWaterMark : IDisposable
{
    internal const string FileName = "hwm";
    private const int SlotStride = 512;
    private const int SlotBytes = 20;

    private readonly SafeFileHandle _file;
    private readonly byte[] _slot = new byte[SlotBytes];
    private ulong _sequence;
    private long _index;

    private HighWaterMark(SafeFileHandle file, long index, ulong sequence)
    {
        _file = file;
        _index = index;
        _sequence = sequence;
    }

    /// <summary>Last index written (and fsynced) to the file. Written by one thread, read by any.</summary>
    public long Index => Volatile.Read(ref _index);

    public static HighWaterMark Open(string directory)
    {
        string path = Path.Combine(directory, FileName);
        bool existed = File.Exists(path);
        SafeFileHandle file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        try
        {
            long index = 0;
            ulong sequence = 0;
            long length = RandomAccess.GetLength(file);
            if (length > 0)
            {
                (index, sequence) = ReadBestSlot(file, length, path);
            }
            else if (!existed)
            {
                // The new file's directory entry must survive a crash, or a later open could
                // see no high-water mark at all and lose its protection.
                DirectorySync.Flush(directory);
            }

            return new HighWaterMark(file, index, sequence);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Persists <paramref name="index"/> (fsync) in the slot not holding the newest value.</summary>
    public void Write(long index)
    {
        if (index < Index)
        {
            throw new InvalidOperationException($"Invariant: the high-water mark only moves forward ({Index} -> {index}).");
        }

        _sequence++;
        BinaryPrimitives.WriteUInt64LittleEndian(_slot, (ulong)index);
        BinaryPrimitives.WriteUInt64LittleEndian(_slot.AsSpan(8), _sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(_slot.AsSpan(16), Crc32C.Compute(_slot.AsSpan(0, 16)));
        RandomAccess.Write(_file, _slot, (long)(_sequence % 2) * SlotStride);
        RandomAccess.FlushToDisk(_file);
        Volatile.Write(ref _index, index);
    }

    public void Dispose() => _file.Dispose();

    private static (long Index, ulong Sequence) ReadBestSlot(SafeFileHandle file, long length, string path)
    {
        Span<byte> slot = stackalloc byte[SlotBytes];
        long bestIndex = -1;
        ulong bestSequence = 0;
        for (int i = 0; i < 2; i++)
        {
            long offset = (long)i * SlotStride;
            if (offset + SlotBytes > length || RandomAccess.Read(file, slot, offset) != SlotBytes)
            {
                continue;
            }

            ulong sequence = BinaryPrimitives.ReadUInt64LittleEndian(slot[8..]);
            bool valid = sequence != 0 && BinaryPrimitives.ReadUInt32LittleEndian(slot[16..]) == Crc32C.Compute(slot[..16]);
            if (valid && sequence > bestSequence)
            {
                bestSequence = sequence;
                bestIndex = (long)BinaryPrimitives.ReadUInt64LittleEndian(slot);
            }
        }

        if (bestIndex < 0)
        {
            throw new JournalRecoveryException($"The journal high-water mark file '{path}' has no valid slot (CRC mismatch or truncated): refusing to start without knowing which entries were durable; restore the node from a healthy peer.");
        }

        return (bestIndex, bestSequence);
    }
}
