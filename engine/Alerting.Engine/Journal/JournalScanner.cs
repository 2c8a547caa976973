using FASTER.core;

namespace Alerting.Engine.Journal;

/// <summary>
/// Reads journal entries in log order, verifying each one's framing, CRC32C, index contiguity
/// and term order. A failure is a <see cref="JournalCorruptionException"/> naming the index.
/// A scanner from <see cref="FasterJournal.Scan"/> stops at the durable index as it was at each
/// call, so it can be polled to follow the log. Not thread-safe: one reader per scanner.
/// </summary>
public sealed class JournalScanner : IJournalScanner
{
    private const int InitialBufferBytes = 4096;

    private readonly FasterLogScanIterator _iterator;
    private readonly FasterJournal? _owner;
    private byte[] _buffer = new byte[InitialBufferBytes];
    private long _expectedIndex;
    private ulong _lastTerm;
    private bool _disposed;

    /// <param name="owner">The journal whose durable index bounds the scan; null during recovery.</param>
    /// <param name="expectedIndex">Index of the first record, or 0 when unknown (recovery).</param>
    internal JournalScanner(FasterLogScanIterator iterator, FasterJournal? owner, long expectedIndex)
    {
        _iterator = iterator;
        _owner = owner;
        _expectedIndex = expectedIndex;
    }

    /// <summary>Index the next record returned will have (0 before the first record of a recovery scan).</summary>
    public long NextIndex => _expectedIndex;

    /// <summary>FasterLog address just past the last record returned.</summary>
    internal long NextAddress { get; private set; }

    /// <summary>FasterLog address of the last record returned.</summary>
    internal long CurrentAddress { get; private set; }

    /// <summary>
    /// Returns the next durable, verified record, or false when the scan has reached the
    /// durable index. The record's payload is valid until the next call.
    /// </summary>
    public bool TryNext(out JournalRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_owner is not null && _expectedIndex > _owner.DurableIndex)
        {
            record = default;
            return false;
        }

        if (!TryReadVerified(out record))
        {
            if (_owner is not null)
            {
                throw new InvalidOperationException($"Invariant: index {_expectedIndex} is durable (durable index {_owner.DurableIndex}) but FasterLog returned no committed record for it.");
            }

            return false;
        }

        return true;
    }

    /// <summary>Reads and verifies records until the next one returned would be <paramref name="index"/>.</summary>
    internal void SkipTo(long index)
    {
        while (_expectedIndex < index)
        {
            if (!TryReadVerified(out _))
            {
                throw new InvalidOperationException($"Invariant: index {index} lies in the committed log, but the scan ended at {_expectedIndex}.");
            }
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _iterator.Dispose();
        }
    }

    private unsafe bool TryReadVerified(out JournalRecord record)
    {
        long expected = _expectedIndex;
        int length;
        long current;
        long next;
        try
        {
            if (!_iterator.UnsafeGetNext(out byte* entry, out length, out current, out next))
            {
                record = default;
                return false;
            }

            try
            {
                if (length < JournalRecordHeader.Size || length > JournalRecordHeader.Size + JournalOptions.DefaultMaxPayloadBytes)
                {
                    throw new JournalCorruptionException(expected, $"Record framing invalid (FasterLog record of {length} bytes at address {current})");
                }

                if (_buffer.Length < length)
                {
                    _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
                }

                new ReadOnlySpan<byte>(entry, length).CopyTo(_buffer);
            }
            finally
            {
                _iterator.UnsafeRelease();
            }
        }
        catch (FasterException e)
        {
            throw new JournalCorruptionException($"FasterLog could not read the record for log index {expected}: the journal is corrupt; resynchronise from a healthy peer or restore from backup", e);
        }

        ReadOnlySpan<byte> bytes = _buffer.AsSpan(0, length);
        if (!JournalRecordHeader.TryRead(bytes, out JournalRecordHeader header)
            || header.PayloadLength != length - JournalRecordHeader.Size)
        {
            throw new JournalCorruptionException(expected == 0 ? header.Index : expected, $"Record length mismatch (FasterLog record of {length} bytes at address {current})");
        }

        long named = expected == 0 ? header.Index : expected;
        ReadOnlySpan<byte> payload = bytes[JournalRecordHeader.Size..];
        if (!header.Matches(payload))
        {
            throw new JournalCorruptionException(named, "CRC mismatch");
        }

        if (expected != 0 && header.Index != expected)
        {
            throw new JournalCorruptionException(expected, $"Index gap (found index {header.Index})");
        }

        if (header.Index < 1 || header.Term < _lastTerm)
        {
            throw new JournalCorruptionException(named, $"Invalid index or term going backwards (index {header.Index}, term {header.Term} after {_lastTerm})");
        }

        _lastTerm = header.Term;
        _expectedIndex = header.Index + 1;
        CurrentAddress = current;
        NextAddress = next;
        record = new JournalRecord(header.Index, header.Term, _buffer.AsMemory(JournalRecordHeader.Size, header.PayloadLength));
        return true;
    }
}
