using System.Diagnostics.Metrics;
using Alerting.Engine.StateMachine;
using Alerting.Server.Hosting;

namespace Alerting.Server.Tests;

/// <summary>
/// The sampler turns the engine's bucket counters into histogram recordings: each bucket's new
/// evaluations become values inside that bucket whose sum is the bucket's lateness sum.
/// </summary>
public sealed class LatenessHistogramTests
{
    private static readonly int Buckets = EngineCounters.SchedulingLatenessBoundsMs.Length + 1;

    [Fact]
    public void New_evaluations_are_recorded_in_their_buckets_with_the_exact_sum()
    {
        // Engine-side model: lateness values recorded through the engine's own bucketing.
        long[] first = [0, 3, 7, 40, 99, 100, 101, 12_000];
        long[] second = [0, 1, 2, 260, 261, 499, 10_001, 50_000];
        var previous = Sample(first);
        var next = Sample([.. first, .. second]);

        var recorded = Record(Sample([]), previous);
        var window = Record(previous, next);

        AssertSameBuckets(first, recorded);
        AssertSameBuckets(second, window);
        Assert.Equal(second.Sum(), window.Sum());
        Assert.Equal(first.Sum(), recorded.Sum());
    }

    [Fact]
    public void Counts_that_went_down_are_a_new_engine_and_count_from_zero()
    {
        long[] before = [5, 5, 5, 5];
        long[] after = [30, 2_000];

        var window = Record(Sample(before), Sample(after));

        AssertSameBuckets(after, window);
        Assert.Equal(after.Sum(), window.Sum());
    }

    private static void AssertSameBuckets(long[] expected, List<long> recorded)
    {
        var want = new long[Buckets];
        foreach (var value in expected)
        {
            want[EngineCounters.SchedulingLatenessBucket(value)]++;
        }

        var got = new long[Buckets];
        foreach (var value in recorded)
        {
            got[EngineCounters.SchedulingLatenessBucket(value)]++;
        }

        Assert.Equal(want, got);
    }

    private static EngineCountersSampler.Sample Sample(long[] latenesses)
    {
        var counts = new long[Buckets];
        var sums = new long[Buckets];
        foreach (var value in latenesses)
        {
            var bucket = EngineCounters.SchedulingLatenessBucket(value);
            counts[bucket]++;
            sums[bucket] += value;
        }

        return new EngineCountersSampler.Sample(latenesses.Length, 0, 0, 0, 0, 0, 0, counts, sums);
    }

    private static List<long> Record(EngineCountersSampler.Sample previous, EngineCountersSampler.Sample next)
    {
        using var meter = new Meter("lateness-test-" + Guid.NewGuid().ToString("N"));
        var histogram = meter.CreateHistogram<long>("lateness");
        var values = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument == histogram)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => values.Add(value));
        listener.Start();

        EngineCountersSampler.RecordLateness(histogram, previous, next);
        return values;
    }
}
