using Alerting.Replication;
using Google.Protobuf;
using Wire = Alerting.Protocol.Replication;

namespace Alerting.Server.Replication;

/// <summary>Maps the consensus core's messages to the wire (<c>replication.proto</c>) and back.</summary>
public static class MessageCodec
{
    /// <summary>
    /// The wire form of <paramref name="message"/>. <paramref name="stamp"/> is the lease stamp
    /// (<see cref="QuorumLease"/>): on an append, when the primary sent it; on an answer, the stamp
    /// of the newest append received from that primary, echoed back. Other messages carry none.
    /// </summary>
    public static Wire.PeerMessage ToWire(ReplicationMessage message, long stamp = 0)
    {
        ArgumentNullException.ThrowIfNull(message);
        var wire = new Wire.PeerMessage { From = message.From, To = message.To, Term = message.Term };
        switch (message)
        {
            case VoteRequest v:
                wire.VoteRequest = new Wire.VoteRequest { LastIndex = v.LastIndex, LastTerm = v.LastTerm, PreVote = v.PreVote, Transfer = v.Transfer };
                break;
            case VoteResponse v:
                wire.VoteResponse = new Wire.VoteResponse { Granted = v.Granted, PreVote = v.PreVote };
                break;
            case AppendRequest a:
                var request = new Wire.AppendRequest { PrevIndex = a.PrevIndex, PrevTerm = a.PrevTerm, PrimaryCommit = a.PrimaryCommit, SentAt = stamp };
                foreach (var e in a.Entries)
                {
                    request.Entries.Add(new Wire.Entry { Index = e.Index, Term = e.Term, TermStart = e.Kind == EntryKind.TermStart, Payload = UnsafeByteOperations.UnsafeWrap(e.Payload) });
                }

                wire.AppendRequest = request;
                break;
            case AppendResponse r:
                wire.AppendResponse = new Wire.AppendResponse
                {
                    Success = r.Success,
                    MatchIndex = r.MatchIndex,
                    AcceptedIndex = r.AcceptedIndex,
                    RejectedPrevIndex = r.RejectedPrevIndex,
                    HintIndex = r.HintIndex,
                    HintTerm = r.HintTerm,
                    NeedsSnapshot = r.NeedsSnapshot,
                    EchoSentAt = stamp,
                };
                break;
            case InstallSnapshotRequest s:
                wire.InstallSnapshotRequest = new Wire.InstallSnapshotRequest { LastIndex = s.Snapshot.LastIndex, LastTerm = s.Snapshot.LastTerm, PrimaryCommit = s.PrimaryCommit, LogStart = s.LogStart };
                break;
            case TimeoutNow:
                wire.TimeoutNow = new Wire.TimeoutNow();
                break;
            default:
                throw new ArgumentException($"unknown replication message {message.GetType().Name}", nameof(message));
        }

        return wire;
    }

    /// <summary>The lease stamp a wire message carries (0: none).</summary>
    public static long StampOf(Wire.PeerMessage wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        return wire.BodyCase switch
        {
            Wire.PeerMessage.BodyOneofCase.AppendRequest => wire.AppendRequest.SentAt,
            Wire.PeerMessage.BodyOneofCase.AppendResponse => wire.AppendResponse.EchoSentAt,
            _ => 0,
        };
    }

    /// <summary>The core's message, or null for a body this version does not know (dropped: losing a message is safe).</summary>
    public static ReplicationMessage? FromWire(Wire.PeerMessage wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        return wire.BodyCase switch
        {
            Wire.PeerMessage.BodyOneofCase.VoteRequest => new VoteRequest(wire.From, wire.To, wire.Term, wire.VoteRequest.LastIndex, wire.VoteRequest.LastTerm, wire.VoteRequest.PreVote, wire.VoteRequest.Transfer),
            Wire.PeerMessage.BodyOneofCase.VoteResponse => new VoteResponse(wire.From, wire.To, wire.Term, wire.VoteResponse.Granted, wire.VoteResponse.PreVote),
            Wire.PeerMessage.BodyOneofCase.AppendRequest => new AppendRequest(
                wire.From,
                wire.To,
                wire.Term,
                wire.AppendRequest.PrevIndex,
                wire.AppendRequest.PrevTerm,
                wire.AppendRequest.Entries.Select(e => new LogEntry(e.Index, e.Term, e.TermStart ? EntryKind.TermStart : EntryKind.Command, e.Payload.Memory)).ToArray(),
                wire.AppendRequest.PrimaryCommit),
            Wire.PeerMessage.BodyOneofCase.AppendResponse => new AppendResponse(
                wire.From,
                wire.To,
                wire.Term,
                wire.AppendResponse.Success,
                wire.AppendResponse.MatchIndex,
                wire.AppendResponse.AcceptedIndex,
                wire.AppendResponse.RejectedPrevIndex,
                wire.AppendResponse.HintIndex,
                wire.AppendResponse.HintTerm,
                wire.AppendResponse.NeedsSnapshot),
            Wire.PeerMessage.BodyOneofCase.InstallSnapshotRequest => new InstallSnapshotRequest(
                wire.From,
                wire.To,
                wire.Term,
                new SnapshotRef(wire.InstallSnapshotRequest.LastIndex, wire.InstallSnapshotRequest.LastTerm),
                wire.InstallSnapshotRequest.PrimaryCommit)
            {
                LogStart = wire.InstallSnapshotRequest.LogStart,
            },
            Wire.PeerMessage.BodyOneofCase.TimeoutNow => new TimeoutNow(wire.From, wire.To, wire.Term),
            _ => null,
        };
    }
}
