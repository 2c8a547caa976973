namespace Alerting.Replication;

/// <summary>
/// Leadership transfer (etcd raft's <c>MsgTimeoutNow</c>): the primary, having brought the receiver's
/// log up to its own, tells it to campaign at once, without pre-vote, in the next term. Its vote
/// requests carry <see cref="VoteRequest.Transfer"/>, so voters that heard from the primary recently
/// still answer (the lease exists to ignore disruptive candidates, and this one was asked for).
/// </summary>
public sealed record TimeoutNow(int From, int To, long Term)
    : ReplicationMessage(From, To, Term);
