namespace Alerting.Replication;

/// <summary>
/// What a replica must persist (fsync) before it sends any message of the same <see cref="Ready"/>:
/// a vote or a term acted on before it is durable could be given twice after a crash.
/// </summary>
/// <param name="Term">Highest term seen.</param>
/// <param name="VotedFor">Candidate voted for in <paramref name="Term"/>, 0 for none.</param>
/// <param name="Commit">Highest index known committed and held durably here (never above the local durable log).</param>
/// <param name="FrontierIndex">
/// Index of the log frontier this voter vouches for without holding the entries: on a witness, the
/// primary's durable prefix it acknowledged; on a data replica, the prefix matching the primary that
/// it dropped when it resynchronised from a snapshot below it. It votes only for logs at least this
/// far, and a data replica does not campaign before its own log reaches it. 0 for none.
/// </param>
/// <param name="FrontierTerm">Term of the entry at <paramref name="FrontierIndex"/>.</param>
public readonly record struct HardState(long Term, int VotedFor, long Commit, long FrontierIndex, long FrontierTerm);
