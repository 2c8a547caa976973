namespace Alerting.Replication;

/// <summary>
/// A replica's answer to an <see cref="AppendRequest"/> or <see cref="InstallSnapshotRequest"/>,
/// also sent unprompted when its journal makes more entries durable.
/// </summary>
/// <param name="Success">The request was consistent with the receiver's log.</param>
/// <param name="MatchIndex">Highest index known equal to the primary's log AND durable here: what counts toward commit.</param>
/// <param name="AcceptedIndex">Highest index known equal to the primary's log (perhaps not durable yet): where to continue shipping.</param>
/// <param name="RejectedPrevIndex">On rejection, the PrevIndex that was refused (lets the primary ignore stale rejections).</param>
/// <param name="HintIndex">On rejection, an index at or below which the primary should retry; with <paramref name="NeedsSnapshot"/>, the lowest snapshot index the replica can take (its first conflicting index).</param>
/// <param name="HintTerm">On rejection, the term of the replica's entry at <paramref name="HintIndex"/>: the primary skips back past its own entries of later terms in one step.</param>
/// <param name="NeedsSnapshot">The replica's uncommitted suffix conflicts and its journal cannot truncate it: resync it from a snapshot.</param>
public sealed record AppendResponse(
    int From,
    int To,
    long Term,
    bool Success,
    long MatchIndex,
    long AcceptedIndex,
    long RejectedPrevIndex,
    long HintIndex,
    long HintTerm,
    bool NeedsSnapshot)
    : ReplicationMessage(From, To, Term);
