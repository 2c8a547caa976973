using Alerting.Engine.State;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// The schedule: instants at offset + k × interval with offset = XxHash64(id) mod interval, a
/// missed instant is evaluated once after a tick jump, and within one tick higher-priority
/// monitors go first.
/// </summary>
public sealed class SchedulerOptionTests
{
    private const string AlwaysAlerts = "max(last_1m):avg:q{*} > 1";

    [Fact]
    public void Monitors_with_different_ids_and_the_same_interval_are_evaluated_at_their_hash_offsets()
    {
        Assert.NotEqual(Scenario.Offset("alpha", 60_000), Scenario.Offset("beta", 60_000));
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("alpha", AlwaysAlerts, o => o.EvaluationIntervalMs = 60_000));
        engine.Upsert(EngineHarness.Metric("beta", AlwaysAlerts, o => o.EvaluationIntervalMs = 60_000));
        engine.Point(Scenario.Metric, [], engine.Now, 5);

        engine.TickTo(EngineHarness.Start + 60_000);

        var times = engine.Events.ToDictionary(e => e.MonitorId, e => e.TimeMs);
        Assert.Equal(Scenario.InstantAfter("alpha", 60_000, EngineHarness.Start), times["alpha"]);
        Assert.Equal(Scenario.InstantAfter("beta", 60_000, EngineHarness.Start), times["beta"]);
    }

    [Fact]
    public void The_same_id_keeps_its_offset_whenever_it_is_created_and_across_edits()
    {
        const long interval = 10_000;
        var offset = Scenario.Offset("alpha", interval);
        var times = new List<long>();
        foreach (var createdAt in new[] { EngineHarness.Start, EngineHarness.Start + 12_345 })
        {
            var engine = new EngineHarness();
            engine.TickTo(createdAt);
            var monitor = EngineHarness.Metric("alpha", AlwaysAlerts, o =>
            {
                o.EvaluationIntervalMs = interval;
                o.RenotifyIntervalMs = 1_000;
            });
            engine.Upsert(monitor);
            engine.Point(Scenario.Metric, [], engine.Now, 5);
            engine.TickTo(createdAt + 25_000);
            var edited = monitor.Clone();
            edited.Name = "renamed";
            edited.Priority = 1;
            engine.Upsert(edited);
            engine.TickTo(createdAt + 50_000);

            Assert.Equal(5, engine.Events.Count);
            times.AddRange(engine.Events.Select(e => e.TimeMs));
        }

        Assert.All(times, t => Assert.Equal(offset, t % interval));
    }

    [Fact]
    public void Changing_the_interval_moves_the_monitor_to_the_grid_of_the_new_interval()
    {
        var engine = new EngineHarness();
        var monitor = EngineHarness.Metric("alpha", AlwaysAlerts, o =>
        {
            o.EvaluationIntervalMs = 10_000;
            o.RenotifyIntervalMs = 1_000;
        });
        engine.Upsert(monitor);
        engine.Point(Scenario.Metric, [], engine.Now, 5);
        engine.TickTo(EngineHarness.Start + 30_000);
        var edited = monitor.Clone();
        edited.Options.EvaluationIntervalMs = 7_000;
        engine.Upsert(edited);
        var before = engine.Events.Count;

        engine.TickTo(EngineHarness.Start + 60_000);

        var first = Scenario.InstantAfter("alpha", 7_000, EngineHarness.Start + 30_000);
        Assert.Equal(
            Enumerable.Range(0, 5).Select(k => first + (k * 7_000L)).Where(t => t <= EngineHarness.Start + 60_000),
            engine.Events.Skip(before).Select(e => e.TimeMs));
    }

    [Fact]
    public void A_tick_jump_evaluates_each_missed_instant_once_in_order_and_counts_them_as_caught_up()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", AlwaysAlerts, o =>
        {
            o.EvaluationIntervalMs = 1_000;
            o.RenotifyIntervalMs = 1_000;
        }));
        engine.Point(Scenario.Metric, [], engine.Now, 5);
        var first = Scenario.InstantAfter("m", 1_000, EngineHarness.Start);
        engine.Tick(first);
        Assert.Single(engine.Events);
        var counters = engine.State.Counters;
        Assert.Equal((1L, 0L), (counters.ScheduledEvaluations, counters.CaughtUpEvaluations));

        var jump = engine.Tick(first + 30_000);

        var missed = engine.Events.Skip(1).ToList();
        Assert.Equal(Enumerable.Range(1, 30).Select(k => first + (k * 1_000L)), missed.Select(e => e.TimeMs));
        Assert.Equal(Enumerable.Range(2, 30).Select(n => (ulong)n), missed.Select(e => e.TransitionNumber));
        Assert.All(missed, e => Assert.Equal((TransitionReason.Renotify, jump), (e.Reason, e.LogIndex)));

        // The last instant is the tick's own (0 ms late); the 29 before it are at least 1 s late.
        Assert.Equal((31L, 29L), (counters.ScheduledEvaluations, counters.CaughtUpEvaluations));
    }

    [Fact]
    public void A_tick_jump_puts_each_evaluation_in_the_lateness_bucket_of_its_lateness()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", AlwaysAlerts, o =>
        {
            o.EvaluationIntervalMs = 1_000;
            o.RenotifyIntervalMs = 1_000;
        }));
        engine.Point(Scenario.Metric, [], engine.Now, 5);
        var first = Scenario.InstantAfter("m", 1_000, EngineHarness.Start);
        engine.Tick(first + 7);

        // Due at first + 1 000 … first + 30 000: 29 993, 28 993, …, 993 ms late.
        engine.Tick(first + 30_000 + 993);

        var counters = engine.State.Counters;
        Assert.Equal(EngineCounters.SchedulingLatenessBoundsMs.Length + 1, counters.SchedulingLateness.Count);
        //         le:  0  1  5 10 25 50 100 250 500 1000 2500 5000 10000 +Inf
        long[] expected = [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 3, 5, 20];
        Assert.Equal(expected, counters.SchedulingLateness);
        Assert.Equal(31, counters.ScheduledEvaluations);
        Assert.Equal(7 + Enumerable.Range(0, 30).Sum(k => (k * 1_000L) + 993), counters.SchedulingLatenessSumMs.Sum());
        Assert.Equal(7, counters.SchedulingLatenessSumMs[3]);
        Assert.Equal(993, counters.SchedulingLatenessSumMs[9]);
    }

    [Fact]
    public void Lateness_buckets_match_a_model_of_ticks_at_random_times()
    {
        var seed = Environment.TickCount;
        Console.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var engine = new EngineHarness();
        foreach (var id in new[] { "a", "b", "c" })
        {
            engine.Upsert(EngineHarness.Metric(id, AlwaysAlerts, o =>
            {
                o.EvaluationIntervalMs = 1_000;
                o.RenotifyIntervalMs = 1_000;
            }));
        }

        engine.Point(Scenario.Metric, [], engine.Now, 5);
        var model = new long[EngineCounters.SchedulingLatenessBoundsMs.Length + 1];
        var sums = new long[model.Length];
        for (var i = 0; i < 200; i++)
        {
            // Mostly small steps (sub-interval lateness), sometimes jumps of up to 15 s.
            var step = random.Next(4) == 0 ? random.Next(1, 15_000) : random.Next(1, 300);
            var now = engine.Now + step;
            var index = engine.Tick(now);
            foreach (var e in engine.Events.Where(e => e.LogIndex == index))
            {
                // The model's bucket: the first bound at or above the lateness (Prometheus' le).
                var lateness = now - e.TimeMs;
                var bucket = Array.FindIndex(EngineCounters.SchedulingLatenessBoundsMs, b => lateness <= b);
                bucket = bucket < 0 ? model.Length - 1 : bucket;
                model[bucket]++;
                sums[bucket] += lateness;
            }

            // Fresh data keeps every evaluation alerting, so each one renotifies (one event each).
            engine.Point(Scenario.Metric, [], now, 5);
        }

        var counters = engine.State.Counters;
        Assert.True(model.Sum() > 100, $"seed {seed}: only {model.Sum()} evaluations");
        Assert.Equal(counters.ScheduledEvaluations, model.Sum());
        Assert.Equal(model, counters.SchedulingLateness);
        Assert.Equal(sums, counters.SchedulingLatenessSumMs);
    }

    [Fact]
    public void Lateness_buckets_are_not_in_the_snapshot()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", AlwaysAlerts, o => o.EvaluationIntervalMs = 1_000));
        engine.Point(Scenario.Metric, [], engine.Now, 5);
        engine.Tick(EngineHarness.Start + 10_500);
        var evaluations = engine.State.Counters.ScheduledEvaluations;
        Assert.True(evaluations >= 10, $"{evaluations} evaluations");
        Assert.Equal(evaluations, engine.State.Counters.SchedulingLateness.Sum());

        var restored = Snapshot.Restore(Snapshot.Bytes(engine.State));

        Assert.Equal(evaluations, restored.Counters.ScheduledEvaluations);
        Assert.Equal(engine.State.Counters.LatenessHistogram, restored.Counters.LatenessHistogram);
        Assert.All(restored.Counters.SchedulingLateness, c => Assert.Equal(0, c));
        Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored));
    }

    [Fact]
    public void Within_one_tick_monitors_go_by_priority_then_by_due_time()
    {
        var engine = new EngineHarness();
        foreach (var (id, priority) in new[] { ("low", 5), ("high", 1), ("mid", 3) })
        {
            engine.Upsert(EngineHarness.Metric(id, AlwaysAlerts, o =>
            {
                o.EvaluationIntervalMs = 1_000;
                o.RenotifyIntervalMs = 1_000;
            }, priority));
        }

        engine.Point(Scenario.Metric, [], engine.Now, 5);

        engine.Tick(EngineHarness.Start + 3_000);

        Assert.Equal(["high", "high", "high", "mid", "mid", "mid", "low", "low", "low"], engine.Events.Select(e => e.MonitorId));
        foreach (var id in new[] { "high", "mid", "low" })
        {
            var first = Scenario.InstantAfter(id, 1_000, EngineHarness.Start);
            Assert.Equal([first, first + 1_000, first + 2_000], engine.Events.Where(e => e.MonitorId == id).Select(e => e.TimeMs));
        }
    }
}
