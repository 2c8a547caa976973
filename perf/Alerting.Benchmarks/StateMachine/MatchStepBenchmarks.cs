using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Benchmarks.StateMachine;

/// <summary>
/// Issue 7 item 3 (bounded work per entry): the longest an entry holds the state machine when
/// one monitor's scope reaches all the series of a metric. <see cref="SeriesCount"/> series of
/// <c>cpu</c> (100 000 is the per-metric limit) exist; the monitor
/// <c>max(last_1m):max:cpu{*} by {host}</c> (one group per series) is upserted.
/// <see cref="UpsertMatchingAll"/>: the match done in the upsert entry, as before stepping (the
/// step limit set above the series count). <see cref="UpsertFirstStep"/>: the upsert entry with
/// the default <see cref="IngestLimits.MatchStepSeries"/>. <see cref="TickStep"/>: one tick's
/// step of the match that upsert left going. Fresh state per iteration, one invocation each.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 7)]
public class MatchStepBenchmarks
{
    private const long T0 = 1_800_000_000_000;

    private LogEntry _points = null!;
    private LogEntry _upsert = null!;
    private LogApplier _applier = null!;
    private long _index;

    [Params(100_000)]
    public int SeriesCount { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var batch = new PointsBatch();
        for (var i = 0; i < SeriesCount; i++)
        {
            var series = new SeriesPoints { Metric = "cpu", Tags = { "host:h" + i.ToString(CultureInfo.InvariantCulture), "env:prod" } };
            series.UnixMs.Add(T0);
            series.Values.Add(i % 100);
            batch.Series.Add(series);
        }

        _points = new LogEntry { Points = batch };
        var monitor = new Monitor { Id = "all", Name = "cpu by host", Type = "metric", Query = "max(last_1m):max:cpu{*} by {host} > 90", Options = new MonitorOptions() };
        _upsert = new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = monitor } };
    }

    [IterationSetup(Target = nameof(UpsertMatchingAll))]
    public void SeriesExistStepAboveThem() => Fresh(new IngestLimits { MatchStepSeries = SeriesCount + 1 });

    [IterationSetup(Target = nameof(UpsertFirstStep))]
    public void SeriesExist() => Fresh(new IngestLimits());

    [IterationSetup(Target = nameof(TickStep))]
    public void MatchGoing()
    {
        Fresh(new IngestLimits());
        Apply(_upsert);
    }

    /// <summary>The whole match in one entry: what an upsert cost before matching was stepped.</summary>
    [Benchmark(Baseline = true)]
    public int UpsertMatchingAll()
    {
        Apply(_upsert);
        return _applier.State.MatchesPending;
    }

    /// <summary>The upsert entry, now: one step of the match.</summary>
    [Benchmark]
    public int UpsertFirstStep()
    {
        Apply(_upsert);
        return _applier.State.MatchesPending;
    }

    /// <summary>A tick carrying the match on by one step.</summary>
    [Benchmark]
    public int TickStep()
    {
        Apply(new LogEntry { Tick = new Tick { UnixMs = T0 + 100 } });
        return _applier.State.MatchesPending;
    }

    private void Fresh(IngestLimits limits)
    {
        _applier = new LogApplier(new EngineState(limits));
        _index = 0;
        Apply(new LogEntry { Tick = new Tick { UnixMs = T0 } });
        Apply(_points);
    }

    private void Apply(LogEntry entry) => _applier.Apply(++_index, 1, entry);
}
