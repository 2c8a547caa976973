using System.Runtime.CompilerServices;
using Alerting.Engine.Ring;

namespace Alerting.Engine.Tests.Ring;

public sealed class RingBufferTests
{
    [Fact]
    public void Slot_array_has_at_least_128_bytes_of_unused_slots_at_each_end()
    {
        AssertPadded(new RingBuffer<long>(new SingleProducerSequencer(16, new YieldingWaitStrategy())));
        AssertPadded(new RingBuffer<TestSlot>(new MultiProducerSequencer(16, new YieldingWaitStrategy())));
    }

    [Fact]
    public void Sequences_a_lap_apart_share_a_slot()
    {
        var ring = new RingBuffer<long>(new SingleProducerSequencer(8, new YieldingWaitStrategy()));

        ring[3] = 42;

        Assert.Equal(42, ring[3 + 8]);
        Assert.Equal(42, ring[3 + (8 * 1000)]);
        Assert.True(Unsafe.AreSame(ref ring[0], ref ring[8]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Ring_size_must_be_a_power_of_two(int bufferSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SingleProducerSequencer(bufferSize, new YieldingWaitStrategy()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiProducerSequencer(bufferSize, new YieldingWaitStrategy()));
    }

    private static void AssertPadded<T>(RingBuffer<T> ring)
        where T : struct
    {
        var slotBytes = Unsafe.SizeOf<T>();
        Assert.True(ring.PaddingSlotCount * slotBytes >= RingBuffer<T>.PaddingBytes, $"{ring.PaddingSlotCount} padding slots of {slotBytes} bytes");
        Assert.Equal(ring.BufferSize + (2 * ring.PaddingSlotCount), ring.AllocatedSlotCount);

        ref var arrayStart = ref Unsafe.As<T, byte>(ref ring.PaddedStart);
        var firstSlotOffset = (long)Unsafe.ByteOffset(ref arrayStart, ref Unsafe.As<T, byte>(ref ring[0]));
        var lastSlotEnd = (long)Unsafe.ByteOffset(ref arrayStart, ref Unsafe.As<T, byte>(ref ring[ring.BufferSize - 1])) + slotBytes;
        var arrayEnd = (long)ring.AllocatedSlotCount * slotBytes;

        Assert.True(firstSlotOffset >= RingBuffer<T>.PaddingBytes, $"first slot {firstSlotOffset} bytes into the array");
        Assert.True(arrayEnd - lastSlotEnd >= RingBuffer<T>.PaddingBytes, $"last slot ends {arrayEnd - lastSlotEnd} bytes before the array end");
    }
}
