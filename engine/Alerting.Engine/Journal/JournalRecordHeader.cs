using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Alerting.Engine.Journal;

/// <summary>
/// The framing in front of every journal entry inside a FasterLog record, little-endian:
/// <c>[payload length: int32][CRC32C: uint32][term: uint64][index: uint64]</c> then the payload.
/// The CRC covers term, index and payload (bytes 8..24 of the header, then the payload), so a
/// record moved to the wrong position or stamped with the wrong term fails it too.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct JournalRecordHeader
{
    /// <summary>Bytes the header occupies in front of the payload.</summary>
    public const int Size = 24;

    private const int CrcCoveredOffset = 8;

    /// <summary>Creates a header, computing its CRC over term, index and payload.</summary>
    public JournalRecordHeader(ulong term, long index, ReadOnlySpan<byte> payload)
    {
        PayloadLength = payload.Length;
        Term = term;
        Index = index;
        Crc = ComputeCrc(term, index, payload);
    }

    private JournalRecordHeader(int payloadLength, uint crc, ulong term, long index)
    {
        PayloadLength = payloadLength;
        Crc = crc;
        Term = term;
        Index = index;
    }

    /// <summary>Payload bytes that follow the header.</summary>
    public int PayloadLength { get; }

    /// <summary>CRC32C stored in (or computed for) the header.</summary>
    public uint Crc { get; }

    /// <summary>Leader term the entry was written in.</summary>
    public ulong Term { get; }

    /// <summary>1-based position of the entry in the log.</summary>
    public long Index { get; }

    /// <summary>CRC32C over term, index and payload, in the on-disk byte order.</summary>
    public static uint ComputeCrc(ulong term, long index, ReadOnlySpan<byte> payload)
    {
        Span<byte> covered = stackalloc byte[Size - CrcCoveredOffset];
        BinaryPrimitives.WriteUInt64LittleEndian(covered, term);
        BinaryPrimitives.WriteUInt64LittleEndian(covered[sizeof(ulong)..], (ulong)index);
        return Crc32C.Append(Crc32C.Compute(covered), payload);
    }

    /// <summary>
    /// Reads a header from the front of <paramref name="record"/>. False when the bytes are too
    /// short or the length field is negative; the CRC is checked separately by <see cref="Matches"/>.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out JournalRecordHeader header)
    {
        if (record.Length < Size)
        {
            header = default;
            return false;
        }

        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(record);
        header = new JournalRecordHeader(
            payloadLength,
            BinaryPrimitives.ReadUInt32LittleEndian(record[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(record[8..]),
            (long)BinaryPrimitives.ReadUInt64LittleEndian(record[16..]));
        return payloadLength >= 0;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A journal record header needs {Size} bytes; the destination has {destination.Length}.", nameof(destination));
        }

        BinaryPrimitives.WriteInt32LittleEndian(destination, PayloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Term);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], (ulong)Index);
    }

    /// <summary>True when the stored CRC matches term, index and <paramref name="payload"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> payload) =>
        payload.Length == PayloadLength && ComputeCrc(Term, Index, payload) == Crc;
}
