namespace Alerting.Replication;

/// <summary>Thrown when the consensus core finds one of its invariants broken. It is a bug, not an input error.</summary>
public sealed class ReplicationInvariantException : Exception
{
    /// <summary>Creates the exception with the invariant that broke.</summary>
    public ReplicationInvariantException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the invariant that broke and its cause.</summary>
    public ReplicationInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public ReplicationInvariantException()
    {
    }
}
