using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Benchmarks.StateMachine;

/// <summary>
/// B6: matching monitors and series at scale, through the real apply path (<see cref="LogApplier"/>).
/// N monitors <c>avg(last_5m):avg:cpu{host:hN} &gt; 90</c> on one metric, one host each.
/// <see cref="FirstWriteOfNewSeries"/>: the monitors exist, one <c>PointsBatch</c> brings the
/// first point of N new series. <see cref="MonitorsOverExistingSeries"/>: the series exist, N
/// monitor upserts (one log entry each) match them. Bar: time(100 000) / time(10 000) ≤ 12
/// (linear) and 100 000 in ≤ 1 s. Each iteration starts from a fresh state built in
/// <see cref="IterationSetupAttribute"/>, so one invocation per iteration. <see cref="CompileOnly"/>
/// separates the cost of compiling the definitions from the cost of matching.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class MatchingBenchmarks
{
    private const long T0 = 1_800_000_000_000;

    private LogEntry[] _monitorEntries = null!;
    private LogEntry _points = null!;
    private LogApplier _applier = null!;
    private long _index;

    [Params(10_000, 100_000)]
    public int N { get; set; }

    /// <summary>
    /// <c>host</c>: <c>{host:hN}</c>. <c>boolean</c>: <c>{(host:hN AND env:prod) OR (host:hN AND
    /// env:staging),NOT role:db*}</c>, which the match index files under <c>host:hN</c>, the tag
    /// both branches of the OR need.
    /// </summary>
    [Params("host", "boolean")]
    public string Scope { get; set; } = "host";

    [GlobalSetup]
    public void Setup()
    {
        _monitorEntries = new LogEntry[N];
        var batch = new PointsBatch();
        for (var i = 0; i < N; i++)
        {
            var host = "h" + i.ToString(CultureInfo.InvariantCulture);
            var monitor = new Monitor
            {
                Id = "m" + i.ToString(CultureInfo.InvariantCulture),
                Name = "cpu " + host,
                Type = "metric",
                Query = Scope == "host"
                    ? $"avg(last_5m):avg:cpu{{host:{host}}} > 90"
                    : $"avg(last_5m):avg:cpu{{(host:{host} AND env:prod) OR (host:{host} AND env:staging),NOT role:db*}} > 90",
                Options = new MonitorOptions(),
            };
            _monitorEntries[i] = new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = monitor } };
            var series = new SeriesPoints { Metric = "cpu", Tags = { "host:" + host, "env:prod" } };
            series.UnixMs.Add(T0);
            series.Values.Add(i % 100);
            batch.Series.Add(series);
        }

        _points = new LogEntry { Points = batch };
    }

    [IterationSetup(Target = nameof(FirstWriteOfNewSeries))]
    public void MonitorsExist()
    {
        Fresh();
        foreach (var entry in _monitorEntries)
        {
            Apply(entry);
        }
    }

    [IterationSetup(Target = nameof(MonitorsOverExistingSeries))]
    public void SeriesExist()
    {
        Fresh();
        Apply(_points);
    }

    /// <summary>N monitors exist; one entry creates N new series, each joining its monitor.</summary>
    [Benchmark]
    public int FirstWriteOfNewSeries()
    {
        Apply(_points);
        return _applier.State.SeriesCount;
    }

    /// <summary>N series exist; N monitor upserts each find their series.</summary>
    [Benchmark]
    public int MonitorsOverExistingSeries()
    {
        foreach (var entry in _monitorEntries)
        {
            Apply(entry);
        }

        return _applier.State.MonitorCount;
    }

    /// <summary>
    /// Not matching: what compiling the N definitions alone costs (parse, rules, template), the
    /// part of <see cref="MonitorsOverExistingSeries"/> that does not depend on the series.
    /// </summary>
    [Benchmark]
    public int CompileOnly()
    {
        foreach (var entry in _monitorEntries)
        {
            MonitorCompiler.Validate(entry.MonitorUpserted.Monitor);
        }

        return _monitorEntries.Length;
    }

    private void Fresh()
    {
        _applier = new LogApplier(new EngineState());
        _index = 0;
        Apply(new LogEntry { Tick = new Tick { UnixMs = T0 } });
    }

    private void Apply(LogEntry entry) => _applier.Apply(++_index, 1, entry);
}
