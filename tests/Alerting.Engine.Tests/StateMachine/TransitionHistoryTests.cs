using Alerting.Engine.State;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class TransitionHistoryTests
{
    [Fact]
    public void Copy_after_an_index_returns_exactly_the_later_events_in_order()
    {
        var history = new TransitionHistory(capacity: 8);
        history.Append([Event(1, 3), Event(2, 5)], Messages([Event(1, 3), Event(2, 5)]), term: 1);
        history.Append([Event(3, 5), Event(4, 9)], Messages([Event(3, 5), Event(4, 9)]), term: 2);

        var copied = new List<TransitionHistory.HistoryItem>();
        _ = history.CopyAfter(5, null, copied, max: 10);

        Assert.Equal([(4UL, 9L, 2UL)], copied.Select(c => (c.Event.TransitionNumber, c.Event.LogIndex, c.Term)));
    }

    [Fact]
    public void A_full_history_drops_the_oldest_and_says_from_where_it_remembers()
    {
        var history = new TransitionHistory(capacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            history.Append([Event((ulong)i, i * 10)], Messages([Event((ulong)i, i * 10)]), term: 1);
        }

        var copied = new List<TransitionHistory.HistoryItem>();
        _ = history.CopyAfter(0, null, copied, max: 10);

        Assert.Equal([30L, 40L, 50L], copied.Select(c => c.Event.LogIndex));
        Assert.Equal(30, history.ForgottenBeforeIndex);
        Assert.Equal(50, history.NewestIndex);
    }

    [Fact]
    public async Task A_waiting_reader_wakes_when_events_are_appended()
    {
        var history = new TransitionHistory();
        var copied = new List<TransitionHistory.HistoryItem>();
        var more = history.CopyAfter(0, null, copied, max: 10);
        Assert.Empty(copied);
        Assert.False(more.IsCompleted);

        history.Append([Event(1, 7)], Messages([Event(1, 7)]), term: 1);

        await more;
        _ = history.CopyAfter(0, null, copied, max: 10);
        Assert.Single(copied);
    }

    [Fact]
    public void Events_an_endpoint_still_waits_for_are_kept_past_the_capacity_until_its_cursor_passes_them()
    {
        var history = new TransitionHistory(capacity: 3);
        history.SetPin(20);
        for (var i = 1; i <= 5; i++)
        {
            history.Append([Event((ulong)i, i * 10)], Messages([Event((ulong)i, i * 10)]), term: 1);
        }

        Assert.Equal([20L, 30L, 40L, 50L], Kept(history));
        Assert.Equal(0, history.PendingDropped);

        history.SetPin(45);

        Assert.Equal([30L, 40L, 50L], Kept(history));
        Assert.Equal(30, history.ForgottenBeforeIndex);
    }

    [Fact]
    public void Events_that_notify_nobody_are_not_held_by_the_pin()
    {
        var history = new TransitionHistory(capacity: 2);
        history.SetPin(1);
        history.Append([Event(1, 10) with { Notify = false }], ["muted"], term: 1);
        history.Append([Event(2, 20), Event(3, 30)], ["a", "b"], term: 1);

        Assert.Equal([20L, 30L], Kept(history));
    }

    [Fact]
    public void The_byte_bound_drops_even_a_pending_event_and_reports_it_until_the_cursor_passes_it()
    {
        var one = TransitionHistory.SizeOf(new TransitionHistory.HistoryItem(Event(1, 10), 1, "x"));
        var history = new TransitionHistory(capacity: 100, maxBytes: (3 * one) + 1);
        history.SetPin(1);
        for (var i = 1; i <= 5; i++)
        {
            history.Append([Event((ulong)i, i * 10)], ["x"], term: 1);
        }

        Assert.Equal([30L, 40L, 50L], Kept(history));
        Assert.True(history.Bytes <= history.MaxBytes);
        Assert.Equal(2, history.PendingDropped);
        Assert.Equal(21, history.OverBoundBeforeIndex);

        history.SetPin(30);

        Assert.Equal(0, history.OverBoundBeforeIndex);
        Assert.Equal(2, history.PendingDropped);
    }

    [Fact]
    public void A_reader_resumes_by_sequence_in_the_middle_of_a_log_index_and_sees_what_it_missed()
    {
        var history = new TransitionHistory(capacity: 3);
        history.Append([Event(1, 10), Event(2, 10), Event(3, 10)], ["a", "b", "c"], term: 1);
        var copied = new List<TransitionHistory.HistoryItem>();

        _ = history.CopyFrom(0, copied, max: 2, out var next);
        Assert.Equal([1UL, 2UL], copied.Select(c => c.Event.TransitionNumber));
        Assert.Equal(2, next);

        history.Append([Event(4, 20), Event(5, 30), Event(6, 30)], ["d", "e", "f"], term: 1);
        copied.Clear();
        _ = history.CopyFrom(next, copied, max: 10, out next);

        // Sequence 2 (transition 3) was dropped by the capacity: the reader learns it from the first sequence it got.
        Assert.Equal([4UL, 5UL, 6UL], copied.Select(c => c.Event.TransitionNumber));
        Assert.Equal(6, next);
        Assert.Equal(3, next - copied.Count);
        Assert.Equal(4, history.FirstSequenceAtOrAfter(30));
    }

    [Fact]
    public void A_history_grown_by_pending_events_writes_and_reads_back_the_same_bytes()
    {
        var state = new EngineState();
        state.History.SetPin(1);
        for (var i = 1; i <= 5; i++)
        {
            state.History.Append([Event((ulong)i, i)], [$"m{i}"], term: 1);
        }

        var bytes = Snapshot.Bytes(state);
        var restored = Snapshot.Restore(bytes);

        Assert.Equal(bytes, Snapshot.Bytes(restored));
        Assert.Equal(5, restored.History.Count);
    }

    [Theory]
    [InlineData(20260101)]
    [InlineData(7)]
    [InlineData(424242)]
    public void Random_appends_and_cursor_moves_keep_every_pending_event_or_count_its_loss(int seed)
    {
        var random = new Random(seed);
        var one = TransitionHistory.SizeOf(new TransitionHistory.HistoryItem(Event(1, 1), 1, "x"));
        var history = new TransitionHistory(capacity: 8, maxBytes: one * random.Next(6, 40));
        var appended = new List<TransitionEvent>();
        // Cursors only rise, and an endpoint's first cursor pins from the start (as the outbox writes it).
        long pin = 1;
        history.SetPin(pin);
        long index = 0;
        for (var step = 0; step < 2_000; step++)
        {
            if (random.Next(4) == 0)
            {
                pin = Math.Max(pin, index - random.Next(0, 30));
                history.SetPin(pin);
                // A cursor move releases (up to MaxReleasedPerEntry) what nobody waits for: past the capacity, only a pending event holds the front.
                var front = new List<TransitionHistory.HistoryItem>();
                _ = history.CopyFrom(0, front, 1, out _);
                Assert.True(history.Count <= history.Capacity || (front[0].Event.Notify && front[0].Event.LogIndex >= pin), $"an event nobody waits for ({front[0].Event}, pin {pin}) holds the history at {history.Count} events (seed {seed}, step {step})");
                continue;
            }

            index++;
            var events = Enumerable.Range(0, random.Next(1, 4))
                .Select(_ => Event((ulong)appended.Count + 1, index) with { Notify = random.Next(3) != 0 })
                .Select((e, i) => e with { TransitionNumber = (ulong)(appended.Count + i + 1) })
                .ToArray();
            history.Append(events, [.. events.Select(_ => "x")], term: 1);
            appended.AddRange(events);

            var kept = new List<TransitionHistory.HistoryItem>();
            _ = history.CopyFrom(0, kept, int.MaxValue, out var next);
            var keptNumbers = kept.Select(k => k.Event.TransitionNumber).ToList();
            // The kept events are the newest appended ones, in order, and their bytes are within the bound.
            Assert.Equal(appended.Skip(appended.Count - kept.Count).Select(e => e.TransitionNumber), keptNumbers);
            Assert.Equal(appended.Count, next);
            Assert.Equal(kept.Sum(k => TransitionHistory.SizeOf(k)), history.Bytes);
            Assert.True(history.Bytes <= history.MaxBytes, $"{history.Bytes} bytes over the bound (seed {seed})");
            // A pending event (notifying, at or above the pin) that is gone was counted as lost.
            var missingPending = appended.Take(appended.Count - kept.Count).Count(e => e.Notify && e.LogIndex >= pin);
            Assert.True(missingPending <= history.PendingDropped, $"{missingPending} pending events gone, {history.PendingDropped} counted (seed {seed}, step {step})");
        }
    }

    private static long[] Kept(TransitionHistory history)
    {
        var copied = new List<TransitionHistory.HistoryItem>();
        _ = history.CopyAfter(0, null, copied, max: 100);
        return [.. copied.Select(c => c.Event.LogIndex)];
    }

    private static string[] Messages(TransitionEvent[] events) => [.. events.Select(e => $"message {e.TransitionNumber}")];

    private static TransitionEvent Event(ulong number, long index) =>
        new("m", "*", number, AlertState.Ok, AlertState.Alert, 1, 1, 0, index, TransitionReason.ThresholdCrossed, GroupFlags.None, true, false);
}
