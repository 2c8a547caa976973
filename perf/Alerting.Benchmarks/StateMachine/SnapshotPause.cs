using System.Diagnostics;
using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Benchmarks.StateMachine;

/// <summary>
/// Issue 7 item 3: how long a snapshot holds the state-machine thread. Builds, through the real
/// apply path, N series (each with its 5-minute window, one point) spread over metrics of 100 000
/// series each, read by one <c>avg(last_5m):avg:cpuK{*} &gt; 90</c> monitor per metric, then times
/// <see cref="SnapshotScheduler.Serialize"/>: the whole serialisation the scheduler runs on the
/// state-machine thread today, i.e. the longest apply-loop pause a snapshot causes. Not a
/// BenchmarkDotNet run (one state of a million series is built once); reports each of a few runs.
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
        long index = 0;
        applier.Apply(++index, 1, new LogEntry { Tick = new Tick { UnixMs = T0 } });
        var metrics = (n + SeriesPerMetric - 1) / SeriesPerMetric;
        for (var m = 0; m < metrics; m++)
        {
            applier.Apply(++index, 1, new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = new Monitor { Id = $"m{m}", Name = $"m{m}", Type = "metric alert", Query = $"avg(last_5m):avg:cpu{m}{{*}} > 90" } } });
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

            applier.Apply(++index, 1, new LogEntry { Points = batch });
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
    }
}
