namespace Alerting.Server.Hosting;

/// <summary>A setting that prevents the server from starting; the message says which and what to do.</summary>
public sealed class ServerOptionsException : Exception
{
    public ServerOptionsException()
    {
    }

    public ServerOptionsException(string message)
        : base(message)
    {
    }

    public ServerOptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
