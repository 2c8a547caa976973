namespace Alerting.Replication;

/// <summary>What an entry is to the consensus core. The payload of a command is opaque to it.</summary>
public enum EntryKind : byte
{
    /// <summary>A client write (for the engine: an encoded log entry body).</summary>
    Command,

    /// <summary>The no-op a new primary appends before accepting writes, so entries of earlier terms get committed by it (Raft §5.4.2).</summary>
    TermStart,
}

/// <summary>One replicated log entry at a fixed (index, term). Indexes start at 1.</summary>
public readonly record struct LogEntry(long Index, long Term, EntryKind Kind, ReadOnlyMemory<byte> Payload);
