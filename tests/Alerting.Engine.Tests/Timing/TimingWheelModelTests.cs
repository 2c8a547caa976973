using System.Globalization;
using Alerting.Engine.Timing;
using Xunit.Abstractions;

namespace Alerting.Engine.Tests.Timing;

/// <summary>
/// Randomized comparison of <see cref="TimingWheel"/> with <see cref="SortedListTimerModel"/>: the same
/// schedules, cancels and advances (100 ms steps and jumps of minutes to days), and the same actions
/// taken inside callbacks, must give the identical log of firings and cancel results.
/// Set ALERTING_WHEEL_SEED to replay a run; a failing case prints its own seed for <see cref="Wheel_matches_model_for_seed"/>.
/// </summary>
public sealed class TimingWheelModelTests(ITestOutputHelper output)
{
    private const int CaseCount = 1000;
    private const long Second = 1000;
    private const long Hour = 3600 * Second;
    private const long Day = 24 * Hour;

    // Callback-spawned timers stop here, so periodic spawns cannot grow a case without bound.
    private const int SpawnLiveLimit = 32;

    [Fact]
    public void Wheel_matches_sorted_list_model_on_random_cases()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("ALERTING_WHEEL_SEED");
        int baseSeed = fromEnvironment is null ? Random.Shared.Next() : int.Parse(fromEnvironment, CultureInfo.InvariantCulture);
        output.WriteLine($"base seed {baseSeed} (replay all with ALERTING_WHEEL_SEED={baseSeed})");
        long firings = 0;
        for (int i = 0; i < CaseCount; i++)
        {
            firings += RunCase(unchecked(baseSeed + i), baseSeed);
        }

