using Alerting.Engine.Ring;

namespace Alerting.Engine.Tests.Ring;

/// <summary>Each <see cref="IWaitStrategy"/> delivers what producers publish and lets a waiting consumer be halted.</summary>
public sealed class WaitStrategyTests
{
    public static TheoryData<string> Strategies =>
    [
        nameof(BusySpinWaitStrategy),
        nameof(YieldingWaitStrategy),
        nameof(SleepingWaitStrategy),
        nameof(BlockingWaitStrategy),
    ];

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Strategy_delivers_every_event_published_one_at_a_time(string strategy)
    {
        const int Events = 1_000;
        var ring = new RingBuffer<long>(new SingleProducerSequencer(64, RingFactory.WaitStrategy(strategy)));
        var handler = new RecordingHandler(Events);
        var processor = new BatchEventProcessor<long, RecordingHandler>(ring, ring.NewBarrier(), handler);
        ring.AddGatingSequences(processor.Sequence);
        await processor.Start($"consumer-{strategy}").WaitAsync(RingFactory.Timeout);

        for (long value = 0; value < Events; value++)
        {
            var sequence = ring.Next();
            ring[sequence] = value;
            ring.Publish(sequence);
        }

        var delivered = await RingFactory.CompletesInTime(handler.Done.Task);
        processor.Halt();
        await processor.Stopped.WaitAsync(RingFactory.Timeout);
        Assert.True(delivered, $"{strategy} delivered {handler.Values.Count} of {Events}");
        Assert.Equal(Enumerable.Range(0, Events).Select(i => (long)i), handler.Values);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Strategy_delivers_to_a_stage_gated_on_an_upstream_stage(string strategy)
    {
        const int Events = 500;
        var ring = new RingBuffer<long>(new MultiProducerSequencer(16, RingFactory.WaitStrategy(strategy)));
        var upstream = new BatchEventProcessor<long, RecordingHandler>(ring, ring.NewBarrier(), new RecordingHandler(Events));
        var downstream = new BatchEventProcessor<long, RecordingHandler>(ring, ring.NewBarrier(upstream.Sequence), new RecordingHandler(Events));
        ring.AddGatingSequences(downstream.Sequence);
        await Task.WhenAll(upstream.Start("upstream"), downstream.Start("downstream")).WaitAsync(RingFactory.Timeout);

        for (long value = 0; value < Events; value++)
        {
            var sequence = ring.Next();
            ring[sequence] = value;
            ring.Publish(sequence);
        }

        var delivered = await RingFactory.CompletesInTime(downstream.Handler.Done.Task);
        upstream.Halt();
        downstream.Halt();
        await Task.WhenAll(upstream.Stopped, downstream.Stopped).WaitAsync(RingFactory.Timeout);
        Assert.True(delivered, $"{strategy} delivered {downstream.Handler.Values.Count} of {Events} downstream");
        Assert.Equal(upstream.Handler.Values, downstream.Handler.Values);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Strategy_returns_cancelled_when_a_waiting_consumer_is_halted(string strategy)
    {
        var ring = new RingBuffer<long>(new SingleProducerSequencer(8, RingFactory.WaitStrategy(strategy)));
        var processor = new BatchEventProcessor<long, RecordingHandler>(ring, ring.NewBarrier(), new RecordingHandler(expected: 1));
        await processor.Start($"consumer-{strategy}").WaitAsync(RingFactory.Timeout);

        processor.Halt();

        await processor.Stopped.WaitAsync(RingFactory.Timeout);
        Assert.Equal(Sequence.InitialValue, processor.Sequence.Value);
    }
}
