namespace Alerting.Replication;

/// <summary>Whether a leadership transfer started.</summary>
public enum TransferStatus
{
    /// <summary>Started towards <see cref="TransferResult.Target"/>; proposals are refused until it ends.</summary>
    Started,

    /// <summary>This replica is not the primary; <see cref="TransferResult.Target"/> names the one it knows (0 if none).</summary>
    NotPrimary,

    /// <summary>The target is not a data replica of the cluster other than this one.</summary>
    InvalidTarget,
}

/// <summary>The answer to <see cref="ReplicaCore.TransferLeadership"/>.</summary>
public readonly record struct TransferResult(TransferStatus Status, int Target);
