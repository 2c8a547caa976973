using Alerting.Engine.Timing;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Alerting.Benchmarks.Timing;

/// <summary>
/// B2: one simulated hour of 100 ms ticks over 1 M periodic timers (1–300 s), with 10 % cancelled
/// along the way; the timing wheel against a <see cref="PriorityQueue{TElement, TPriority}"/> scheduler.
/// Each iteration measures only the hour (advances, firings, re-arming and cancels); the 1 M timers
/// are scheduled again in [IterationSetup], which is not measured.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class TimingWheelBenchmarks
{
    private readonly TimerWorkload _workload = TimerWorkload.Shared;
    private TimingWheel _wheel = null!;
    private TimerHandle[] _handles = [];
    private PriorityQueue<int, (long DueMs, long Sequence)> _queue = null!;
    private bool[] _cancelled = [];
    private long _fired;

    [IterationSetup(Target = nameof(Wheel))]
    public void ScheduleOnWheel()
    {
        _wheel = new TimingWheel(new TimingWheelOptions { InitialCapacity = 1 << 20 }, TimerWorkload.StartMs);
        _handles = new TimerHandle[TimerWorkload.TimerCount];
        for (int i = 0; i < TimerWorkload.TimerCount; i++)
        {
            _handles[i] = _wheel.Schedule(_workload.FirstDueMs[i], _workload.IntervalMs[i], payload: i);
        }
    }

    [IterationSetup(Target = nameof(PriorityQueue))]
    public void ScheduleOnPriorityQueue()
    {
        _queue = new PriorityQueue<int, (long, long)>(TimerWorkload.TimerCount);
        _cancelled = new bool[TimerWorkload.TimerCount];
        for (int i = 0; i < TimerWorkload.TimerCount; i++)
        {
            _queue.Enqueue(i, (_workload.FirstDueMs[i], i));
        }
    }

    [IterationCleanup]
    public void CheckFirings()
    {
        if (_fired != _workload.ExpectedFirings)
        {
            throw new InvalidOperationException($"B2 fired {_fired} timers, the workload expects {_workload.ExpectedFirings}.");
        }
    }

    [Benchmark]
    public long Wheel()
    {
        var wheel = _wheel;
        var handles = _handles;
        var cancelIds = _workload.CancelIds;
        var cancelStart = _workload.CancelStart;
        var handler = new SummingHandler();
        for (int tick = 1; tick <= TimerWorkload.TickCount; tick++)
        {
            for (int c = cancelStart[tick]; c < cancelStart[tick + 1]; c++)
            {
                wheel.Cancel(handles[cancelIds[c]]);
            }

            wheel.Advance(TimerWorkload.TickTimeMs(tick), ref handler);
        }

        _fired = handler.Fired;
        return handler.PayloadSum;
    }

    /// <summary>
    /// Same work with a binary-heap scheduler keyed by (due, sequence), the usual alternative. Cancels are
    /// lazy deletion (a flag checked on pop), the fair way for a heap without an index; a firing re-arms
    /// with DequeueEnqueue, one sift instead of two.
    /// </summary>
    [Benchmark(Baseline = true)]
    public long PriorityQueue()
    {
        var queue = _queue;
        var cancelled = _cancelled;
        var intervals = _workload.IntervalMs;
        var cancelIds = _workload.CancelIds;
        var cancelStart = _workload.CancelStart;
        long fired = 0;
        long payloadSum = 0;
        for (int tick = 1; tick <= TimerWorkload.TickCount; tick++)
        {
            for (int c = cancelStart[tick]; c < cancelStart[tick + 1]; c++)
            {
                cancelled[cancelIds[c]] = true;
            }

            long nowMs = TimerWorkload.TickTimeMs(tick);
            while (queue.TryPeek(out int id, out var due) && due.DueMs <= nowMs)
            {
                if (cancelled[id])
                {
                    queue.Dequeue();
                    continue;
                }

                fired++;
                payloadSum += id;
                queue.DequeueEnqueue(id, (due.DueMs + intervals[id], due.Sequence));
            }
        }

        _fired = fired;
        return payloadSum;
    }

    private struct SummingHandler : ITimerHandler
    {
        public long Fired;
        public long PayloadSum;

        public void OnTimer(TimerHandle handle, long payload, long dueMs)
        {
            Fired++;
            PayloadSum += payload;
        }
    }

    private sealed class Config : ManualConfig
    {
        /// <summary>
        /// The in-process toolchain's default (5 minutes for the whole benchmark) is shorter than a
        /// warm-up and three simulated hours take on the shared machine under load.
        /// </summary>
        private static readonly TimeSpan InProcessTimeout = TimeSpan.FromMinutes(30);

        public Config()
        {
            // One iteration simulates a whole hour (seconds of work), so few iterations suffice. In process:
            // on the shared 2-core machine the generated benchmark project did not build within
            // BenchmarkDotNet's 2-minute build timeout; the host is already a Release build.
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
                .WithToolchain(new InProcessEmitToolchain(InProcessTimeout, logOutput: true)).WithId("B2"));
            AddColumn(new PerFiringColumn(nanosecondsPerFiring: true), new PerFiringColumn(nanosecondsPerFiring: false));
        }
    }
}
