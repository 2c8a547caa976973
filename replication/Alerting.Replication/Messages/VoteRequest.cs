namespace Alerting.Replication;

/// <summary>
/// A candidate asks for a vote. With <paramref name="PreVote"/> set, <paramref name="Term"/> is the
/// term it would campaign in; nobody changes term or vote for a pre-vote (so a replica cut off by a
/// partition cannot disrupt the cluster when it comes back). <paramref name="Transfer"/> marks a campaign
/// the primary asked for (<see cref="TimeoutNow"/>): voters answer it even within a primary's lease.
/// </summary>
public sealed record VoteRequest(int From, int To, long Term, long LastIndex, long LastTerm, bool PreVote, bool Transfer = false)
    : ReplicationMessage(From, To, Term);
