namespace Alerting.Server.Replication;

/// <summary>
/// Told when this node may act as the primary and when it must stop (notification delivery, DESIGN invariant 4).
/// Calls come from the replicator; an implementation must return quickly and never throw.
/// </summary>
public interface ILeadershipObserver
{
    /// <summary>
    /// This node leads <paramref name="term"/> and has applied its term-start entry: its state holds every
    /// entry committed before the term (the outcomes and cursors earlier primaries wrote). Called on a pool thread.
    /// </summary>
    void PrimaryReady(long term);

    /// <summary>
    /// This node stopped being the primary of <paramref name="term"/> (a later term was seen, it stepped down,
    /// or it stopped taking part). Called on the replication loop before it sends or acknowledges anything more.
    /// </summary>
    void PrimaryLost(long term);
}
