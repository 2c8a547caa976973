using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Google.Protobuf;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Benchmarks.StateMachine;

/// <summary>
/// M6: managed-heap growth (<see cref="GC.GetTotalMemory(bool)"/> after a full collection) of an
/// engine state per monitor and per series, through the real apply path. First N single-series
/// monitors <c>avg(last_5m):avg:cpu{host:hN} &gt; 90</c> (no series yet: the monitor without its
/// groups), then the first point of their N series (each series with its 5-minute window, and
/// the one group it opens). Entries are built and dropped one batch at a time, so what the
/// state keeps of them (the monitor definitions) is counted. Bar: ≤ 400 B per monitor and
/// ≤ 1 KiB per series.
/// </summary>
internal static class MemoryFootprint
{
    private const long T0 = 1_800_000_000_000;
    private const int BatchSize = 1_000;

    /// <param name="hold">
    /// Waits for a line on standard input once the monitors are in, and again once the series are,
    /// so a heap dump (<c>dotnet-gcdump collect -p PID</c>) can be taken of each state.
    /// </param>
    /// <param name="compact">
    /// Compacts the large-object heap at each reading, which a plain full collection leaves with the
    /// holes of the arrays that outgrew their room: the figures are then live objects only.
    /// </param>
    public static void Run(int n, bool hold = false, bool compact = false)
    {
        var applier = new LogApplier(new EngineState());
        long index = 0;
        applier.Apply(++index, 1, new LogEntry { Tick = new Tick { UnixMs = T0 } });
        var start = Reading(compact);

        for (var i = 0; i < n; i++)
        {
            applier.Apply(++index, 1, new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = MonitorFor(i) } });
        }

        var afterMonitors = Reading(compact);
        Hold(hold, "monitors in");
        for (var from = 0; from < n; from += BatchSize)
        {
            var batch = new PointsBatch();
            for (var i = from; i < Math.Min(n, from + BatchSize); i++)
            {
                var series = new SeriesPoints { Metric = "cpu", Tags = { "host:" + Host(i) } };
                series.UnixMs.Add(T0);
                series.Values.Add(i % 100);
                batch.Series.Add(series);
            }

            applier.Apply(++index, 1, new LogEntry { Points = batch });
        }

        var afterSeries = Reading(compact);
        Hold(hold, "series in");
        GC.KeepAlive(applier);
        var (definitionBytes, compiledBytes) = MonitorParts(n);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"M6{(compact ? " (large-object heap compacted at each reading)" : "")}, N = {n:N0}: {applier.State.MonitorCount:N0} monitors, {applier.State.SeriesCount:N0} series"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  per monitor (without groups): {(afterMonitors - start) / (double)n:F0} B   (bar ≤ 400 B)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    the definition parsed from the log (not kept: the compiled form keeps its bytes): {definitionBytes:F0} B; the compiled form (definition bytes, query, rules, template): {compiledBytes:F0} B"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  per series (5-min window, its group): {(afterSeries - afterMonitors) / (double)n:F0} B   (bar ≤ 1 024 B)"));
    }

    /// <summary>
    /// What two parts of a monitor take alone, per monitor: its definition parsed from log
    /// bytes (what the registry keeps), and what <see cref="MonitorCompiler.Compile"/> builds
    /// from it. The rest of the per-monitor figure is the registry, the scope index and the timer.
    /// </summary>
    private static (double Definition, double Compiled) MonitorParts(int n)
    {
        var bytes = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            bytes[i] = MonitorFor(i).ToByteArray();
        }

        var start = GC.GetTotalMemory(forceFullCollection: true);
        var definitions = new Monitor[n];
        for (var i = 0; i < n; i++)
        {
            definitions[i] = Monitor.Parser.ParseFrom(bytes[i]);
        }

        var afterDefinitions = GC.GetTotalMemory(forceFullCollection: true);
        var compiled = new CompiledMonitor[n];
        for (var i = 0; i < n; i++)
        {
            compiled[i] = MonitorCompiler.Compile(definitions[i]);
        }

        var afterCompiled = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(definitions);
        GC.KeepAlive(compiled);

        // The arrays holding them (8 B a reference) are not part of a monitor.
        return (((afterDefinitions - start) / (double)n) - 8, ((afterCompiled - afterDefinitions) / (double)n) - 8);
    }

    /// <summary>Managed heap after a full collection; with <paramref name="compact"/>, one that also compacts the large-object heap.</summary>
    private static long Reading(bool compact)
    {
        if (!compact)
        {
            return GC.GetTotalMemory(forceFullCollection: true);
        }

        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    private static void Hold(bool hold, string what)
    {
        if (hold)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: pid {Environment.ProcessId}, press enter"));
            Console.ReadLine();
        }
    }

    private static Monitor MonitorFor(int i) => new()
    {
        Id = "m" + i.ToString(CultureInfo.InvariantCulture),
        Name = "cpu " + Host(i),
        Type = "metric",
        Query = $"avg(last_5m):avg:cpu{{host:{Host(i)}}} > 90",
        Options = new MonitorOptions(),
    };

    private static string Host(int i) => "h" + i.ToString(CultureInfo.InvariantCulture);
}
