namespace Alerting.Replication;

/// <summary>The answer to a <see cref="VoteRequest"/>; a granted pre-vote carries the term asked for.</summary>
public sealed record VoteResponse(int From, int To, long Term, bool Granted, bool PreVote)
    : ReplicationMessage(From, To, Term);
