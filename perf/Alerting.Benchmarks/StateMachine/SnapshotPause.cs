using System.Diagnostics;
using System.Globalization;
using Alerting.Engine.Journal;
using Alerting.Engine.Monitors;
using Alerting.Engine.Pipeline;
using Alerting.Engine.Snapshots;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Google.Protobuf;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Benchmarks.StateMachine;

/// <summary>
/// Issue 7 item 3: how long a snapshot holds the state-machine thread. Builds, through the real
/// apply path (each entry also appended to an in-memory journal), N series (each with its 5-minute
/// window, one point) spread over metrics of 100 000 series each, read by one
/// <c>avg(last_5m):avg:cpuK{*} &gt; 90</c> monitor per metric. Before: times
/// <see cref="SnapshotScheduler.Serialize"/>, the stop-the-world serialisation the scheduler ran on
/// the state-machine thread. After: with a previous snapshot on disk (and the rebuilder seeded
/// with a decode of it, promoted by a full collection, as a node that recovered from it is), starts a snapshot through
/// <see cref="SnapshotScheduler.MaybeSnapshot"/> and keeps applying entries (a tick, then a batch
/// of 1 000 points to existing series, alternately) until the background rebuild has written it,
/// timing every apply step; the same entries without a snapshot
/// in flight give the baseline. Not a BenchmarkDotNet run (one state of a million series is built
/// once); reports each of a few runs.
/// </summary>
internal static class SnapshotPause
{
    private const long T0 = 1_800_000_000_000;
    private const int SeriesPerMetric = 100_000;
    private const int BatchSize = 1_000;

