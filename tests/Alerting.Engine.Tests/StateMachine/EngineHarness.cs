using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>Feeds entries to a <see cref="LogApplier"/> with consecutive indexes and records the events.</summary>
internal sealed class EngineHarness
{
    public const long Start = 1_800_000_000_000;

    private long _index;

    public EngineHarness(IngestLimits? limits = null)
    {
        Applier = new LogApplier(new EngineState(limits), events => Events.AddRange(events));
        Tick(Start);
    }

    /// <summary>Continues from a restored state: its entries follow the state's applied index.</summary>
    public EngineHarness(EngineState restored)
    {
        Applier = new LogApplier(restored, events => Events.AddRange(events));
        _index = restored.AppliedIndex;
    }

    public LogApplier Applier { get; }

    public EngineState State => Applier.State;

    public List<TransitionEvent> Events { get; } = [];

    public long LastIndex => _index;

    public long Now => State.LogicalTimeMs;

    public long Apply(LogEntry entry)
    {
        Applier.Apply(++_index, 1, entry);
        return _index;
    }

    /// <summary>Applies the entry at the next index and returns what the state machine answered.</summary>
    public ApplyResult Answer(LogEntry entry) => Applier.Apply(++_index, 1, entry);

    public long Tick(long unixMs) => Apply(new LogEntry { Tick = new Tick { UnixMs = unixMs } });

    /// <summary>Ticks every 100 ms up to <paramref name="unixMs"/>.</summary>
    public void TickTo(long unixMs)
    {
        for (var t = Now + 100; t <= unixMs; t += 100)
        {
            Tick(t);
        }

        if (Now < unixMs)
        {
            Tick(unixMs);
        }
    }

    public long Upsert(Monitor monitor) => Apply(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = monitor } });

    public long Delete(string id) => Apply(new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = id } });

    public long Downtime(Downtime downtime) => Apply(new LogEntry { DowntimeUpserted = new DowntimeUpserted { Downtime = downtime } });

    public long Point(string metric, string[] tags, long unixMs, double value)
    {
        var series = new SeriesPoints { Metric = metric, Tags = { tags } };
        series.UnixMs.Add(unixMs);
        series.Values.Add(value);
        return Apply(new LogEntry { Points = new PointsBatch { Series = { series } } });
    }

    public long Check(string check, string[] tags, long unixMs, CheckStatus status) =>
        Apply(new LogEntry { CheckRuns = new CheckRunsBatch { Runs = { new CheckRun { Check = check, Tags = { tags }, UnixMs = unixMs, Status = status } } } });

    public static Monitor Metric(string id, string query, Action<MonitorOptions>? options = null, int priority = 0, string message = "")
    {
        var monitor = new Monitor { Id = id, Name = id, Type = "metric", Query = query, Priority = priority, Message = message, Options = new MonitorOptions() };
        options?.Invoke(monitor.Options);
        return monitor;
    }
}
