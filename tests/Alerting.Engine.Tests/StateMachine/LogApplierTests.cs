using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class LogApplierTests
{
    [Fact]
    public void Replaying_the_same_log_twice_gives_byte_identical_snapshots()
    {
        var totalEvents = 0;
        var totalGroupEvaluations = 0L;
        for (var seed = 1; seed <= 50; seed++)
        {
            var log = RandomLog.Generate(seed, 500);
            var firstEvents = new List<TransitionEvent>();
            var secondEvents = new List<TransitionEvent>();
            var first = ApplyAll(new LogApplier(new EngineState(), firstEvents.AddRange), log, 1);
            var second = ApplyAll(new LogApplier(new EngineState(), secondEvents.AddRange), log, 1);
            Assert.True(Snapshot.Bytes(first).AsSpan().SequenceEqual(Snapshot.Bytes(second)), $"seed {seed}");
            Assert.Equal(firstEvents, secondEvents);
            totalEvents += firstEvents.Count;
            totalGroupEvaluations += first.Counters.GroupEvaluations;
        }

        // The random logs exercise the monitor side, not only the bookkeeping.
        Assert.True(totalEvents > 100, $"only {totalEvents} transition events over 50 logs");
        Assert.True(totalGroupEvaluations > 1_000, $"only {totalGroupEvaluations} group evaluations");
    }

    [Fact]
    public void Restart_from_snapshot_plus_suffix_equals_the_engine_that_never_stopped()
    {
        var random = new Random(2026);
        for (var trial = 0; trial < 50; trial++)
        {
            var seed = random.Next();
            var log = RandomLog.Generate(seed, 400);
            var cut = random.Next(0, log.Count);

            var uninterruptedEvents = new List<TransitionEvent>();
            var uninterrupted = ApplyAll(new LogApplier(new EngineState(), uninterruptedEvents.AddRange), log, 1);

            var restartedEvents = new List<TransitionEvent>();
            var prefix = ApplyAll(new LogApplier(new EngineState(), restartedEvents.AddRange), log.Take(cut), 1);
            var restored = new LogApplier(Snapshot.Restore(Snapshot.Bytes(prefix)), restartedEvents.AddRange);
            ApplyAll(restored, log.Skip(cut), cut + 1);

            Assert.True(Snapshot.Bytes(uninterrupted).AsSpan().SequenceEqual(Snapshot.Bytes(restored.State)), $"seed {seed}, cut at {cut}");
            Assert.Equal(uninterruptedEvents, restartedEvents);
        }
    }

    [Fact]
    public void Logical_time_moves_only_by_ticks_and_never_backwards()
    {
        var applier = new LogApplier(new EngineState());
        applier.Apply(1, 1, RandomLog.Tick(5_000));
        applier.Apply(2, 1, RandomLog.Tick(4_000));
        applier.Apply(3, 1, new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = "x" } });

        Assert.Equal(5_000, applier.State.LogicalTimeMs);
        Assert.Equal(2, applier.State.TicksApplied);
    }

    [Fact]
    public void An_entry_out_of_log_order_is_an_invariant_violation()
    {
        var applier = new LogApplier(new EngineState());
        applier.Apply(1, 1, RandomLog.Tick(1));

        var error = Assert.Throws<InvariantViolationException>(() => applier.Apply(3, 1, RandomLog.Tick(2)));
        Assert.Contains("log order", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_term_going_backwards_is_an_invariant_violation()
    {
        var applier = new LogApplier(new EngineState());
        applier.Apply(1, 2, RandomLog.Tick(1));

        Assert.Throws<InvariantViolationException>(() => applier.Apply(2, 1, RandomLog.Tick(2)));
    }

    private static EngineState ApplyAll(LogApplier applier, IEnumerable<LogEntry> entries, long firstIndex)
    {
        var index = firstIndex;
        foreach (var entry in entries)
        {
            applier.Apply(index++, 1, entry);
        }

        return applier.State;
    }
}
