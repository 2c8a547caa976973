namespace Alerting.Server.Replication;

/// <summary>The primary holds as many uncommitted entries as it may (a replica is slow or down): the write is refused, RESOURCE_EXHAUSTED, retry with backoff.</summary>
public sealed class ReplicationBackpressureException(string message) : Exception(message);
