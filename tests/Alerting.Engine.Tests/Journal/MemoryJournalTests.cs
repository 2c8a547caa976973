using Alerting.Engine.Journal;
using static Alerting.Engine.Tests.Journal.JournalTestSupport;

namespace Alerting.Engine.Tests.Journal;

/// <summary>The faults <see cref="MemoryJournal"/> injects, as the simulator and the fault tests rely on them.</summary>
public sealed class MemoryJournalTests
{
    [Fact]
    public async Task Held_durability_keeps_waiters_waiting_until_released()
    {
        using var journal = new MemoryJournal();
        journal.HoldDurability();
        journal.Append(Payload(1), 1);
        journal.Append(Payload(2), 1);
        var waiting = journal.WaitForDurableAsync(2).AsTask();

        Assert.Equal(2, journal.LastIndex);
        Assert.Equal(0, journal.DurableIndex);
        Assert.False(waiting.IsCompleted);

        journal.ReleaseDurability();
        await waiting;
        Assert.Equal(2, journal.DurableIndex);
    }

    [Fact]
    public void A_crash_loses_the_unsynced_tail_and_keeps_what_was_synced()
    {
        var journal = new MemoryJournal();
        journal.HoldDurability();
        for (long i = 1; i <= 5; i++)
        {
            journal.Append(Payload(i), 1);
        }

        journal.Sync();
        for (long i = 6; i <= 8; i++)
        {
            journal.Append(Payload(i), 2);
        }

        using var restarted = journal.Crash();
        Assert.Throws<ObjectDisposedException>(() => journal.Append(Payload(9), 2));
        Assert.Equal(5, restarted.LastIndex);
        Assert.Equal(5, restarted.DurableIndex);
        Assert.Equal(1UL, restarted.LastTerm);
        Assert.False(restarted.TryGetTerm(6, out _));
        Assert.Equal(6, restarted.Append(Payload(6), 2));
    }

    [Fact]
    public void A_failed_append_throws_like_a_full_disk_and_appends_nothing()
    {
        using var journal = new MemoryJournal();
        journal.Append(Payload(1), 1);
        journal.FailNextAppend();

        var error = Assert.Throws<IOException>(() => journal.Append(Payload(2), 1));
        Assert.Contains("No space left", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, journal.LastIndex);
        Assert.Equal(2, journal.Append(Payload(2), 1));
    }

    [Fact]
    public async Task A_failed_sync_fails_every_waiter_and_every_later_append()
    {
        using var journal = new MemoryJournal();
        journal.Append(Payload(1), 1);
        journal.HoldDurability();
        journal.Append(Payload(2), 1);
        var waiting = journal.WaitForDurableAsync(2).AsTask();
        journal.FailNextSync();

        var syncError = Assert.Throws<InvalidOperationException>(journal.Sync);
        Assert.IsType<IOException>(syncError.InnerException);
        var waitError = await Assert.ThrowsAsync<InvalidOperationException>(() => waiting);
        Assert.IsType<IOException>(waitError.InnerException);
        Assert.Throws<InvalidOperationException>(() => journal.WaitForDurable(2));
        Assert.Throws<InvalidOperationException>(() => journal.Append(Payload(3), 1));
        Assert.Equal(1, journal.DurableIndex);
        Assert.IsType<IOException>(journal.Failure);
    }
}
