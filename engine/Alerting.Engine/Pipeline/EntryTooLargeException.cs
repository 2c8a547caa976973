using System.Globalization;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// An entry whose encoding exceeds what the journal stores (<see cref="EngineNode.MaxEntryBytes"/>); nothing
/// was written. Unlike a full ring, sending it again can never succeed: the client must split it.
/// </summary>
public sealed class EntryTooLargeException : Exception
{
    public EntryTooLargeException(long entryBytes, long limitBytes)
        : base(string.Create(CultureInfo.InvariantCulture, $"the entry is too large ({entryBytes} bytes encoded, limit {limitBytes}): split it into smaller batches; sent again as it is, it will always be refused"))
    {
        EntryBytes = entryBytes;
        LimitBytes = limitBytes;
    }

    public EntryTooLargeException(string message)
        : base(message)
    {
    }

    public EntryTooLargeException()
    {
    }

    public EntryTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Bytes of the refused entry, encoded; 0 when not known.</summary>
    public long EntryBytes { get; }

    /// <summary>The most the journal takes, in bytes; 0 when not known.</summary>
    public long LimitBytes { get; }
}
