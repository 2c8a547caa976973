using System.IO.Hashing;
using System.Text;
using Alerting.Engine.State;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// One monitor driven through the log: values are written as points (or check runs) at logical
/// time, and time moves by ticking to the monitor's evaluation instants, which the scenario
/// computes on its own from the documented rule (offset = XxHash64(id) mod interval), so a
/// schedule mistake in the engine shows up as an event at an unexpected time or log index.
/// </summary>
internal sealed class Scenario
{
    public const string Metric = "q";
    public const string CheckName = "app.ok";
    public const long DefaultTestIntervalMs = 10_000;
    public const long Minute = 60_000;

    private readonly Dictionary<long, long> _tickIndexByTime = [];
    private int _taken;

    public Scenario(Monitor monitor)
    {
        Monitor = monitor;
        Id = monitor.Id;
        IntervalMs = monitor.Options.EvaluationIntervalMs == 0 ? 60_000 : monitor.Options.EvaluationIntervalMs;
        Engine.Upsert(monitor);
    }

    public EngineHarness Engine { get; } = new();

    public Monitor Monitor { get; }

    public string Id { get; }

    public long IntervalMs { get; }

    public long Now => Engine.Now;

    public IReadOnlyList<GroupState> Groups => Engine.State.Monitors.GroupStates(Id);

    /// <summary>A metric monitor "m" on <see cref="Metric"/> evaluated every 10 s unless the options say otherwise.</summary>
    public static Scenario ForMetric(string query, Action<MonitorOptions>? options = null, string id = "m") =>
        new(EngineHarness.Metric(id, query, o =>
        {
            o.EvaluationIntervalMs = DefaultTestIntervalMs;
            options?.Invoke(o);
        }));

    /// <summary>A check monitor "c" over <see cref="CheckName"/> grouped by host, evaluated every 10 s.</summary>
    public static Scenario ForCheck(int lastRuns, Action<MonitorOptions>? options = null)
    {
        var monitor = new Monitor
        {
            Id = "c",
            Name = "c",
            Type = "check",
            Query = $"\"{CheckName}\".over(\"*\").by(\"host\").last({lastRuns}).count_by_status()",
            Options = new MonitorOptions { EvaluationIntervalMs = DefaultTestIntervalMs },
        };
        options?.Invoke(monitor.Options);
        return new Scenario(monitor);
    }

    public static long Offset(string id, long intervalMs) =>
        (long)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(id)) % (ulong)intervalMs);

    /// <summary>The first evaluation instant strictly after <paramref name="afterMs"/>: offset + k × interval.</summary>
    public static long InstantAfter(string id, long intervalMs, long afterMs)
    {
        var offset = Offset(id, intervalMs);
        return offset + (((afterMs - offset) / intervalMs) + 1) * intervalMs;
    }

    public long NextInstant() => InstantAfter(Id, IntervalMs, Now);

    public long InstantAtOrAfter(long ms) => InstantAfter(Id, IntervalMs, ms - 1);

    /// <summary>Log index of the tick this scenario issued at <paramref name="timeMs"/>.</summary>
    public long TickIndexAt(long timeMs) => _tickIndexByTime[timeMs];

    public long Write(double value, params string[] tags) => Engine.Point(Metric, tags, Now, value);

    public long Run(CheckStatus status, string host = "a") => Engine.Check(CheckName, ["host:" + host], Now, status);

    /// <summary>Ticks to the next evaluation instant; returns the tick's log index.</summary>
    public long Evaluate() => Tick(NextInstant());

    public long Tick(long timeMs)
    {
        var index = Engine.Tick(timeMs);
        _tickIndexByTime[timeMs] = index;
        return index;
    }

    /// <summary>Writes <paramref name="value"/> now, then evaluates at the next instant (which sees it).</summary>
    public long Step(double value, params string[] tags)
    {
        Write(value, tags);
        return Evaluate();
    }

    public long Step(CheckStatus status, string host = "a")
    {
        Run(status, host);
        return Evaluate();
    }

    /// <summary>Steps with <paramref name="value"/> through every instant up to <paramref name="throughMs"/>.</summary>
    public void Hold(double value, long throughMs, params string[] tags)
    {
        while (NextInstant() <= throughMs)
        {
            Step(value, tags);
        }
    }

    /// <summary>Evaluates every instant up to <paramref name="throughMs"/> without writing data.</summary>
    public void Idle(long throughMs)
    {
        while (NextInstant() <= throughMs)
        {
            Evaluate();
        }
    }

    /// <summary>The events emitted since the last call.</summary>
    public List<TransitionEvent> Take()
    {
        var events = Engine.Events.GetRange(_taken, Engine.Events.Count - _taken);
        _taken = Engine.Events.Count;
        return events;
    }
}
