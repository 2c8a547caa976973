using Alerting.Engine.Monitors;
using Alerting.Protocol.Log;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// What each writing client last had applied, so a retried batch is answered, not applied twice
/// (docs/clients.md). Per client id: the highest sequence applied, which of its parts (points,
/// check runs) are in, and the ack they earned (log index, term, accepted and rejected counts).
/// <para>
/// Deterministic: the sessions form one list in the log order of each client's last entry
/// (oldest first), so every replica evicts and expires the same ones; the dictionary is only a
/// lookup, never iterated. Bounded: at most <see cref="IngestLimits.MaxClientSessions"/> sessions
/// (a new client beyond the cap evicts the least recently written one) and a client silent for
/// <see cref="IngestLimits.ClientSessionExpiryMs"/> of logical time is forgotten. O(1) per batch;
/// expiry drops at most <see cref="MaxExpiriesPerEntry"/> sessions per applied entry.
/// </para>
/// </summary>
public sealed class ClientSessions
{
    /// <summary>Most expired sessions one applied entry drops, so expiry never makes one step long; the rest go with the next entries.</summary>
    public const int MaxExpiriesPerEntry = 64;

    /// <summary>Longest client id (checked where a write enters).</summary>
    public const int MaxClientIdLength = 128;

    /// <summary>Most entries (parts) one client batch becomes; parts are a bit mask.</summary>
    public const int MaxParts = 2;

    private readonly Dictionary<string, Session> _byId = new(StringComparer.Ordinal);
    private readonly int _maxSessions;
    private readonly long _expiryMs;
    private Session? _oldest;
    private Session? _newest;

    public ClientSessions(IngestLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Invariant.Check(limits.MaxClientSessions > 0 && limits.ClientSessionExpiryMs > 0, "client sessions have a positive cap and expiry");
        _maxSessions = limits.MaxClientSessions;
        _expiryMs = limits.ClientSessionExpiryMs;
    }

    public int Count => _byId.Count;

    /// <summary>Batches (parts) answered from a session instead of applied.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Sessions dropped to make room for a new client.</summary>
    public long Evicted { get; private set; }

    /// <summary>Sessions dropped after <see cref="IngestLimits.ClientSessionExpiryMs"/> of silence.</summary>
    public long Expired { get; private set; }

    /// <summary>
    /// When the entry <paramref name="batch"/> names was already applied, the ack it earned
    /// (the client's session counts as written at <paramref name="index"/>); otherwise null and
    /// the caller applies the entry, then <see cref="Record"/>s it.
    /// </summary>
    public ClientAck? TryDuplicate(ClientBatch batch, long index, long nowMs)
    {
        CheckShape(batch);
        if (!_byId.TryGetValue(batch.ClientId, out var session))
        {
            return null;
        }

        var applied = batch.Sequence < session.Sequence
            || (batch.Sequence == session.Sequence && (session.PartsApplied & (1u << (int)batch.Part)) != 0);
        if (!applied)
        {
            return null;
        }

        Duplicates++;
        Touch(session, index, nowMs);
        return session.Ack(duplicate: true);
    }

    /// <summary>
    /// Records that the entry at <paramref name="index"/>, part of <paramref name="batch"/>, was
    /// applied with <paramref name="accepted"/> and <paramref name="rejected"/> counts; returns
    /// the client batch's ack so far (all its parts applied up to now).
    /// </summary>
    public ClientAck Record(ClientBatch batch, long index, ulong term, long nowMs, long accepted, ReadOnlySpan<long> rejected)
    {
        CheckShape(batch);
        Invariant.Check(rejected.Length == RejectReasonNames.Count, "a client ack counts refusals by every reject reason");
        if (!_byId.TryGetValue(batch.ClientId, out var session))
        {
            if (_byId.Count >= _maxSessions)
            {
                Remove(_oldest!);
                Evicted++;
            }

            session = new Session(batch.ClientId);
            _byId.Add(session.ClientId, session);
        }
        else
        {
            Unlink(session);
        }

        if (batch.Sequence != session.Sequence)
        {
            Invariant.Check(batch.Sequence > session.Sequence, "a client batch at or below the applied sequence is answered as a duplicate, never applied");
            session.Sequence = batch.Sequence;
            session.PartsApplied = 0;
            session.Accepted = 0;
            session.Rejected = null;
        }

        session.PartsApplied |= 1u << (int)batch.Part;
        session.LogIndex = index;
        session.Term = term;
        session.Accepted += accepted;
        if (rejected.IndexOfAnyExcept(0L) >= 0)
        {
            // Most batches refuse nothing: the counts are allocated only for one that does.
            session.Rejected ??= new long[RejectReasonNames.Count];
            for (var i = 0; i < rejected.Length; i++)
            {
                session.Rejected[i] += rejected[i];
            }
        }

        Append(session, index, nowMs);
        return session.Ack(duplicate: false);
    }

    /// <summary>Forgets sessions silent for the expiry at logical time <paramref name="nowMs"/> (at most <see cref="MaxExpiriesPerEntry"/>).</summary>
    public void Expire(long nowMs)
    {
        for (var i = 0; i < MaxExpiriesPerEntry && _oldest is { } oldest && nowMs - oldest.LastWriteMs >= _expiryMs; i++)
        {
            Remove(oldest);
            Expired++;
        }
    }

