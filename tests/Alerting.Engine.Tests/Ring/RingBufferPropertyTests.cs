using Alerting.Engine.Ring;
using CsCheck;

namespace Alerting.Engine.Tests.Ring;

/// <summary>
/// The ring against its model, one FIFO queue per producer: whatever the producer count, claim size, ring size
/// and wait strategy, the consumer sees each producer's messages exactly once and in the order written.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class RingBufferPropertyTests
{
    // A time budget rather than an iteration count: each lap of a small ring needs the scheduler, and the
    // machine is shared, so a fixed count could take minutes. Scenarios still run one at a time.
    private const int BudgetSeconds = 5;

    // Bounds the laps a scenario makes around the ring, which is what its run time grows with.
    private const int MaxLapsPerScenario = 32;

    [Fact]
    public void Every_message_arrives_once_and_in_producer_order()
    {
        var scenarios =
            from producers in Gen.Int[1, 4]
            from multiProducer in Gen.Bool
            from ringSizeLog2 in Gen.Int[1, 10]
            from claimSize in Gen.Int[1, 64]
            from messagesPerProducer in Gen.Int[1, 3_000].Select(m => Math.Min(m, MaxLapsPerScenario << ringSizeLog2))
            from useTryNext in Gen.Bool
            from blocking in Gen.Bool
            select new Scenario(
                multiProducer ? producers : 1,
                multiProducer,
                1 << ringSizeLog2,
                Math.Min(claimSize, 1 << ringSizeLog2),
                messagesPerProducer,
                useTryNext,
                blocking ? nameof(BlockingWaitStrategy) : nameof(YieldingWaitStrategy));

        // One scenario at a time: each already runs up to five threads.
        scenarios.Sample(Run, time: BudgetSeconds, threads: 1, print: scenario => scenario.ToString());
    }

    private static void Run(Scenario scenario)
    {
        var waitStrategy = RingFactory.WaitStrategy(scenario.WaitStrategy);
        var ring = RingFactory.Ring<TestSlot>(scenario.MultiProducer ? RingFactory.Multi : RingFactory.Single, scenario.RingSize, waitStrategy);
        var model = new QueueModelHandler(scenario.Producers, scenario.MessagesPerProducer);
        var processor = new BatchEventProcessor<TestSlot, QueueModelHandler>(ring, ring.NewBarrier(), model);
        ring.AddGatingSequences(processor.Sequence);
        processor.Start("property-consumer");

        var producers = new Thread[scenario.Producers];
        for (var p = 0; p < producers.Length; p++)
        {
            var producerId = p;
            producers[p] = new Thread(() => Produce(ring, scenario, producerId));
            producers[p].Start();
        }

        var completed = model.Done.Task.Wait(RingFactory.Timeout);
        processor.Halt();
        foreach (var producer in producers)
        {
            producer.Join();
        }

        Assert.True(processor.Stopped.Wait(RingFactory.Timeout), "the consumer did not stop");
        Assert.True(completed, $"received {model.Received} of {scenario.Producers * scenario.MessagesPerProducer}");
        Assert.Null(model.FirstMismatch);
        Assert.True(model.AllQueuesEmpty, "a message was never delivered");
    }

    private static void Produce(RingBuffer<TestSlot> ring, Scenario scenario, int producerId)
    {
        var written = 0;
        while (written < scenario.MessagesPerProducer)
        {
            var n = Math.Min(scenario.ClaimSize, scenario.MessagesPerProducer - written);
            long hi;
            if (scenario.UseTryNext)
            {
                var spin = default(SpinWait);
                while (!ring.TryNext(n, out hi))
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }
            else
            {
                hi = ring.Next(n);
            }

            for (var sequence = hi - n + 1; sequence <= hi; sequence++)
            {
                ref var slot = ref ring[sequence];
                slot.ProducerId = producerId;
                slot.ProducerSequence = written++;
            }

            ring.Publish(hi - n + 1, hi);
        }
    }

    private sealed record Scenario(
        int Producers,
        bool MultiProducer,
        int RingSize,
        int ClaimSize,
        int MessagesPerProducer,
        bool UseTryNext,
        string WaitStrategy);

    /// <summary>The model: each producer's messages in a queue; every delivery must be the head of its producer's queue.</summary>
    private sealed class QueueModelHandler : IEventHandler<TestSlot>
    {
        private readonly Queue<long>[] _expected;
        private readonly long _total;

        public QueueModelHandler(int producers, int messagesPerProducer)
        {
            _expected = new Queue<long>[producers];
            for (var p = 0; p < producers; p++)
            {
                _expected[p] = new Queue<long>(Enumerable.Range(0, messagesPerProducer).Select(i => (long)i));
            }

            _total = (long)producers * messagesPerProducer;
        }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Received { get; private set; }

        public string? FirstMismatch { get; private set; }

        public bool AllQueuesEmpty => _expected.All(queue => queue.Count == 0);

        public void OnStart()
        {
        }

        public void OnEvent(ref TestSlot data, long sequence, bool endOfBatch)
        {
            Received++;
            var queue = _expected[data.ProducerId];
            if (!queue.TryDequeue(out var head) || head != data.ProducerSequence)
            {
                FirstMismatch ??= $"sequence {sequence}: producer {data.ProducerId} sent {data.ProducerSequence}, model expected {(queue.Count == 0 && head == 0 ? "nothing" : head.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
            }

            if (Received == _total)
            {
                Done.TrySetResult();
            }
        }

        public void OnShutdown()
        {
        }
    }
}
