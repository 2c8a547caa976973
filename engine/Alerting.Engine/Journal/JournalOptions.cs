namespace Alerting.Engine.Journal;

/// <summary>Where the journal lives and how FasterLog underneath it is sized.</summary>
public sealed class JournalOptions
{
    /// <summary>Default and upper bound for <see cref="MaxPayloadBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxPayloadBytes = 1 << 20;

    /// <summary>Directory holding the segment files, FasterLog commits and the high-water mark.</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// FasterLog page size, log2 bytes (default 4 MiB). A record never spans pages, so a page
    /// must hold the largest framed entry.
    /// </summary>
    public int PageSizeBits { get; init; } = 22;

    /// <summary>In-memory part of the log, log2 bytes (default 32 MiB, 8 pages).</summary>
    public int MemorySizeBits { get; init; } = 25;

    /// <summary>Segment file size, log2 bytes (default 1 GiB). Truncation frees whole segments.</summary>
    public int SegmentSizeBits { get; init; } = 30;

    /// <summary>Largest payload <see cref="FasterJournal.Append"/> accepts; bigger is an <see cref="ArgumentException"/>.</summary>
    public int MaxPayloadBytes { get; init; } = DefaultMaxPayloadBytes;

    /// <summary>
    /// One sparse-index entry (log index → FasterLog address) is kept every this many entries,
    /// bounding the records a scan or truncation skips to find its start.
    /// </summary>
    public int SparseIndexInterval { get; init; } = 1024;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("JournalOptions.Directory must name a directory.", nameof(Directory));
        }

        if (PageSizeBits is < 12 or > 30)
        {
            throw new ArgumentException($"JournalOptions.PageSizeBits is {PageSizeBits}; allowed 12..30.", nameof(PageSizeBits));
        }

        if (MemorySizeBits < PageSizeBits + 1 || MemorySizeBits > 40)
        {
            throw new ArgumentException($"JournalOptions.MemorySizeBits is {MemorySizeBits}; it must hold at least two pages (>= PageSizeBits + 1 = {PageSizeBits + 1}) and be <= 40.", nameof(MemorySizeBits));
        }

        if (SegmentSizeBits < PageSizeBits || SegmentSizeBits > 40)
        {
            throw new ArgumentException($"JournalOptions.SegmentSizeBits is {SegmentSizeBits}; allowed {PageSizeBits} (PageSizeBits)..40.", nameof(SegmentSizeBits));
        }

        if (MaxPayloadBytes is < 1 or > DefaultMaxPayloadBytes)
        {
            throw new ArgumentException($"JournalOptions.MaxPayloadBytes is {MaxPayloadBytes}; allowed 1..{DefaultMaxPayloadBytes}.", nameof(MaxPayloadBytes));
        }

        // FasterLog adds a 4-byte length header and pads to 4 bytes; the record must fit in a page.
        long largestRecord = JournalRecordHeader.Size + MaxPayloadBytes + 8;
        if (largestRecord > 1L << PageSizeBits)
        {
            throw new ArgumentException($"JournalOptions.MaxPayloadBytes {MaxPayloadBytes} does not fit a {1L << PageSizeBits}-byte page (PageSizeBits {PageSizeBits}) with its framing.", nameof(MaxPayloadBytes));
        }

        if (SparseIndexInterval is < 1 or > 1 << 20)
        {
            throw new ArgumentException($"JournalOptions.SparseIndexInterval is {SparseIndexInterval}; allowed 1..{1 << 20}.", nameof(SparseIndexInterval));
        }
    }
}
