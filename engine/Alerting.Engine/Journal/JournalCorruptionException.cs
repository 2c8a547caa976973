namespace Alerting.Engine.Journal;

/// <summary>
/// A durable journal record failed verification (CRC, framing or index contiguity). The node
/// must stop serving and leading: it resynchronises from a healthy peer or is restored.
/// </summary>
public sealed class JournalCorruptionException : Exception
{
    /// <summary>Creates the exception for the record at <paramref name="index"/>.</summary>
    public JournalCorruptionException(long index, string problem)
        : base($"{problem} at log index {index}: the journal is corrupt; resynchronise from a healthy peer or restore from backup")
    {
        Index = index;
    }

    /// <summary>Parameterless constructor required by convention; prefer the index overload.</summary>
    public JournalCorruptionException()
    {
    }

    /// <summary>Creates the exception with a custom message.</summary>
    public JournalCorruptionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a custom message and cause.</summary>
    public JournalCorruptionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Log index of the first record that failed verification (0 when unknown).</summary>
    public long Index { get; }
}
