namespace Alerting.Engine.Pipeline;

/// <summary>A client write reached a node that is not the primary; the client must write to the primary.</summary>
public sealed class NotPrimaryException : InvalidOperationException
{
    public NotPrimaryException(string message)
        : base(message)
    {
    }

    public NotPrimaryException()
    {
    }

    public NotPrimaryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
