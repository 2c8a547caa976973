namespace Alerting.Engine.Ring;

/// <summary>
/// What a wait on a <see cref="SequenceBarrier"/> produced: the highest available sequence, or "cancelled".
/// </summary>
/// <remarks>
/// Shutdown is reported by a return value rather than an exception so the consumer loop never needs a
/// try/catch around its hot path.
/// </remarks>
public readonly record struct SequenceWaitResult
{
    private const long CancelledValue = long.MinValue;

    private readonly long _value;

    private SequenceWaitResult(long value) => _value = value;

    /// <summary>The result of a wait that was cancelled (the barrier was asked to stop processing).</summary>
    public static SequenceWaitResult Cancelled => new(CancelledValue);

    /// <summary>True when the wait ended because processing was cancelled.</summary>
    public bool IsCancelled => _value == CancelledValue;

    /// <summary>The highest sequence available; may be below the sequence waited for (then wait again).</summary>
    public long Value
    {
        get
        {
            if (IsCancelled)
            {
                throw new InvalidOperationException("A cancelled wait has no sequence; check IsCancelled first.");
            }

            return _value;
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        IsCancelled ? "Cancelled" : $"Available({_value.ToString(System.Globalization.CultureInfo.InvariantCulture)})";

    /// <summary>A wait that ended with <paramref name="availableSequence"/> available.</summary>
    public static SequenceWaitResult Available(long availableSequence)
    {
        Invariant.Check(availableSequence != CancelledValue, "available sequence collides with the cancelled marker");
        return new SequenceWaitResult(availableSequence);
    }
}
