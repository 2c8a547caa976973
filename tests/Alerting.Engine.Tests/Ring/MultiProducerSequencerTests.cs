using Alerting.Engine.Ring;

namespace Alerting.Engine.Tests.Ring;

public sealed class MultiProducerSequencerTests
{
    [Fact]
    public void Highest_published_sequence_stops_before_a_claimed_but_unpublished_slot()
    {
        var sequencer = new MultiProducerSequencer(8, new YieldingWaitStrategy());
        var first = sequencer.Next();
        var second = sequencer.Next();
        var third = sequencer.Next(2);

        sequencer.Publish(first);
        sequencer.Publish(third - 1, third);

        Assert.Equal(3, sequencer.Cursor);
        Assert.Equal(first, sequencer.GetHighestPublishedSequence(0, sequencer.Cursor));
        Assert.False(sequencer.IsAvailable(second));

        sequencer.Publish(second);

        Assert.Equal(3, sequencer.GetHighestPublishedSequence(0, sequencer.Cursor));
    }

    [Fact]
    public void TryNext_racing_producers_never_claim_the_same_sequence()
    {
        const int Producers = 4;
        const int ClaimsPerProducer = 20_000;
        var sequencer = new MultiProducerSequencer(1 << 17, new YieldingWaitStrategy());
        var claimed = new int[Producers * ClaimsPerProducer];

        Parallel.For(0, Producers, new ParallelOptions { MaxDegreeOfParallelism = Producers }, _ =>
        {
            for (var i = 0; i < ClaimsPerProducer; i++)
            {
                Assert.True(sequencer.TryNext(out var sequence));
                Interlocked.Increment(ref claimed[sequence]);
                sequencer.Publish(sequence);
            }
        });

        Assert.All(claimed, count => Assert.Equal(1, count));
        Assert.Equal(claimed.Length - 1, sequencer.GetHighestPublishedSequence(0, sequencer.Cursor));
    }

    [Fact]
    public async Task Four_producers_through_a_two_stage_graph_deliver_every_event_in_producer_order()
    {
        const int Producers = 4;
        const int EventsPerProducer = 1_000_000;
        const long TotalEvents = (long)Producers * EventsPerProducer;
        var ring = new RingBuffer<TestSlot>(new MultiProducerSequencer(1024, new BlockingWaitStrategy()));

        // Journaler/replicator shape: A and B in parallel on the cursor, C gated on both.
        var stageA = new BatchEventProcessor<TestSlot, ParallelStage>(ring, ring.NewBarrier(), new ParallelStage(Producers, markA: true));
        var stageB = new BatchEventProcessor<TestSlot, ParallelStage>(ring, ring.NewBarrier(), new ParallelStage(Producers, markA: false));
        var stageC = new BatchEventProcessor<TestSlot, GatedStage>(
            ring, ring.NewBarrier(stageA.Sequence, stageB.Sequence), new GatedStage(Producers, TotalEvents));
        ring.AddGatingSequences(stageC.Sequence);
        await Task.WhenAll(stageA.Start("stage-a"), stageB.Start("stage-b"), stageC.Start("stage-c")).WaitAsync(RingFactory.Timeout);

        var producers = new Thread[Producers];
        for (var p = 0; p < Producers; p++)
        {
            var producerId = p;
            producers[p] = new Thread(() => Produce(ring, producerId, EventsPerProducer, claimSize: producerId + 1));
            producers[p].Start();
        }

        var completed = await RingFactory.CompletesInTime(stageC.Handler.Done.Task);
        stageA.Halt();
        stageB.Halt();
        stageC.Halt();
        await Task.WhenAll(stageA.Stopped, stageB.Stopped, stageC.Stopped).WaitAsync(RingFactory.Timeout);
        Assert.True(completed, $"stage C saw {stageC.Handler.Count} of {TotalEvents} events");
        foreach (var producer in producers)
        {
            producer.Join();
        }

        const long ExpectedSum = Producers * ((long)EventsPerProducer * (EventsPerProducer - 1) / 2);
        foreach (var stage in new[] { stageA.Handler, stageB.Handler })
        {
            Assert.Null(stage.FirstError);
            Assert.Equal(TotalEvents, stage.Count);
            Assert.Equal(ExpectedSum, stage.Sum);
        }

        Assert.Null(stageC.Handler.FirstError);
        Assert.Equal(ExpectedSum, stageC.Handler.Sum);
        Assert.Equal(TotalEvents - 1, stageC.Sequence.Value);
    }

    private static void Produce(RingBuffer<TestSlot> ring, int producerId, int events, int claimSize)
    {
        var written = 0;
        while (written < events)
        {
            var n = Math.Min(claimSize, events - written);
            var hi = ring.Next(n);
            for (var sequence = hi - n + 1; sequence <= hi; sequence++)
            {
                ref var slot = ref ring[sequence];
                slot.ProducerId = producerId;
                slot.ProducerSequence = written++;
            }

            ring.Publish(hi - n + 1, hi);
        }
    }

    /// <summary>Checks per-producer order, sums, and stamps the slot so the gated stage can see it ran first.</summary>
    private struct ParallelStage(int producers, bool markA) : IEventHandler<TestSlot>
    {
        private readonly long[] _nextExpected = new long[producers];

        public long Count;
        public long Sum;
        public string? FirstError;

        public readonly void OnStart()
        {
        }

        public void OnEvent(ref TestSlot data, long sequence, bool endOfBatch)
        {
            if (data.ProducerSequence != _nextExpected[data.ProducerId] && FirstError is null)
            {
                FirstError = $"producer {data.ProducerId}: expected {_nextExpected[data.ProducerId]}, got {data.ProducerSequence} at {sequence}";
            }

            _nextExpected[data.ProducerId] = data.ProducerSequence + 1;
            Count++;
            Sum += data.ProducerSequence;
            if (markA)
            {
                data.StageAMark = sequence;
            }
            else
            {
                data.StageBMark = sequence;
            }
        }

        public readonly void OnShutdown()
        {
        }
    }

    /// <summary>Runs behind both parallel stages: every slot it sees must carry both their marks.</summary>
    private sealed class GatedStage(int producers, long total) : IEventHandler<TestSlot>
    {
        private readonly long[] _nextExpected = new long[producers];

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Count { get; private set; }

        public long Sum { get; private set; }

        public string? FirstError { get; private set; }

        public void OnStart()
        {
        }

        public void OnEvent(ref TestSlot data, long sequence, bool endOfBatch)
        {
            if (FirstError is null && (data.StageAMark != sequence || data.StageBMark != sequence))
            {
                FirstError = $"sequence {sequence} reached stage C before stages A and B (marks {data.StageAMark}, {data.StageBMark})";
            }

            if (FirstError is null && data.ProducerSequence != _nextExpected[data.ProducerId])
            {
                FirstError = $"producer {data.ProducerId}: expected {_nextExpected[data.ProducerId]}, got {data.ProducerSequence}";
            }

            _nextExpected[data.ProducerId] = data.ProducerSequence + 1;
            Sum += data.ProducerSequence;
            if (++Count == total)
            {
                Done.TrySetResult();
            }
        }

        public void OnShutdown()
        {
        }
    }
}
