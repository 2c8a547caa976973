using System.Runtime.CompilerServices;
using Alerting.Engine.Ring;

namespace Alerting.Engine.Tests.Ring;

public sealed class SequenceTests
{
    [Fact]
    public void New_sequence_starts_before_the_first_slot()
    {
        Assert.Equal(-1, new Sequence().Value);
    }

    [Fact]
    public void Compare_and_set_replaces_only_the_expected_value()
    {
        var sequence = new Sequence(5);

        Assert.False(sequence.CompareAndSet(4, 10));
        Assert.Equal(5, sequence.Value);
        Assert.True(sequence.CompareAndSet(5, 10));
        Assert.Equal(10, sequence.Value);
    }

    [Fact]
    public void Increment_and_add_return_the_new_value()
    {
        var sequence = new Sequence(0);

        Assert.Equal(1, sequence.IncrementAndGet());
        Assert.Equal(8, sequence.AddAndGet(7));
        Assert.Equal(8, sequence.Value);
    }

    [Fact]
    public void Concurrent_increments_are_not_lost()
    {
        const int Threads = 4;
        const int IncrementsPerThread = 100_000;
        var sequence = new Sequence(0);

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (var i = 0; i < IncrementsPerThread; i++)
            {
                sequence.IncrementAndGet();
            }
        });

        Assert.Equal(Threads * IncrementsPerThread, sequence.Value);
    }

    [Fact]
    public void Value_sits_alone_on_its_cache_line_with_56_bytes_of_padding_each_side()
    {
        const long Marker = 0x0123_4567_89AB_CDEF;
        var sequence = new Sequence(Marker);

        // The marker is found 56 bytes past the start of the object's fields...
        ref var fields = ref Unsafe.As<RawObject>(sequence).FirstByte;
        Assert.Equal(Marker, Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref fields, Sequence.PaddingBytes)));

        // ...and the allocator hands out the full padded object, so 56 more bytes follow the value.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var allocated = new Sequence();
        var objectBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(allocated);
        Assert.True(objectBytes >= (2 * IntPtr.Size) + Sequence.PaddingBytes + sizeof(long) + Sequence.PaddingBytes, $"a Sequence takes {objectBytes} bytes");
    }

    /// <summary>Reinterprets any object to reach the first byte after its method-table pointer.</summary>
    private sealed class RawObject
    {
        public byte FirstByte;
    }
}
