using Alerting.Engine.Ring;

namespace Alerting.Engine.Tests.Ring;

public sealed class SequenceBarrierTests
{
    [Fact]
    public void Wait_on_upstream_stages_returns_the_slowest_one()
    {
        var sequencer = new SingleProducerSequencer(16, new YieldingWaitStrategy());
        sequencer.Publish(sequencer.Next(10));
        var journaler = new Sequence(5);
        var replicator = new Sequence(3);
        var barrier = sequencer.NewBarrier(journaler, replicator);

        var result = barrier.WaitFor(2);

        Assert.False(result.IsCancelled);
        Assert.Equal(3, result.Value);
    }

    [Fact]
    public void Wait_on_a_multi_producer_cursor_stops_before_an_unpublished_claim()
    {
        var sequencer = new MultiProducerSequencer(16, new YieldingWaitStrategy());
        var hi = sequencer.Next(4);
        sequencer.Publish(0, 1);
        sequencer.Publish(hi);

        Assert.Equal(1, sequencer.NewBarrier().WaitFor(0).Value);
    }

    [Fact]
    public void Cancelled_barrier_returns_cancelled_instead_of_waiting()
    {
        var sequencer = new SingleProducerSequencer(16, new YieldingWaitStrategy());
        var barrier = sequencer.NewBarrier();

        barrier.CancelProcessing();

        Assert.True(barrier.IsCancellationRequested);
        Assert.True(barrier.WaitFor(0).IsCancelled);
        Assert.Throws<InvalidOperationException>(() => barrier.WaitFor(0).Value);
        Assert.Equal("Cancelled", barrier.WaitFor(0).ToString());
    }
}
