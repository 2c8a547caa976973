namespace Alerting.Engine;

/// <summary>
/// Thrown when an invariant the engine relies on does not hold: always a bug or corrupt
/// input that passed validation, never a user error. The message names the invariant.
/// </summary>
public sealed class InvariantViolationException : Exception
{
    public InvariantViolationException(string message)
        : base(message)
    {
    }

    public InvariantViolationException()
    {
    }

    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
