namespace Alerting.Engine.Pipeline;

/// <summary>A client write reached a node that is not the primary; the client must write to the primary.</summary>
public sealed class NotPrimaryException : InvalidOperationException
{
    public NotPrimaryException(string message)
        : base(message)
    {
    }

    public NotPrimaryException(string message, string? primaryAddress)
        : base(message)
    {
        PrimaryAddress = primaryAddress;
    }

    public NotPrimaryException()
    {
    }

    public NotPrimaryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The client address (gRPC URL) of the primary this node knows of, or null when none is known.</summary>
    public string? PrimaryAddress { get; }
}
