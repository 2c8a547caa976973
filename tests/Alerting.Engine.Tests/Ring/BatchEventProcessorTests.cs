using Alerting.Engine.Ring;

namespace Alerting.Engine.Tests.Ring;

public sealed class BatchEventProcessorTests
{
    [Fact]
    public async Task Progress_is_published_once_per_batch_and_at_least_every_max_batch_size_events()
    {
        const int MaxBatchSize = 4;
        var ring = new RingBuffer<long>(new SingleProducerSequencer(16, new YieldingWaitStrategy()));
        PublishValues(ring, count: 10);
        var handler = new RecordingHandler(expected: 10);
        var processor = new BatchEventProcessor<long, RecordingHandler>(ring, ring.NewBarrier(), handler, MaxBatchSize);
        handler.ProcessorSequence = processor.Sequence;

        await processor.Start("processor-under-test").WaitAsync(RingFactory.Timeout);
        await handler.Done.Task.WaitAsync(RingFactory.Timeout);
        processor.Halt();
        await processor.Stopped.WaitAsync(RingFactory.Timeout);

        // Everything was published before the start, so the batches are exactly 0-3, 4-7, 8-9.
        Assert.Equal([3L, 7L, 9L], handler.BatchEnds);
        Assert.Equal([-1L, -1, -1, -1, 3, 3, 3, 3, 7, 7], handler.ProgressSeen);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i * 10), handler.Values);
        Assert.Equal(9, processor.Sequence.Value);
    }

    [Fact]
    public async Task Halt_stops_a_waiting_processor_and_runs_the_shutdown_hook_once()
    {
        var ring = new RingBuffer<long>(new SingleProducerSequencer(8, new BlockingWaitStrategy()));
        var handler = new RecordingHandler(expected: 1);
        var processor = new BatchEventProcessor<long, RecordingHandler>(ring, ring.NewBarrier(), handler);

        await processor.Start("processor-under-test").WaitAsync(RingFactory.Timeout);
        Assert.True(processor.IsRunning);
        processor.Halt();

        await processor.Stopped.WaitAsync(RingFactory.Timeout);
        Assert.False(processor.IsRunning);
        Assert.Equal(1, handler.StartCalls);
        Assert.Equal(1, handler.ShutdownCalls);
    }

    [Fact]
    public async Task Handler_exception_stops_the_processor_faults_Stopped_and_keeps_progress_at_the_last_whole_batch()
    {
        var ring = new RingBuffer<long>(new SingleProducerSequencer(16, new YieldingWaitStrategy()));
        PublishValues(ring, count: 8);
        var handler = new RecordingHandler(expected: long.MaxValue) { FailAt = 6 };
        var processor = new BatchEventProcessor<long, RecordingHandler>(ring, ring.NewBarrier(), handler, maxBatchSize: 4);

        await processor.Start("processor-under-test").WaitAsync(RingFactory.Timeout);

        await Assert.ThrowsAsync<InvalidOperationException>(() => processor.Stopped.WaitAsync(RingFactory.Timeout));
        Assert.Equal(3, processor.Sequence.Value);
        Assert.Equal(1, handler.ShutdownCalls);
    }

    [Fact]
    public void A_processor_runs_only_once()
    {
        var ring = new RingBuffer<long>(new SingleProducerSequencer(8, new YieldingWaitStrategy()));
        var processor = new BatchEventProcessor<long, RecordingHandler>(ring, ring.NewBarrier(), new RecordingHandler(expected: 1));
        processor.Halt();

        processor.Run();

        Assert.True(processor.Stopped.IsCompletedSuccessfully);
        Assert.Throws<InvalidOperationException>(processor.Run);
    }

    [Fact]
    public void Max_batch_size_must_be_positive()
    {
        var ring = new RingBuffer<long>(new SingleProducerSequencer(8, new YieldingWaitStrategy()));

        Assert.Throws<ArgumentOutOfRangeException>(
            () => new BatchEventProcessor<long, RecordingHandler>(ring, ring.NewBarrier(), new RecordingHandler(expected: 1), maxBatchSize: 0));
    }

    private static void PublishValues(RingBuffer<long> ring, int count)
    {
        var hi = ring.Next(count);
        for (var sequence = hi - count + 1; sequence <= hi; sequence++)
        {
            ring[sequence] = sequence * 10;
        }

        ring.Publish(hi - count + 1, hi);
    }
}
