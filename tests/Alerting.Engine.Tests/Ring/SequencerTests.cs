using Alerting.Engine.Ring;

namespace Alerting.Engine.Tests.Ring;

/// <summary>Behaviour both <see cref="SingleProducerSequencer"/> and <see cref="MultiProducerSequencer"/> share.</summary>
public sealed class SequencerTests
{
    private const int BufferSize = 4;

    [Theory]
    [InlineData(RingFactory.Single)]
    [InlineData(RingFactory.Multi)]
    public void TryNext_on_a_full_ring_returns_false_and_leaves_unconsumed_slots_alone(string kind)
    {
        var ring = RingFactory.Ring<long>(kind, BufferSize, new YieldingWaitStrategy());
        var consumer = new Sequence();
        ring.AddGatingSequences(consumer);
        for (var i = 0; i < BufferSize; i++)
        {
            Assert.True(ring.TryNext(out var sequence));
            ring[sequence] = 100 + sequence;
            ring.Publish(sequence);
        }

        Assert.False(ring.TryNext(out _));
        Assert.False(ring.TryNext(2, out _));
        Assert.Equal(0, ring.RemainingCapacity);
        Assert.Equal(BufferSize - 1, ring.Cursor);
        for (long sequence = 0; sequence < BufferSize; sequence++)
        {
            Assert.Equal(100 + sequence, ring[sequence]);
        }

        consumer.SetValue(0);

        Assert.False(ring.TryNext(2, out _));
        Assert.True(ring.TryNext(out var reused));
        Assert.Equal(BufferSize, reused);
        Assert.Equal(101, ring[1]);
    }

    [Theory]
    [InlineData(RingFactory.Single)]
    [InlineData(RingFactory.Multi)]
    public void Claims_outside_one_to_the_ring_size_are_rejected(string kind)
    {
        var sequencer = RingFactory.Sequencer(kind, BufferSize, new YieldingWaitStrategy());

        Assert.Throws<ArgumentOutOfRangeException>(() => sequencer.Next(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => sequencer.Next(BufferSize + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => sequencer.TryNext(0, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => sequencer.TryNext(BufferSize + 1, out _));
        Assert.Equal(BufferSize - 1, sequencer.Next(BufferSize));
    }

    [Theory]
    [InlineData(RingFactory.Single)]
    [InlineData(RingFactory.Multi)]
    public void Published_sequences_are_available_until_a_later_lap_reuses_their_slot(string kind)
    {
        var sequencer = RingFactory.Sequencer(kind, BufferSize, new YieldingWaitStrategy());

        Assert.False(sequencer.IsAvailable(0));
        var hi = sequencer.Next(3);
        sequencer.Publish(hi - 2, hi);

        Assert.True(sequencer.IsAvailable(0));
        Assert.True(sequencer.IsAvailable(2));
        Assert.False(sequencer.IsAvailable(3));
        Assert.Equal(2, sequencer.GetHighestPublishedSequence(0, sequencer.Cursor));

        var next = sequencer.Next(BufferSize);
        sequencer.Publish(next - BufferSize + 1, next);

        Assert.False(sequencer.IsAvailable(2));
        Assert.True(sequencer.IsAvailable(2 + BufferSize));
    }

    [Theory]
    [InlineData(RingFactory.Single)]
    [InlineData(RingFactory.Multi)]
    public void Remaining_capacity_counts_slots_not_yet_consumed(string kind)
    {
        var sequencer = RingFactory.Sequencer(kind, BufferSize, new YieldingWaitStrategy());
        var consumer = new Sequence();
        sequencer.AddGatingSequences(consumer);

        Assert.Equal(BufferSize, sequencer.RemainingCapacity);
        sequencer.Publish(sequencer.Next(3));
        Assert.Equal(1, sequencer.RemainingCapacity);
        consumer.SetValue(1);
        Assert.Equal(3, sequencer.RemainingCapacity);
    }

    [Theory]
    [InlineData(RingFactory.Single)]
    [InlineData(RingFactory.Multi)]
    public async Task Next_on_a_full_ring_waits_until_the_slowest_consumer_frees_a_slot(string kind)
    {
        var sequencer = RingFactory.Sequencer(kind, BufferSize, new YieldingWaitStrategy());
        var consumer = new Sequence();
        sequencer.AddGatingSequences(consumer);
        sequencer.Publish(sequencer.Next(BufferSize));

        var claim = Task.Run(() => sequencer.Next());
        Assert.False(claim.IsCompleted);
        consumer.SetValue(0);

        Assert.Equal(BufferSize, await claim.WaitAsync(RingFactory.Timeout));
    }

    [Fact]
    public void Gating_sequences_added_late_start_at_the_cursor()
    {
        var sequencer = new MultiProducerSequencer(BufferSize, new YieldingWaitStrategy());
        sequencer.Publish(sequencer.Next(3));
        var consumer = new Sequence();

        sequencer.AddGatingSequences(consumer);

        Assert.Equal(2, consumer.Value);
        Assert.Equal(BufferSize, sequencer.RemainingCapacity);
    }
}
