namespace Alerting.Replication;

/// <summary>
/// A message between replicas. Every message carries its sender's term: a receiver that sees a
/// higher term adopts it (and stops acting as primary) before anything else; a lower term marks a
/// stale sender. Messages are immutable so a transport (or the simulator) may duplicate them.
/// </summary>
public abstract record ReplicationMessage(int From, int To, long Term);
