using System.Threading.Channels;
using Alerting.Engine.Ring;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Alerting.Benchmarks.Ring;

/// <summary>
/// B1: events through the ring (1 and 3 producers, one batch consumer) against a bounded
/// <see cref="Channel"/> of the same capacity. Figures are per event (<see cref="EventsPerOperation"/> per op).
/// </summary>
/// <remarks>
/// Both sides may batch: ring producers claim and publish <see cref="ClaimBatch"/> slots at a time, the channel
/// consumer drains with TryRead in a loop. The ring consumer uses <see cref="YieldingWaitStrategy"/> and waiting
/// producers yield, because 3 producers and a consumer oversubscribe a two-core machine.
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class RingBufferBenchmarks
{
    /// <summary>Events per benchmark operation: divisible by the producer count and by <see cref="ClaimBatch"/>.</summary>
    public const int EventsPerOperation = 3 << 22;

    /// <summary>Slots in the ring and capacity of the channel.</summary>
    public const int Capacity = 1 << 16;

    /// <summary>Slots a ring producer claims and publishes at once.</summary>
    public const int ClaimBatch = 256;

    private const int Producers = 3;

    private RingBuffer<long> _ring = null!;
    private BatchEventProcessor<long, SummingHandler> _consumer = null!;
    private Completion _completion = null!;
    private SingleProducerSequencer _singleSequencer = null!;
    private MultiProducerSequencer _multiSequencer = null!;
    private Thread[] _producerThreads = [];
    private readonly Round _producerRound = new();
    private volatile bool _stopping;
    private long _channelSum;

    [GlobalSetup(Target = nameof(Ring_1P_1C))]
    public void SetupSingleProducerRing()
    {
        _singleSequencer = new SingleProducerSequencer(Capacity, new YieldingWaitStrategy());
        StartConsumer(_singleSequencer);
    }

    [GlobalSetup(Target = nameof(Ring_3P_1C))]
    public void SetupMultiProducerRing()
    {
        _multiSequencer = new MultiProducerSequencer(Capacity, new YieldingWaitStrategy());
        StartConsumer(_multiSequencer);
        _producerThreads = new Thread[Producers];
        for (var p = 0; p < Producers; p++)
        {
            _producerThreads[p] = new Thread(ProducerLoop) { IsBackground = true, Name = $"ring-producer-{p}" };
            _producerThreads[p].Start();
        }
    }

    [GlobalCleanup(Targets = [nameof(Ring_1P_1C), nameof(Ring_3P_1C)])]
    public void StopRing()
    {
        _stopping = true;
        _producerRound.Advance();
        foreach (var thread in _producerThreads)
        {
            thread.Join();
        }

        _consumer.Halt();
        _consumer.Stopped.GetAwaiter().GetResult();
    }

    [BenchmarkCategory("1P-1C")]
    [Benchmark(OperationsPerInvoke = EventsPerOperation)]
    public long Ring_1P_1C()
    {
        BeginOperation();
        var sequencer = _singleSequencer;
        var ring = _ring;
        for (var produced = 0; produced < EventsPerOperation; produced += ClaimBatch)
        {
            var hi = sequencer.Next(ClaimBatch);
            var lo = hi - ClaimBatch + 1;
            for (var sequence = lo; sequence <= hi; sequence++)
            {
                ring[sequence] = sequence;
            }

            sequencer.Publish(lo, hi);
        }

        _completion.Await();
        return _consumer.Handler.Sum;
    }

    [BenchmarkCategory("1P-1C")]
    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerOperation)]
    public async Task<long> Channel_1P_1C()
    {
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        var consumer = Task.Run(() => DrainAsync(channel.Reader, EventsPerOperation));
        await FillAsync(channel.Writer, EventsPerOperation);
        _channelSum = await consumer;
        return _channelSum;
    }

    [BenchmarkCategory("3P-1C")]
    [Benchmark(OperationsPerInvoke = EventsPerOperation)]
    public long Ring_3P_1C()
    {
        BeginOperation();
        _producerRound.Advance();
        _completion.Await();
        return _consumer.Handler.Sum;
    }

    [BenchmarkCategory("3P-1C")]
    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerOperation)]
    public async Task<long> Channel_3P_1C()
    {
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = false });
        var consumer = Task.Run(() => DrainAsync(channel.Reader, EventsPerOperation));
        var producers = new Task[Producers];
        for (var p = 0; p < Producers; p++)
        {
            producers[p] = Task.Run(() => FillAsync(channel.Writer, EventsPerOperation / Producers));
        }

        await Task.WhenAll(producers);
        _channelSum = await consumer;
        return _channelSum;
    }

    private static async Task FillAsync(ChannelWriter<long> writer, int count)
    {
        for (long value = 0; value < count; value++)
        {
            while (!writer.TryWrite(value))
            {
                await writer.WaitToWriteAsync();
            }
        }
    }

    private static async Task<long> DrainAsync(ChannelReader<long> reader, int count)
    {
        long sum = 0;
        var received = 0;
        while (received < count)
        {
            while (reader.TryRead(out var value))
            {
                sum += value;
                received++;
            }

            if (received < count)
            {
                await reader.WaitToReadAsync();
            }
        }

        return sum;
    }

    private void StartConsumer(ISequencer sequencer)
    {
        _ring = new RingBuffer<long>(sequencer);
        _completion = new Completion();
        _consumer = new BatchEventProcessor<long, SummingHandler>(_ring, _ring.NewBarrier(), new SummingHandler(_completion));
        _ring.AddGatingSequences(_consumer.Sequence);
        _consumer.Start("ring-consumer").GetAwaiter().GetResult();
    }

    private void BeginOperation()
    {
        // Every earlier event is consumed when an operation starts, so the cursor is the last sequence handled.
        _completion.Arm(_ring.Cursor + EventsPerOperation);
    }

    private void ProducerLoop()
    {
        var sequencer = _multiSequencer;
        var ring = _ring;
        var round = 0L;
        while (true)
        {
            round = _producerRound.WaitPast(round);
            if (_stopping)
            {
                return;
            }

            for (var produced = 0; produced < EventsPerOperation / Producers; produced += ClaimBatch)
            {
                var hi = sequencer.Next(ClaimBatch);
                var lo = hi - ClaimBatch + 1;
                for (var sequence = lo; sequence <= hi; sequence++)
                {
                    ring[sequence] = sequence;
                }

                sequencer.Publish(lo, hi);
            }
        }
    }

    /// <summary>Where the consumer signals that an operation's last event was handled (a monitor: nothing to dispose, nothing allocated).</summary>
    private sealed class Completion
    {
        private readonly object _gate = new();
        private long _lastSequence = long.MaxValue;
        private bool _done;

        public long LastSequence => Volatile.Read(ref _lastSequence);

        public void Arm(long lastSequence)
        {
            lock (_gate)
            {
                _done = false;
                Volatile.Write(ref _lastSequence, lastSequence);
            }
        }

        public void Set()
        {
            lock (_gate)
            {
                _done = true;
                Volatile.Write(ref _lastSequence, long.MaxValue);
                Monitor.PulseAll(_gate);
            }
        }

        public void Await()
        {
            lock (_gate)
            {
                while (!_done)
                {
                    Monitor.Wait(_gate);
                }
            }
        }
    }

    /// <summary>Starts the persistent producer threads once per operation.</summary>
    private sealed class Round
    {
        private readonly object _gate = new();
        private long _round;

        public void Advance()
        {
            lock (_gate)
            {
                _round++;
                Monitor.PulseAll(_gate);
            }
        }

        public long WaitPast(long seen)
        {
            lock (_gate)
            {
                while (_round == seen)
                {
                    Monitor.Wait(_gate);
                }

                return _round;
            }
        }
    }

    /// <summary>The batch consumer: sums the events and signals at the operation's last sequence.</summary>
    private struct SummingHandler(Completion completion) : IEventHandler<long>
    {
        public long Sum;

        public readonly void OnStart()
        {
        }

        public void OnEvent(ref long data, long sequence, bool endOfBatch)
        {
            Sum += data;
            if (endOfBatch && sequence >= completion.LastSequence)
            {
                completion.Set();
            }
        }

        public readonly void OnShutdown()
        {
        }
    }
}
