namespace Alerting.Engine.Timing;

/// <summary>
/// One due instance waiting in the <see cref="DueQueue"/>. Carries its own sort key so that
/// heap moves never touch the (cache-cold) pool entry.
/// </summary>
internal readonly record struct DueInstance(long DueMs, long Sequence, int Index)
{
    public bool FiresBefore(in DueInstance other) =>
        DueMs < other.DueMs || (DueMs == other.DueMs && Sequence < other.Sequence);
}
