namespace Alerting.Server.Replication;

/// <summary>
/// The primary's quorum lease (docs/replication.md, "Notifications"): whether a quorum, this node
/// included, still follows it in its term. Each acknowledgement vouches from the moment the
/// primary <em>sent</em> the message the peer answered (its stamp comes back in the answer), never
/// from when the answer was handled: an answer delayed on the wire or in the input queue vouches
/// for a shorter time, not a longer one. A leadership transfer started in a term closes the lease
/// until the transfer target has acknowledged, in that term, a message sent after the transfer
/// ended (a <c>TimeoutNow</c> already sent could make it campaign; the stream to it is ordered, so
/// an answer to a later message means it did not). Written by the replication loop and its timer,
/// read from any thread.
/// </summary>
public sealed class QuorumLease
{
    private readonly TimeProvider _time;
    private readonly int _quorum;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _blockAfterPause;

    // The send stamp of the newest message each peer acknowledged in the current term (0: none), by slot.
    private readonly long[] _vouchedFrom;
    private long _lastTimerAt;
    private long _blockedUntil;

    // A transfer in the current term: the target's slot and the stamp after which it must have acknowledged
    // (long.MaxValue while the transfer runs). -1: none.
    private int _fenceSlot = -1;
    private long _fenceAfter;

    public QuorumLease(TimeProvider time, int peerSlots, int quorum, TimeSpan duration, TimeSpan blockAfterPause)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegative(peerSlots);
        ArgumentOutOfRangeException.ThrowIfLessThan(quorum, 1);
        _time = time;
        _quorum = quorum;
        _duration = duration;
        _blockAfterPause = blockAfterPause;
        _vouchedFrom = new long[peerSlots];
    }

    /// <summary>The stamp to put on a message sent now (the clock the lease is measured with).</summary>
    public long Stamp() => _time.GetTimestamp();

    /// <summary>
    /// A new term (this node became primary, or stopped being it): acknowledgements and any transfer
    /// fence of the earlier term vouch for nothing now.
    /// </summary>
    public void NewTerm()
    {
        Volatile.Write(ref _fenceSlot, -1);
        for (var slot = 0; slot < _vouchedFrom.Length; slot++)
        {
            Volatile.Write(ref _vouchedFrom[slot], 0);
        }
    }

    /// <summary>The peer in <paramref name="slot"/> acknowledged, in the current term, a message this node stamped <paramref name="sentAt"/>.</summary>
    public void Acknowledged(int slot, long sentAt)
    {
        var now = _time.GetTimestamp();
        if (sentAt <= 0 || sentAt > now)
        {
            // No stamp (a peer of an earlier version), or not one of this clock's: vouches for nothing.
            return;
        }

        // Answers may be reordered: keep the newest send time.
        long seen;
        do
        {
            seen = Volatile.Read(ref _vouchedFrom[slot]);
            if (seen >= sentAt)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _vouchedFrom[slot], sentAt, seen) != seen);
    }

    /// <summary>A transfer to the peer in <paramref name="targetSlot"/> started: no lease until it ends and the target answers a later message.</summary>
    public void TransferStarted(int targetSlot)
    {
        Volatile.Write(ref _fenceAfter, long.MaxValue);
        Volatile.Write(ref _fenceSlot, targetSlot);
    }

    /// <summary>The transfer was given up in this term; the lease returns once its target acknowledges a message sent from now on.</summary>
    public void TransferAbandoned()
    {
        if (Volatile.Read(ref _fenceSlot) >= 0)
        {
            Volatile.Write(ref _fenceAfter, _time.GetTimestamp());
        }
    }

    /// <summary>The loop's timer ran (called every tick): a gap past the lease duration since the last run blocks the lease for a while.</summary>
    public void TimerRan()
    {
        var now = _time.GetTimestamp();
        var previous = Volatile.Read(ref _lastTimerAt);
        if (previous != 0 && _time.GetElapsedTime(previous, now) >= _duration)
        {
            // Woken from a pause (SIGSTOP, a long GC or a starved machine): no lease until any news of a later
            // term that arrived meanwhile has surely been handled.
            Volatile.Write(ref _blockedUntil, now + (long)(_blockAfterPause.TotalSeconds * _time.TimestampFrequency));
        }

        Volatile.Write(ref _lastTimerAt, now);
    }

    /// <summary>Whether a quorum (this node included) vouched for this primary within the lease duration, with no transfer fence or pause block in the way.</summary>
    public bool Holds()
    {
        var now = _time.GetTimestamp();
        // Read the timer's stamp before the block it sets first: seeing a stamp after a pause means seeing its block too.
        var lastTimer = Volatile.Read(ref _lastTimerAt);
        var blockedUntil = Volatile.Read(ref _blockedUntil);
        if (lastTimer == 0 || _time.GetElapsedTime(lastTimer, now) >= _duration || now < blockedUntil)
        {
            // The process (or its timer) did not run for a while: acknowledgements buffered meanwhile vouch for nothing.
            return false;
        }

        var fenceSlot = Volatile.Read(ref _fenceSlot);
        if (fenceSlot >= 0 && Volatile.Read(ref _vouchedFrom[fenceSlot]) <= Volatile.Read(ref _fenceAfter))
        {
            return false;
        }

        var heard = 1;
        for (var slot = 0; slot < _vouchedFrom.Length; slot++)
        {
            var from = Volatile.Read(ref _vouchedFrom[slot]);
            if (from != 0 && _time.GetElapsedTime(from, now) < _duration)
            {
                heard++;
            }
        }

        return heard >= _quorum;
    }
}
