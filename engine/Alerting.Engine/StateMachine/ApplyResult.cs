using Alerting.Engine.Monitors;

namespace Alerting.Engine.StateMachine;

/// <summary>What happened to a monitor command in the state machine.</summary>
public enum MonitorOutcome : byte
{
    None,
    Created,
    Updated,
    Unchanged,
    Deleted,
    NotFound,
    Rejected,

    /// <summary>A delete refused because composite monitors use the monitor (the error names them).</summary>
    InUse,
}

/// <summary>
/// The result of applying one entry, returned to the producer with its acknowledgement:
/// refused points by reason, and for monitor commands the id, outcome and any error.
/// </summary>
public sealed record ApplyResult
{
    public static readonly ApplyResult Empty = new();

    /// <summary>Refused points or check runs by <see cref="RejectReason"/> (empty when none).</summary>
    public IReadOnlyList<long> Rejected { get; init; } = [];

    public string? MonitorId { get; init; }

    public MonitorOutcome Monitor { get; init; }

    public string? Error { get; init; }

    /// <summary>
    /// For an entry of a client batch: the batch's ack (all its parts applied so far). When
    /// <see cref="ClientAck.Duplicate"/>, the entry was not applied and <see cref="Rejected"/> is empty.
    /// </summary>
    public ClientAck? Client { get; init; }

    public long RejectedTotal => Rejected.Sum();
}
