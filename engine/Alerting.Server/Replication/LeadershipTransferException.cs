namespace Alerting.Server.Replication;

/// <summary>A leadership transfer that ended without the target leading (it did not take over in time, or another node won).</summary>
public sealed class LeadershipTransferException : Exception
{
    public LeadershipTransferException(string message)
        : base(message)
    {
    }

    public LeadershipTransferException()
    {
    }

    public LeadershipTransferException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