        output.WriteLine($"{CaseCount} cases, {firings} firings");
        Assert.True(firings > CaseCount, "the random cases fire timers");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20_261_127)]
    public void Wheel_matches_model_for_seed(int seed) => RunCase(seed, seed);

    /// <summary>
    /// Timers due seconds to hours past the next tick (far beyond the slots the next advances visit), with
    /// periods of 1–300 s re-armed many times over, frequent cancels (from outside and from callbacks),
    /// callbacks scheduling timers minutes ahead, and advances that step 100 ms, cross one or several spans of
    /// 128 slots (the bucket of the coarse level tried in issue 11), or jump past a revolution.
    /// Replay with ALERTING_WHEEL_FAR_SEED.
    /// </summary>
    [Fact]
    public void Wheel_matches_sorted_list_model_with_far_timers_and_long_runs_of_ticks()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("ALERTING_WHEEL_FAR_SEED");
        int baseSeed = fromEnvironment is null ? Random.Shared.Next() : int.Parse(fromEnvironment, CultureInfo.InvariantCulture);
        output.WriteLine($"base seed {baseSeed} (replay all with ALERTING_WHEEL_FAR_SEED={baseSeed})");
        long firings = 0;
        for (int i = 0; i < FarCaseCount; i++)
        {
            firings += RunCase(unchecked(baseSeed + i), baseSeed, FarTimers);
        }

        output.WriteLine($"{FarCaseCount} cases, {firings} firings");
        Assert.True(firings > 100 * FarCaseCount, "the far cases re-arm timers many times");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(20_261_201)]
    public void Wheel_matches_model_with_far_timers_for_seed(int seed) => RunCase(seed, seed, FarTimers);

    private static long RunCase(int seed, int baseSeed) => RunCase(seed, baseSeed, MixedTimers);

    private static long RunCase(int seed, int baseSeed, CaseProfile profile)
    {
        var random = new Random(seed);
        var options = new TimingWheelOptions
        {
            SlotCountLog2 = random.Next(TimingWheelOptions.MinSlotCountLog2, profile.MaxSlotCountLog2 + 1),
            ResolutionMs = new[] { 1, 10, 100, 1000 }[random.Next(4)],
            InitialCapacity = random.Next(1, 8),
        };
        long start = 1_700_000_000_000 + random.Next();
        var wheel = new WheelUnderTest(new TimingWheel(options, start), seed, profile);
        var model = new ModelUnderTest(new SortedListTimerModel(start), seed, profile);
        long now = start;
        long nextId = 0;
        int operations = random.Next(profile.MinOperations, profile.MaxOperations);
        for (int op = 0; op < operations; op++)
        {
            double kind = random.NextDouble();
            if (kind < profile.ScheduleFraction)
            {
                long due = profile.Due(random, now);
                long period = profile.Period(random);
                wheel.Schedule(nextId, due, period);
                model.Schedule(nextId, due, period);
                nextId++;
            }
            else if (kind < profile.ScheduleFraction + profile.CancelFraction)
            {
                long id = random.NextInt64(Math.Max(1, nextId));
                wheel.Cancel(id);
                model.Cancel(id);
            }
            else
            {
                now = Math.Max(now, now + profile.Step(random));
                wheel.NextId = model.NextId = nextId;
                wheel.Advance(now);
                model.Advance(now);
                nextId = wheel.NextId;
            }

            string where = $"{profile.Name} case seed {seed} (base {baseSeed}), operation {op}, options slots 2^{options.SlotCountLog2} x {options.ResolutionMs} ms";
            AssertSameLog(model.Log, wheel.Log, where);
            Assert.True(model.NextId == wheel.NextId, where);
            Assert.True(model.Model.Count == wheel.Wheel.Count, $"{where}: live count {wheel.Wheel.Count}, model {model.Model.Count}");
            wheel.Wheel.CheckInvariants();
        }

        return wheel.Log.Count;
    }

    private static void AssertSameLog(List<(char Kind, long Id, long Value)> expected, List<(char Kind, long Id, long Value)> actual, string where)
    {
        int common = Math.Min(expected.Count, actual.Count);
        for (int i = 0; i < common; i++)
        {
            if (expected[i] != actual[i])
            {
                Assert.Fail($"{where}: event {i} is {actual[i]}, model says {expected[i]}");
            }
        }

        Assert.True(expected.Count == actual.Count, $"{where}: {actual.Count} events, model has {expected.Count}");
    }

    private static readonly CaseProfile MixedTimers = new(
        "mixed", MaxSlotCountLog2: 10, MinOperations: 10, MaxOperations: 60, ScheduleFraction: 0.35, CancelFraction: 0.10,
        RandomDue, RandomPeriod, RandomStep, SpawnMinMs: -2000, SpawnMaxMs: 20_000);

    private static readonly CaseProfile FarTimers = new(
        "far", MaxSlotCountLog2: 12, MinOperations: 100, MaxOperations: 300, ScheduleFraction: 0.25, CancelFraction: 0.15,
        FarDue, FarPeriod, FarStep, SpawnMinMs: 1000, SpawnMaxMs: 600_000);

    private const int FarCaseCount = 200;

    private static long FarDue(Random random, long now) => random.NextDouble() < 0.05 ? now - random.Next(0, 5000) : now + LogUniform(random, Second, 2 * Hour);

    private static long FarPeriod(Random random) => random.NextDouble() < 0.1 ? 0 : random.Next(1, 301) * Second;

    private static long FarStep(Random random)
    {
        double kind = random.NextDouble();
        return kind switch
        {
            < 0.70 => 100,
            < 0.85 => random.Next(1, 10) * 1280 + random.Next(-100, 100),
            < 0.97 => LogUniform(random, 10 * Second, 20 * 60 * Second),
            _ => LogUniform(random, Hour, 6 * Hour),
        };
    }

    private static long LogUniform(Random random, long min, long max) =>
        (long)Math.Round(Math.Exp(Math.Log(min) + (random.NextDouble() * (Math.Log(max) - Math.Log(min)))));

    private static long RandomPeriod(Random random) => random.NextDouble() < 0.3 ? 0 : LogUniform(random, Second, Day);

    private static long RandomDue(Random random, long now)
    {
        double kind = random.NextDouble();
        return kind switch
        {
            < 0.1 => now - random.Next(0, 5000),
            < 0.2 => now + random.Next(0, 3) * 100,
            _ => now + LogUniform(random, 1, Day),
        };
    }

    private static long RandomStep(Random random)
    {
        double kind = random.NextDouble();
        return kind switch
        {
            < 0.05 => -random.Next(0, 1000),
            < 0.65 => 100,
            < 0.93 => LogUniform(random, 60 * Second, 6 * Hour),
            _ => LogUniform(random, Day, 3 * Day),
        };
    }

    /// <summary>How a randomized case draws its operations; <see cref="MixedTimers"/> is the original mix.</summary>
    private sealed record CaseProfile(
        string Name, int MaxSlotCountLog2, int MinOperations, int MaxOperations, double ScheduleFraction, double CancelFraction,
        Func<Random, long, long> Due, Func<Random, long> Period, Func<Random, long> Step, int SpawnMinMs, int SpawnMaxMs);

    /// <summary>What a callback does, drawn from a generator seeded per case so both sides act alike.</summary>
    private abstract class SystemUnderTest(int seed, CaseProfile profile)
    {
        private readonly Random _actions = new(seed ^ 0x5EED);

        public List<(char Kind, long Id, long Value)> Log { get; } = [];

        public long NextId { get; set; }

        protected abstract int LiveCount { get; }

        protected abstract void ScheduleCore(long id, long dueMs, long periodMs);

        protected abstract bool CancelCore(long id);

        public void Schedule(long id, long dueMs, long periodMs) => ScheduleCore(id, dueMs, periodMs);

        public void Cancel(long id) => Log.Add(('c', id, CancelCore(id) ? 1 : 0));

        protected void OnFire(long id, long dueMs)
        {
            Log.Add(('f', id, dueMs));
            double action = _actions.NextDouble();
            if (action < 0.04)
            {
                Cancel(_actions.NextInt64(NextId));
            }
            else if (action < 0.07)
            {
                Cancel(id);
            }
            else if (action < 0.12 && LiveCount < SpawnLiveLimit)
            {
                long due = dueMs + _actions.Next(profile.SpawnMinMs, profile.SpawnMaxMs);
                long period = _actions.NextDouble() < 0.5 ? 0 : LogUniform(_actions, Second, Day);
                Log.Add(('s', NextId, due));
                ScheduleCore(NextId++, due, period);
            }
        }
    }

    private sealed class WheelUnderTest(TimingWheel wheel, int seed, CaseProfile profile) : SystemUnderTest(seed, profile)
    {
        private readonly Dictionary<long, TimerHandle> _handles = [];

        public TimingWheel Wheel => wheel;

        protected override int LiveCount => wheel.Count;

        public void Advance(long nowMs)
        {
            var handler = new Handler(this);
            wheel.Advance(nowMs, ref handler);
        }

        protected override void ScheduleCore(long id, long dueMs, long periodMs) => _handles[id] = wheel.Schedule(dueMs, periodMs, payload: id);

        protected override bool CancelCore(long id) => _handles.TryGetValue(id, out var handle) && wheel.Cancel(handle);

        private readonly struct Handler(WheelUnderTest owner) : ITimerHandler
        {
            public void OnTimer(TimerHandle handle, long payload, long dueMs)
            {
                Assert.Equal(owner._handles[payload], handle);
                owner.OnFire(payload, dueMs);
            }
        }
    }

    private sealed class ModelUnderTest(SortedListTimerModel model, int seed, CaseProfile profile) : SystemUnderTest(seed, profile)
    {
        public SortedListTimerModel Model => model;

        protected override int LiveCount => model.Count;

        public void Advance(long nowMs) => model.Advance(nowMs, OnFire);

        protected override void ScheduleCore(long id, long dueMs, long periodMs) => model.Schedule(id, dueMs, periodMs);

        protected override bool CancelCore(long id) => model.Cancel(id);
    }
}
