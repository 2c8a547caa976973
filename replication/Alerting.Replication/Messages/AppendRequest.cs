namespace Alerting.Replication;

/// <summary>
/// The primary ships entries following (<paramref name="PrevIndex"/>, <paramref name="PrevTerm"/>),
/// which the receiver must hold for the entries to be accepted. Empty <paramref name="Entries"/> make
/// a heartbeat. To a witness the primary sends no entries: (PrevIndex, PrevTerm) is then the frontier
/// of the primary's durable log that the witness is asked to acknowledge.
/// </summary>
public sealed record AppendRequest(int From, int To, long Term, long PrevIndex, long PrevTerm, IReadOnlyList<LogEntry> Entries, long PrimaryCommit)
    : ReplicationMessage(From, To, Term);
