namespace Alerting.Engine.Ring;

/// <summary>
/// The sequences a consumer must stay behind: the producer cursor when it reads straight from the ring,
/// or the sequences of the upstream consumers it is gated on (e.g. the state machine behind the journaler).
/// </summary>
public sealed class DependentSequenceGroup
{
    private readonly Sequence _cursor;
    private readonly Sequence[] _dependents;

    /// <summary>Creates the group; with no <paramref name="dependents"/> the consumer follows <paramref name="cursor"/>.</summary>
    public DependentSequenceGroup(Sequence cursor, params Sequence[] dependents)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        ArgumentNullException.ThrowIfNull(dependents);
        _cursor = cursor;
        _dependents = dependents.Length == 0 ? [cursor] : (Sequence[])dependents.Clone();
    }

    /// <summary>The producer cursor (in a multi-producer ring, the highest claimed, not necessarily published).</summary>
    public Sequence Cursor => _cursor;

    /// <summary>The value of the producer cursor.</summary>
    public long CursorValue => _cursor.Value;

    /// <summary>The lowest value among the dependent sequences: everything up to it has passed every upstream stage.</summary>
    public long Value => _dependents.Length == 1 ? _dependents[0].Value : SequenceGroup.GetMinimumSequence(_dependents, long.MaxValue);
}
