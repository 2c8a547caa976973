using Alerting.Server.Replication;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Server.Tests.Replication;

/// <summary>
/// The primary's quorum lease (<see cref="QuorumLease"/>), on a fake clock: primary, standby (slot 0)
/// and witness (slot 1), quorum 2, lease 100 ms, 600 ms block after a pause (the replicator's values).
/// </summary>
public sealed class QuorumLeaseTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(100);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(1));
    private readonly QuorumLease _lease;

    public QuorumLeaseTests()
    {
        _lease = new QuorumLease(_time, peerSlots: 2, quorum: 2, Lease, TimeSpan.FromMilliseconds(600));
        _lease.TimerRan();
    }

    [Fact]
    public void Replicator_lease_values_are_the_ones_these_tests_use()
    {
        Assert.Equal(Lease, Replicator.LeaseDuration);
        Assert.Equal(TimeSpan.FromMilliseconds(600), Replicator.LeaseBlockAfterPause);
    }

    [Fact]
    public void An_acknowledgement_vouches_from_when_the_acknowledged_message_was_sent_not_from_when_it_arrived()
    {
        Advance(10);
        var sent = _lease.Stamp();
        Assert.False(_lease.Holds(), "nobody acknowledged yet: only this node vouches");

        // The answer is handled 80 ms after the append went out (slow wire, a full input queue).
        Advance(80);
        _lease.Acknowledged(0, sent);
        Assert.True(_lease.Holds(), "90 ms after the send it still vouches");

        // 100 ms after the *send* the lease is over, although the answer was handled only 20 ms ago.
        Advance(19);
        Assert.True(_lease.Holds());
        Advance(1);
        Assert.False(_lease.Holds(), "the lease runs from the send time: a delayed answer yields a shorter lease");

        // A prompt answer to a later append renews it for (almost) the full duration.
        var later = _lease.Stamp();
        Advance(2);
        _lease.Acknowledged(1, later);
        Advance(97);
        Assert.True(_lease.Holds());
        Advance(1);
        Assert.False(_lease.Holds());
    }

    [Fact]
    public void A_reordered_older_answer_does_not_shorten_nor_an_unstamped_or_future_one_extend_the_lease()
    {
        var first = _lease.Stamp();
        Advance(30);
        var second = _lease.Stamp();
        Advance(5);
        _lease.Acknowledged(0, second);
        _lease.Acknowledged(0, first);
        Advance(90);
        Assert.True(_lease.Holds(), "the newest send time counts: 95 ms after the second append");
        Advance(5);
        Assert.False(_lease.Holds());

        _lease.Acknowledged(1, 0);
        Assert.False(_lease.Holds(), "an answer without a stamp (an older peer) vouches for nothing");
        _lease.Acknowledged(1, _lease.Stamp() + 1_000_000);
        Assert.False(_lease.Holds(), "a stamp from the future is not this clock's");
    }

    [Fact]
    public void A_transfer_closes_the_lease_at_once_and_it_reopens_only_when_the_target_answers_a_message_sent_after_the_transfer_ended()
    {
        var sent = _lease.Stamp();
        _lease.Acknowledged(0, sent);
        _lease.Acknowledged(1, sent);
        Assert.True(_lease.Holds());

        _lease.TransferStarted(targetSlot: 0);
        Assert.False(_lease.Holds(), "a primary handing the lead over starts no notification");
        Advance(5);
        var during = _lease.Stamp();
        _lease.Acknowledged(0, during);
        _lease.Acknowledged(1, during);
        Assert.False(_lease.Holds(), "fresh answers do not reopen it while the transfer runs");

        // The target did not take over; a TimeoutNow already sent may still reach it.
        Advance(5);
        _lease.TransferAbandoned();
        Assert.False(_lease.Holds());
        Advance(1);
        var afterTarget = _lease.Stamp();
        Advance(1);
        _lease.Acknowledged(1, afterTarget);
        Assert.False(_lease.Holds(), "the witness's answer says nothing about the target");
        _lease.Acknowledged(0, during);
        Assert.False(_lease.Holds(), "an answer to a message sent during the transfer does not reopen it");
        _lease.Acknowledged(0, afterTarget);
        Assert.True(_lease.Holds(), "the target answered a message sent after the transfer ended: it did not campaign");
    }

    [Fact]
    public void A_new_term_forgets_the_acknowledgements_and_the_transfer_of_the_earlier_one()
    {
        var sent = _lease.Stamp();
        _lease.Acknowledged(0, sent);
        _lease.TransferStarted(0);
        _lease.NewTerm();
        Assert.False(_lease.Holds(), "acknowledgements of the earlier term vouch for nothing");
        _lease.Acknowledged(1, _lease.Stamp());
        Assert.True(_lease.Holds(), "no transfer fence in the new term");
    }

    [Fact]
    public void A_stalled_timer_blocks_the_lease_after_it_wakes()
    {
        var sent = _lease.Stamp();
        _lease.Acknowledged(0, sent);
        Assert.True(_lease.Holds());

        // The process was stopped for 2 s; answers buffered meanwhile arrive right after it wakes.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(_lease.Holds(), "the timer has not run within the lease duration");
        var woke = _lease.Stamp();
        _lease.TimerRan();
        _lease.Acknowledged(0, woke);
        Assert.False(_lease.Holds(), "blocked after the pause");
        Advance(599);
        var late = _lease.Stamp();
        _lease.Acknowledged(0, late);
        Assert.False(_lease.Holds());
        Advance(1);
        Assert.True(_lease.Holds(), "the block is over and a quorum answered within the lease");
    }

    /// <summary>Moves the fake clock on in 1 ms steps, running the loop's timer at each (as the 10 ms timer would, finer).</summary>
    private void Advance(int milliseconds)
    {
        for (var i = 0; i < milliseconds; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            _lease.TimerRan();
        }
    }
}
