namespace Alerting.Replication;

/// <summary>
/// What a replica must persist (fsync) before it sends any message of the same <see cref="Ready"/>:
/// a vote or a term acted on before it is durable could be given twice after a crash.
/// </summary>
/// <param name="Term">Highest term seen.</param>
/// <param name="VotedFor">Candidate voted for in <paramref name="Term"/>, 0 for none.</param>
/// <param name="Commit">Highest index known committed and held durably here (never above the local durable log).</param>
/// <param name="WitnessIndex">Witness only: index of the frontier it acknowledged (0 on data replicas).</param>
/// <param name="WitnessTerm">Witness only: term of the frontier it acknowledged (0 on data replicas).</param>
public readonly record struct HardState(long Term, int VotedFor, long Commit, long WitnessIndex, long WitnessTerm);
