using Alerting.Engine.Timing;

namespace Alerting.Engine.Tests.Timing;

public sealed class TimingWheelTests
{
    private const long Start = 1_700_000_000_000;
    private const long Second = 1000;
    private const long Hour = 3600 * Second;

    private static List<(long Payload, long DueMs)> Advance(TimingWheel wheel, long nowMs, Action<TimerHandle, long, long>? onFire = null, bool checkInvariants = true)
    {
        var handler = new RecordingHandler(onFire);
        long fired = wheel.Advance(nowMs, ref handler);
        Assert.Equal(handler.Firings.Count, fired);
        if (checkInvariants)
        {
            wheel.CheckInvariants();
        }

        return handler.Firings.Select(f => (f.Payload, f.DueMs)).ToList();
    }

    [Fact]
    public void Periodic_timer_fires_once_each_period_on_100ms_ticks()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + (10 * Second), 10 * Second, payload: 7);
        var all = new List<(long, long)>();
        for (long t = Start + 100; t <= Start + (60 * Second); t += 100)
        {
            all.AddRange(Advance(wheel, t));
        }

        Assert.Equal([(7, Start + 10_000), (7, Start + 20_000), (7, Start + 30_000), (7, Start + 40_000), (7, Start + 50_000), (7, Start + 60_000)], all);
        Assert.Equal(1, wheel.Count);
    }

    [Fact]
    public void Timer_fires_at_its_due_tick_not_before()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + 1_234, 0, payload: 1);
        Assert.Empty(Advance(wheel, Start + 1_233));
        Assert.Equal([(1, Start + 1_234)], Advance(wheel, Start + 1_234));
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Jump_over_five_periods_fires_each_missed_instant_once_in_order()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + (60 * Second), 60 * Second, payload: 1);
        wheel.Schedule(Start + (90 * Second), 120 * Second, payload: 2);
        var fired = Advance(wheel, Start + (5 * 60 * Second) + 500);
        Assert.Equal(
            [(1, Start + 60_000), (2, Start + 90_000), (1, Start + 120_000), (1, Start + 180_000), (2, Start + 210_000), (1, Start + 240_000), (1, Start + 300_000)],
            fired);
        Assert.Empty(Advance(wheel, Start + (5 * 60 * Second) + 600));
    }

    [Fact]
    public void Jump_of_days_longer_than_a_revolution_fires_every_missed_instant()
    {
        var wheel = new TimingWheel(new TimingWheelOptions { SlotCountLog2 = 6, ResolutionMs = 10 }, Start);
        wheel.Schedule(Start + Hour, Hour, payload: 1);
        wheel.Schedule(Start + 1, 24 * Hour, payload: 2);
        var fired = Advance(wheel, Start + (3 * 24 * Hour));
        Assert.Equal(72 + 3, fired.Count);
        Assert.Equal(fired.OrderBy(f => f.DueMs).ToList(), fired);
        Assert.Equal(72, fired.Count(f => f.Payload == 1));
        Assert.Equal([Start + 1, Start + 1 + (24 * Hour), Start + 1 + (48 * Hour)], fired.Where(f => f.Payload == 2).Select(f => f.DueMs));
    }

    [Fact]
    public void Cancel_prevents_firing_and_frees_the_timer()
    {
        var wheel = new TimingWheel(startMs: Start);
        var handle = wheel.Schedule(Start + Second, Second, payload: 1);
        Assert.True(wheel.Cancel(handle));
        Assert.Equal(0, wheel.Count);
        Assert.Empty(Advance(wheel, Start + (10 * Second)));
    }

    [Fact]
    public void Stale_handle_cancels_nothing_even_after_its_entry_is_reused()
    {
        var wheel = new TimingWheel(startMs: Start);
        var stale = wheel.Schedule(Start + Second, 0, payload: 1);
        Assert.True(wheel.Cancel(stale));
        var reused = wheel.Schedule(Start + Second, 0, payload: 2);
        Assert.Equal(stale.Index, reused.Index);
        Assert.False(wheel.Cancel(stale));
        Assert.False(wheel.Cancel(default));
        Assert.Equal([(2, Start + Second)], Advance(wheel, Start + Second));
        Assert.False(wheel.Cancel(reused));
    }

    [Fact]
    public void Ties_in_the_same_ms_fire_in_scheduling_order()
    {
        var wheel = new TimingWheel(startMs: Start);
        long due = Start + (5 * Second);
        for (int i = 0; i < 100; i++)
        {
            // Different periods put the later instances in different slots; first instants all tie.
            wheel.Schedule(due, (i + 1) * Second, payload: i);
        }

        var fired = Advance(wheel, due);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => ((long)i, due)), fired);
    }

    [Fact]
    public void Periodic_ties_keep_scheduling_order_on_every_instance()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + (2 * Second), Second, payload: 2);
        wheel.Schedule(Start + Second, Second, payload: 1);
        var fired = Advance(wheel, Start + (3 * Second));
        Assert.Equal([(1, Start + 1000), (2, Start + 2000), (1, Start + 2000), (2, Start + 3000), (1, Start + 3000)], fired);
    }

    [Fact]
    public void Timer_scheduled_in_a_callback_and_already_due_fires_in_the_same_advance_in_order()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + 1000, 0, payload: 1);
        wheel.Schedule(Start + 3000, 0, payload: 3);
        var fired = Advance(wheel, Start + 5000, (_, payload, dueMs) =>
        {
            if (payload == 1)
            {
                wheel.Schedule(dueMs + 1000, 0, payload: 2);
                wheel.Schedule(dueMs + 9000, 0, payload: 9);
            }
        });
        Assert.Equal([(1, Start + 1000), (2, Start + 2000), (3, Start + 3000)], fired);
        Assert.Equal(1, wheel.Count);
        Assert.Equal([(9, Start + 10_000)], Advance(wheel, Start + 10_000));
    }

    [Fact]
    public void Timer_scheduled_in_a_callback_with_a_past_due_fires_next()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + 1000, 0, payload: 1);
        wheel.Schedule(Start + 1500, 0, payload: 3);
        var fired = Advance(wheel, Start + 2000, (_, payload, _) =>
        {
            if (payload == 1)
            {
                wheel.Schedule(Start, 0, payload: 2);
            }
        });
        Assert.Equal([(1, Start + 1000), (2, Start), (3, Start + 1500)], fired);
    }

    [Fact]
    public void Timer_cancelled_in_a_callback_does_not_fire_later_in_the_same_advance()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + 1000, 0, payload: 1);
        var victim = wheel.Schedule(Start + 1000, Second, payload: 2);
        bool cancelled = false;
        var fired = Advance(wheel, Start + 5000, (_, payload, _) =>
        {
            if (payload == 1)
            {
                cancelled = wheel.Cancel(victim);
            }
        });
        Assert.True(cancelled);
        Assert.Equal([(1, Start + 1000)], fired);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Timer_cancelled_in_a_callback_after_it_fired_and_was_rearmed_in_the_same_advance_leaves_its_new_slot()
    {
        // The victim fires at +1 s and is re-armed into the slot of +3 s (past this advance) at a new
        // record position; the cancel at +1.5 s must find it there, not at the position it was collected from.
        var wheel = new TimingWheel(startMs: Start);
        var victim = wheel.Schedule(Start + 1000, 2 * Second, payload: 1);
        wheel.Schedule(Start + 1500, 0, payload: 2);
        bool cancelled = false;
        var fired = Advance(wheel, Start + 2000, (_, payload, _) =>
        {
            if (payload == 2)
            {
                cancelled = wheel.Cancel(victim);
            }
        });

        Assert.True(cancelled);
        Assert.Equal([(1, Start + 1000), (2, Start + 1500)], fired);
        Assert.Equal(0, wheel.Count);
        wheel.Schedule(Start + 2500, 0, payload: 3);
        Assert.Equal([(3, Start + 2500)], Advance(wheel, Start + 10_000));
    }

    [Fact]
    public void Timer_cancelled_while_its_record_waits_in_the_advance_keeps_its_entry_until_the_drain_passes_it()
    {
        // Both are collected into the same advance; the first cancels the second before it fires.
        // The second's entry is released by the drain, so a timer scheduled inside the callback gets
        // another entry, and the wheel holds no mark of the cancel once the advance is over.
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + 1000, 0, payload: 1);
        var victim = wheel.Schedule(Start + 1200, Second, payload: 2);
        TimerHandle scheduled = default;
        var fired = Advance(wheel, Start + 2000, (_, payload, _) =>
        {
            if (payload == 1)
            {
                Assert.True(wheel.Cancel(victim));
                Assert.False(wheel.Cancel(victim));
                scheduled = wheel.Schedule(Start + 1100, 0, payload: 3);
            }
        });

        Assert.NotEqual(victim.Index, scheduled.Index);
        Assert.Equal([(1, Start + 1000), (3, Start + 1100)], fired);
        Assert.Equal(0, wheel.Count);
        Assert.False(wheel.Cancel(victim));
    }

    [Fact]
    public void Periodic_timer_cancelling_itself_stops_after_that_instance()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + 1000, Second, payload: 1);
        var fired = Advance(wheel, Start + 10_000, (handle, _, dueMs) =>
        {
            if (dueMs == Start + 3000)
            {
                Assert.True(wheel.Cancel(handle));
                Assert.False(wheel.Cancel(handle));
            }
        });
        Assert.Equal([(1, Start + 1000), (1, Start + 2000), (1, Start + 3000)], fired);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Self_cancelled_entry_reused_in_the_same_callback_keeps_the_new_timer()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + 1000, Second, payload: 1);
        TimerHandle replacement = default;
        var fired = Advance(wheel, Start + 3000, (handle, payload, dueMs) =>
        {
            if (payload == 1)
            {
                wheel.Cancel(handle);
                replacement = wheel.Schedule(dueMs + 500, 0, payload: 2);
                Assert.Equal(handle.Index, replacement.Index);
            }
        });
        Assert.Equal([(1, Start + 1000), (2, Start + 1500)], fired);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Interval_of_24_hours_fires_daily_on_100ms_ticks_across_revolutions()
    {
        var wheel = new TimingWheel(startMs: Start);
        long firstDue = Start + (13 * Hour) + 4321;
        wheel.Schedule(firstDue, 24 * Hour, payload: 1);
        var fired = new List<(long, long)>();

        // 100 ms ticks for the first minutes around each due instant, and 10 s ticks elsewhere.
        for (long t = Start; t <= Start + (72 * Hour); t += (Math.Abs((t - firstDue) % (24 * Hour)) < 60_000) ? 100 : 10_000)
        {
            // The O(slots) invariant walk on every one of ~30 000 ticks would dominate the test.
            fired.AddRange(Advance(wheel, t, checkInvariants: false));
        }

        wheel.CheckInvariants();
        Assert.Equal([(1, firstDue), (1, firstDue + (24 * Hour)), (1, firstDue + (48 * Hour))], fired);
    }

    [Fact]
    public void Overdue_timer_scheduled_between_advances_fires_on_the_next_advance()
    {
        var wheel = new TimingWheel(new TimingWheelOptions { SlotCountLog2 = 6 }, Start);
        Advance(wheel, Start + Hour);
        wheel.Schedule(Start, 0, payload: 1);
        wheel.Schedule(Start + Hour, 0, payload: 2);
        wheel.CheckInvariants();
        Assert.Equal([(1, Start), (2, Start + Hour)], Advance(wheel, Start + Hour));
    }

    [Fact]
    public void Advance_to_an_earlier_time_keeps_now_and_fires_nothing_new()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + 2000, 0, payload: 1);
        Advance(wheel, Start + 1000);
        Assert.Empty(Advance(wheel, Start + 500));
        Assert.Equal(Start + 1000, wheel.NowMs);
    }

    [Fact]
    public void Pool_grows_by_doubling_and_keeps_all_timers()
    {
        var wheel = new TimingWheel(new TimingWheelOptions { InitialCapacity = 2 }, Start);
        for (int i = 0; i < 100; i++)
        {
            wheel.Schedule(Start + 1000 + i, 0, payload: i);
        }

        Assert.Equal(128, wheel.Capacity);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => ((long)i, Start + 1000 + i)), Advance(wheel, Start + 2000));
    }

    [Fact]
    public void Schedule_beyond_max_timers_throws_and_leaves_the_wheel_intact()
    {
        var wheel = new TimingWheel(new TimingWheelOptions { InitialCapacity = 2, MaxTimers = 3 }, Start);
        for (int i = 0; i < 3; i++)
        {
            wheel.Schedule(Start + 1000, 0, payload: i);
        }

        var error = Assert.Throws<InvalidOperationException>(() => wheel.Schedule(Start + 1000, 0, payload: 3));
        Assert.Contains("MaxTimers", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, wheel.Count);
        Assert.Equal(3, Advance(wheel, Start + 1000).Count);
    }

    [Fact]
    public void Period_beyond_max_period_is_rejected()
    {
        var wheel = new TimingWheel(new TimingWheelOptions { MaxPeriodMs = 24 * Hour }, Start);
        wheel.Schedule(Start, 24 * Hour, payload: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => wheel.Schedule(Start, (24 * Hour) + 1, payload: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => wheel.Schedule(-1, 0, payload: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => wheel.Schedule(TimingWheel.MaxDueMs + 1, 0, payload: 2));
    }

    [Theory]
    [InlineData(TimingWheelOptions.MinSlotCountLog2 - 1, 10, 1024, 1L << 20)]
    [InlineData(TimingWheelOptions.MaxSlotCountLog2 + 1, 10, 1024, 1L << 20)]
    [InlineData(16, 0, 1024, 1L << 20)]
    [InlineData(16, 10, 0, 1L << 20)]
    [InlineData(16, 10, TimingWheelOptions.MaxTimersLimit + 1, 1L << 20)]
    [InlineData(16, 10, 1024, (long)int.MaxValue + 1)]
    public void Options_outside_their_limits_are_rejected(int slotCountLog2, int resolutionMs, int maxTimers, long maxPeriodMs)
    {
        var options = new TimingWheelOptions
        {
            SlotCountLog2 = slotCountLog2,
            ResolutionMs = resolutionMs,
            InitialCapacity = Math.Max(1, Math.Min(maxTimers, 1024)),
            MaxTimers = maxTimers,
            MaxPeriodMs = maxPeriodMs,
        };
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimingWheel(options));
    }

    [Fact]
    public void Slot_holding_more_timers_than_a_chunk_fires_them_all_in_order_and_cancels_from_the_middle()
    {
        var wheel = new TimingWheel(new TimingWheelOptions { InitialCapacity = 1 }, Start);
        var handles = new List<TimerHandle>();
        for (int i = 0; i < 5 * TimingWheel.ChunkSize; i++)
        {
            handles.Add(wheel.Schedule(Start + 1000 + (i % 7), 0, payload: i));
        }

        for (int i = 0; i < handles.Count; i += 3)
        {
            Assert.True(wheel.Cancel(handles[i]));
        }

        wheel.CheckInvariants();
        var expected = Enumerable.Range(0, handles.Count).Where(i => i % 3 != 0)
            .Select(i => ((long)i, Start + 1000 + (i % 7))).OrderBy(f => f.Item2).ThenBy(f => f.Item1).ToList();
        Assert.Equal(expected, Advance(wheel, Start + 2000));
    }

    [Theory]
    [InlineData(DueBatch.MaxCountingSpanMs - 1, DueBatch.MaxInsertionSortTie)]
    [InlineData(DueBatch.MaxCountingSpanMs, DueBatch.MaxInsertionSortTie + 1)]
    public void Batch_on_either_side_of_the_counting_sort_limits_fires_in_due_then_scheduling_order(int spanMs, int tie)
    {
        var wheel = new TimingWheel(startMs: Start);
        var expected = new List<(long, long)>();
        long payload = 0;

        // Scheduled latest first, so scheduling order disagrees with due order; a tie shares the middle ms.
        foreach (long offset in new long[] { spanMs, spanMs / 2, 0 })
        {
            for (int i = 0; i < (offset == spanMs / 2 ? tie : 1); i++)
            {
                long due = Start + 1 + offset;
                wheel.Schedule(due, 0, payload);
                expected.Add((payload++, due));
            }
        }

        Assert.Equal(expected.OrderBy(f => f.Item2).ToList(), Advance(wheel, Start + 1 + spanMs));
    }

    [Fact]
    public void Advance_from_inside_a_callback_is_refused()
    {
        var wheel = new TimingWheel(startMs: Start);
        wheel.Schedule(Start + 1000, 0, payload: 1);
        Exception? refused = null;
        Advance(wheel, Start + 1000, (_, _, _) =>
        {
            var inner = default(CountingHandler);
            refused = Record.Exception(() => wheel.Advance(Start + 2000, ref inner));
        });
        Assert.IsType<InvalidOperationException>(refused);
    }

    [Fact]
    public void Firing_allocates_nothing_once_warmed_up()
    {
        var wheel = new TimingWheel(new TimingWheelOptions { InitialCapacity = 20_000 }, Start);
        var random = new Random(42);
        for (int i = 0; i < 10_000; i++)
        {
            wheel.Schedule(Start + random.Next(1, 60_000), random.Next(1, 60) * Second, payload: i);
        }

        var handler = new CountingHandler();
        long now = Start;
        for (int i = 0; i < 1000; i++)
        {
            now += 100;
            wheel.Advance(now, ref handler);
        }

        long firedBefore = handler.Fired;
        // Least of a few attempts: a one-off runtime allocation (tiering, OSR) under load is not the wheel's.
        long allocated = AllocationProbe.SteadyBytes(() =>
        {
            for (int i = 0; i < 3000; i++)
            {
                now += 100;
                wheel.Advance(now, ref handler);
                var extra = wheel.Schedule(now + 5000, 0, payload: -1);
                wheel.Cancel(extra);
            }

            now += 10 * 60 * Second;
            wheel.Advance(now, ref handler);
        });
        Assert.True(handler.Fired - firedBefore > 100_000, $"only {handler.Fired - firedBefore} firings measured");
        Assert.Equal(0, allocated);
    }

    private struct CountingHandler : ITimerHandler
    {
        public long Fired;

        public void OnTimer(TimerHandle handle, long payload, long dueMs) => Fired++;
    }
}
