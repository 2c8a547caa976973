namespace Alerting.Engine.Journal;

/// <summary>
/// Opening the journal would lose acknowledged entries (it recovered below its own high-water
/// mark, or the high-water mark itself is unreadable), so the node refuses to start.
/// </summary>
public sealed class JournalRecoveryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JournalRecoveryException()
    {
    }

    /// <summary>Creates the exception with a message an operator can act on.</summary>
    public JournalRecoveryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public JournalRecoveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
