namespace Alerting.Replication;

/// <summary>Why a proposal was or was not taken.</summary>
public enum ProposeStatus
{
    /// <summary>Appended at <see cref="ProposeResult.FirstIndex"/> in <see cref="ProposeResult.Term"/>; ack it when committed in that term.</summary>
    Accepted,

    /// <summary>This replica is not the primary; <see cref="ProposeResult.PrimaryId"/> names the one it knows (0 if none).</summary>
    NotPrimary,

    /// <summary>Too many uncommitted entries (<see cref="ReplicaOptions.MaxUncommittedEntries"/>): retry later.</summary>
    Backpressure,
}

/// <summary>The answer to <see cref="ReplicaCore.Propose(IReadOnlyList{ReadOnlyMemory{byte}})"/>.</summary>
public readonly record struct ProposeResult(ProposeStatus Status, long FirstIndex, long Term, int PrimaryId);
