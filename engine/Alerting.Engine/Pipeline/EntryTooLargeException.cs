namespace Alerting.Engine.Pipeline;

/// <summary>An entry whose encoding exceeds what the journal stores (<see cref="EngineNode.MaxEntryBytes"/>); nothing was written.</summary>
public sealed class EntryTooLargeException : Exception
{
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
}
