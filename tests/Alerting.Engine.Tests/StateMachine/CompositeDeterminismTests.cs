using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Random logs with composite monitors (members edited, deleted, regrouped under them): two
/// replicas agree byte for byte, and a replica restarted from a snapshot at any cut agrees with
/// the one that never stopped (the member index is rebuilt, the composite groups are restored).
/// </summary>
public sealed class CompositeDeterminismTests
{
    [Fact]
    public void Replaying_a_log_with_composites_twice_gives_identical_snapshots_and_events()
    {
        var compositeEvents = 0;
        for (var seed = 1; seed <= 40; seed++)
        {
            var log = RandomLog.Generate(seed, 600, withComposites: true);
            var firstEvents = new List<TransitionEvent>();
            var secondEvents = new List<TransitionEvent>();
            var first = ApplyAll(new LogApplier(new EngineState(), firstEvents.AddRange), log, 1);
            var second = ApplyAll(new LogApplier(new EngineState(), secondEvents.AddRange), log, 1);

            Assert.True(Snapshot.Bytes(first).AsSpan().SequenceEqual(Snapshot.Bytes(second)), $"seed {seed}");
            Assert.Equal(firstEvents, secondEvents);
            compositeEvents += firstEvents.Count(e => e.MonitorId.StartsWith('c'));
        }

        // The logs exercise composite transitions, not only their refusals.
        Assert.True(compositeEvents > 20, $"only {compositeEvents} composite transitions over 40 logs");
    }

    [Theory]
    [InlineData(IngestLimits.DefaultCompositeEvaluationStep)]
    [InlineData(1)]
    public void Restart_from_a_snapshot_with_composites_equals_the_engine_that_never_stopped(int step)
    {
        // A step of 1 leaves member changes queued across entries, so cuts fall inside the queue.
        var limits = new IngestLimits { CompositeEvaluationStep = step };
        var random = new Random(1201);
        var queuedCuts = 0;
        for (var trial = 0; trial < 40; trial++)
        {
            var seed = random.Next();
            var log = RandomLog.Generate(seed, 500, withComposites: true);
            var cut = random.Next(0, log.Count);

            var uninterruptedEvents = new List<TransitionEvent>();
            var uninterrupted = ApplyAll(new LogApplier(new EngineState(limits), uninterruptedEvents.AddRange), log, 1);

            var restartedEvents = new List<TransitionEvent>();
            var prefix = ApplyAll(new LogApplier(new EngineState(limits), restartedEvents.AddRange), log.Take(cut), 1);
            queuedCuts += prefix.Monitors.CompositeChangesPending > 0 ? 1 : 0;
            var restored = new LogApplier(Snapshot.Restore(Snapshot.Bytes(prefix), limits), restartedEvents.AddRange);
            ApplyAll(restored, log.Skip(cut), cut + 1);

            Assert.True(Snapshot.Bytes(uninterrupted).AsSpan().SequenceEqual(Snapshot.Bytes(restored.State)), $"seed {seed}, cut at {cut}");
            Assert.Equal(uninterruptedEvents, restartedEvents);
        }

        Assert.True(step > 1 || queuedCuts > 0, "with a step of 1 some cut falls while member changes are queued");
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