    /// <summary>The session of <paramref name="clientId"/>: its highest applied sequence and ack, or null when none is remembered.</summary>
    public (ulong Sequence, ClientAck Ack)? Find(string clientId) =>
        _byId.TryGetValue(clientId, out var session) ? (session.Sequence, session.Ack(duplicate: false)) : null;

    /// <summary>Client ids, least recently written first (the eviction order).</summary>
    public IEnumerable<string> InEvictionOrder()
    {
        for (var session = _oldest; session is not null; session = session.Newer)
        {
            yield return session.ClientId;
        }
    }

    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(Duplicates);
        writer.Write(Evicted);
        writer.Write(Expired);
        writer.Write(_byId.Count);
        for (var session = _oldest; session is not null; session = session.Newer)
        {
            writer.Write(session.ClientId);
            writer.Write(session.Sequence);
            writer.Write(session.PartsApplied);
            writer.Write(session.LogIndex);
            writer.Write(session.Term);
            writer.Write(session.Accepted);
            var refused = session.Rejected ?? [];
            writer.Write(refused.Length);
            foreach (var count in refused)
            {
                writer.Write(count);
            }

            writer.Write(session.LastWriteIndex);
            writer.Write(session.LastWriteMs);
        }
    }

    internal static ClientSessions ReadFrom(BinaryReader reader, IngestLimits limits)
    {
        var sessions = new ClientSessions(limits)
        {
            Duplicates = reader.ReadInt64(),
            Evicted = reader.ReadInt64(),
            Expired = reader.ReadInt64(),
        };
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var session = new Session(reader.ReadString())
            {
                Sequence = reader.ReadUInt64(),
                PartsApplied = reader.ReadUInt32(),
                LogIndex = reader.ReadInt64(),
                Term = reader.ReadUInt64(),
                Accepted = reader.ReadInt64(),
            };
            var reasons = reader.ReadInt32();
            session.Rejected = reasons == 0 ? null : new long[RejectReasonNames.Count];
            for (var r = 0; r < reasons; r++)
            {
                var value = reader.ReadInt64();
                if (r < RejectReasonNames.Count)
                {
                    session.Rejected![r] = value;
                }
            }

            var lastWriteIndex = reader.ReadInt64();
            var lastWriteMs = reader.ReadInt64();
            Invariant.Check(sessions._newest is null || sessions._newest.LastWriteIndex < lastWriteIndex, "a snapshot lists client sessions in the log order of their last entry");
            sessions._byId.Add(session.ClientId, session);
            sessions.Append(session, lastWriteIndex, lastWriteMs);
        }

        // A snapshot taken with a larger cap holds more: trim the oldest, as applying would have.
        while (sessions._byId.Count > sessions._maxSessions)
        {
            sessions.Remove(sessions._oldest!);
            sessions.Evicted++;
        }

        return sessions;
    }

    private static void CheckShape(ClientBatch batch)
    {
        Invariant.Check(batch.ClientId.Length is > 0 and <= MaxClientIdLength && batch.Sequence > 0, "a client batch names its client and a sequence from 1 (checked at ingest)");
        Invariant.Check(batch.Parts is > 0 and <= MaxParts && batch.Part < batch.Parts, "a client batch's part is below its part count, at most two");
    }

    private void Touch(Session session, long index, long nowMs)
    {
        Unlink(session);
        Append(session, index, nowMs);
    }

    private void Append(Session session, long index, long nowMs)
    {
        session.LastWriteIndex = index;
        session.LastWriteMs = nowMs;
        session.Older = _newest;
        session.Newer = null;
        if (_newest is null)
        {
            _oldest = session;
        }
        else
        {
            _newest.Newer = session;
        }

        _newest = session;
    }

    private void Unlink(Session session)
    {
        if (session.Older is null)
        {
            _oldest = session.Newer;
        }
        else
        {
            session.Older.Newer = session.Newer;
        }

        if (session.Newer is null)
        {
            _newest = session.Older;
        }
        else
        {
            session.Newer.Older = session.Older;
        }

        session.Older = null;
        session.Newer = null;
    }

    private void Remove(Session session)
    {
        Unlink(session);
        _byId.Remove(session.ClientId);
    }

    private sealed class Session(string clientId)
    {
        public string ClientId { get; } = clientId;

        public ulong Sequence { get; set; }

        public uint PartsApplied { get; set; }

        public long LogIndex { get; set; }

        public ulong Term { get; set; }

        public long Accepted { get; set; }

        /// <summary>Refused counts by reason; null while none were refused.</summary>
        public long[]? Rejected { get; set; }

        public long LastWriteIndex { get; set; }

        public long LastWriteMs { get; set; }

        public Session? Older { get; set; }

        public Session? Newer { get; set; }

        public ClientAck Ack(bool duplicate) => new(Sequence, LogIndex, Term, Accepted, Rejected is null ? [] : (long[])Rejected.Clone(), duplicate);
    }
}

/// <summary>
/// The ack a client batch earned: the log index and term of its last applied part, and its
/// accepted and rejected (indexed by <see cref="RejectReason"/>; empty when nothing was refused)
/// counts over all its parts. A copy: the session goes on changing on the state-machine thread.
/// </summary>
public sealed record ClientAck(ulong Sequence, long LogIndex, ulong Term, long Accepted, IReadOnlyList<long> Rejected, bool Duplicate);