    public static void Run(int n, int runs)
    {
        var limits = new IngestLimits { MaxSeriesPerMetric = SeriesPerMetric, MaxSeriesTotal = Math.Max(n, IngestLimits.DefaultMaxSeriesTotal) };
        var applier = new LogApplier(new EngineState(limits));
        using var journal = new MemoryJournal();
        long index = 0;
        void Apply(LogEntry entry)
        {
            journal.Append(entry.ToByteArray(), 1);
            applier.Apply(++index, 1, entry);
        }

        Apply(new LogEntry { Tick = new Tick { UnixMs = T0 } });
        var metrics = (n + SeriesPerMetric - 1) / SeriesPerMetric;
        for (var m = 0; m < metrics; m++)
        {
            Apply(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = new Monitor { Id = $"m{m}", Name = $"m{m}", Type = "metric alert", Query = $"avg(last_5m):avg:cpu{m}{{*}} > 90" } } });
        }

        var build = Stopwatch.StartNew();
        for (var from = 0; from < n; from += BatchSize)
        {
            var batch = new PointsBatch();
            for (var i = from; i < Math.Min(n, from + BatchSize); i++)
            {
                var series = new SeriesPoints { Metric = $"cpu{i / SeriesPerMetric}", Tags = { "host:h" + i.ToString(CultureInfo.InvariantCulture) } };
                series.UnixMs.Add(T0);
                series.Values.Add(i % 100);
                batch.Series.Add(series);
            }

            Apply(new LogEntry { Points = batch });
        }

        build.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"snapshot pause, N = {n:N0}: {applier.State.SeriesCount:N0} series over {metrics} metrics and monitors, built in {build.Elapsed.TotalSeconds:F1} s; managed heap {GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024):F0} MiB"));
        for (var run = 0; run < runs; run++)
        {
            var pause = Stopwatch.StartNew();
            var body = SnapshotScheduler.Serialize(applier.State);
            pause.Stop();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  run {run + 1}: serialize on the state-machine thread {pause.Elapsed.TotalMilliseconds:F0} ms, {body.Length / (1024.0 * 1024):F0} MiB"));
        }

        // After: the previous snapshot is on disk; a snapshot is started and rebuilt in the background.
        var directory = Path.Combine(Path.GetTempPath(), "snapshot-pause-" + Guid.NewGuid().ToString("N"));
        try
        {
            var store = new SnapshotStore(directory);
            var baseBody = SnapshotScheduler.Serialize(applier.State);
            store.Write(index, 1, baseBody);

            // As a node that recovered from that snapshot does, the rebuilder starts from a second decode of it (before the loop runs).
            EngineState seed;
            using (var reader = new BinaryReader(new MemoryStream(baseBody)))
            {
                seed = EngineState.ReadFrom(reader, limits);
            }

            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            using var scheduler = new SnapshotScheduler(store, journal, everyEntries: 1, lastSnapshotIndex: index, limits: limits, rebuildSeed: seed);
            var step = 0;
            var nowMs = T0;
            LogEntry NextEntry()
            {
                if (step++ % 2 == 0)
                {
                    return new LogEntry { Tick = new Tick { UnixMs = nowMs += 1_000 } };
                }

                var batch = new PointsBatch();
                var from = (step * BatchSize) % n;
                for (var i = from; i < Math.Min(n, from + BatchSize); i++)
                {
                    var series = new SeriesPoints { Metric = $"cpu{i / SeriesPerMetric}", Tags = { "host:h" + i.ToString(CultureInfo.InvariantCulture) } };
                    series.UnixMs.Add(nowMs);
                    series.Values.Add(i % 100);
                    batch.Series.Add(series);
                }

                return new LogEntry { Points = batch };
            }

            for (var run = 0; run < runs; run++)
            {
                Apply(NextEntry());
                var during = new List<double>();
                var gcBefore = (GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                var clock = Stopwatch.StartNew();
                var first = Stopwatch.GetTimestamp();
                scheduler.MaybeSnapshot(applier.State);
                var start = Stopwatch.GetElapsedTime(first).TotalMilliseconds;
                while (!scheduler.InFlight.IsCompleted)
                {
                    var entry = NextEntry();
                    var t = Stopwatch.GetTimestamp();
                    Apply(entry);
                    during.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }

                var rebuilt = clock.Elapsed.TotalMilliseconds;
                var gcDuring = (GC.GetTotalPauseDuration() - gcBefore.Item1, GC.CollectionCount(0) - gcBefore.Item2, GC.CollectionCount(1) - gcBefore.Item3, GC.CollectionCount(2) - gcBefore.Item4);
                if (scheduler.LastFailure is { } failure)
                {
                    throw failure;
                }

                var baseline = new List<double>();
                var gcBaseline = (GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                for (var i = 0; i < during.Count; i++)
                {
                    var entry = NextEntry();
                    var t = Stopwatch.GetTimestamp();
                    Apply(entry);
                    baseline.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }

                var gcAfter = (GC.GetTotalPauseDuration() - gcBaseline.Item1, GC.CollectionCount(0) - gcBaseline.Item2, GC.CollectionCount(1) - gcBaseline.Item3, GC.CollectionCount(2) - gcBaseline.Item4);
                during.Sort();
                baseline.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  after, run {run + 1}: starting the snapshot {start:F2} ms on the state-machine thread; rebuilt and written in the background in {rebuilt:F0} ms while {during.Count} entries applied: longest apply step {during[^1]:F1} ms, p99 {Percentile(during, 0.99):F1} ms, median {Percentile(during, 0.5):F2} ms, GC pauses {gcDuring.Item1.TotalMilliseconds:F0} ms (gen0/1/2 collections {gcDuring.Item2}/{gcDuring.Item3}/{gcDuring.Item4}); the same entries with no snapshot in flight: longest {baseline[^1]:F1} ms, p99 {Percentile(baseline, 0.99):F1} ms, median {Percentile(baseline, 0.5):F2} ms, GC pauses {gcAfter.Item1.TotalMilliseconds:F0} ms ({gcAfter.Item2}/{gcAfter.Item3}/{gcAfter.Item4})"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static double Percentile(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
