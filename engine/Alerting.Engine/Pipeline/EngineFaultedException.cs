namespace Alerting.Engine.Pipeline;

/// <summary>
/// The node's pipeline failed (a full disk, a failed fsync): it takes no more writes, and the
/// writes it held complete with this. Reads of the last applied state still work; an operator
/// restart, once the cause is fixed, recovers everything acknowledged.
/// </summary>
public sealed class EngineFaultedException : InvalidOperationException
{
    public EngineFaultedException(string message)
        : base(message)
    {
    }

    public EngineFaultedException()
    {
    }

    public EngineFaultedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
