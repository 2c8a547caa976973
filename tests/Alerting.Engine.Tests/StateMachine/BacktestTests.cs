using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using CsCheck;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// <see cref="Backtest"/> against the live state machine as its model: the same log, applied to a live
/// state that held the monitor from the start, produces the same transitions within the backtest's
/// range as the private replay that starts only one warm-up before it.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class BacktestTests
{
    private const long OriginMs = 1_800_000_000_000;
    private const long TickMs = 1_000;
    private const long StepMs = 10_000;

    private static readonly string[] Aggregations = ["avg", "max", "min", "last", "sum"];

    [Fact]
    public void A_backtest_reproduces_the_live_transitions_in_its_range_whenever_the_state_depends_only_on_the_window()
    {
        var scenario =
            from aggregation in Gen.Int[0, Aggregations.Length - 1]
            from windowMinutes in Gen.Int[1, 3]
            from intervalSteps in Gen.Int[1, 6]
            from onArrival in Gen.Bool
            from values in Gen.Int[0, 1].Select(v => v == 0 ? 50.0 : 95.0).Array[2].Array[30, 90]
            from fromStep in Gen.Int[0, 89]
            select new Scenario(Aggregations[aggregation], windowMinutes, intervalSteps * StepMs, onArrival, values, Math.Min(fromStep, values.Length - 1));

        scenario.Sample(Check, iter: 200, print: s => s.ToString());
    }

    [Fact]
    public void Events_outside_the_range_are_left_out_other_monitors_are_not_created_and_the_limit_is_named()
    {
        var monitor = Monitor("max", windowMinutes: 1, intervalMs: StepMs, onArrival: true);
        var entries = new List<LogEntry> { new() { Tick = new Tick { UnixMs = OriginMs } } };
        entries.Add(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = new Monitor { Id = "other", Name = "other", Type = "metric", Query = "max(last_1m):avg:cpu{*} > 1" } } });
        entries.AddRange(Run([[95, 95], [50, 50], [95, 95]], startMs: OriginMs + TickMs));

        var all = Replay(new Backtest(monitor, OriginMs, OriginMs + (10 * 60_000), maxEvents: 100), entries);
        var late = Replay(new Backtest(monitor, OriginMs + (2 * StepMs), OriginMs + (10 * 60_000), maxEvents: 100), entries);
        var limited = Assert.Throws<BacktestLimitException>(() => Replay(new Backtest(monitor, OriginMs, OriginMs + (10 * 60_000), maxEvents: 1), entries));

        Assert.Equal(["host:a", "host:b"], all.Events.Where(e => e.Event.Next == AlertState.Alert).Select(e => e.Event.GroupKey).Order(StringComparer.Ordinal));
        Assert.All(late.Events, e => Assert.True(e.Event.TimeMs >= OriginMs + (2 * StepMs), $"{e.Event} is before the range"));
        Assert.All(all.Events, e => Assert.Equal("m", e.Event.MonitorId));
        Assert.Equal(("max_transitions", 1L), (limited.Limit, limited.Value));
    }

    private static void Check(Scenario s)
    {
        var monitor = Monitor(s.Aggregation, s.WindowMinutes, s.IntervalMs, s.OnArrival);
        var entries = Run(s.Values, startMs: OriginMs);
        long fromMs = OriginMs + (s.FromStep * StepMs);
        long toMs = OriginMs + (s.Values.Length * StepMs);

        // The model: the live state machine, holding the monitor from the first tick.
        var live = new List<TransitionEvent>();
        var applier = new LogApplier(new EngineState(), live.AddRange);
        long index = 0;
        applier.Apply(++index, 1, entries[0]);
        applier.Apply(++index, 1, new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = monitor } });
        foreach (var entry in entries.Skip(1))
        {
            applier.Apply(++index, 1, entry);
        }

        // The backtest starts as the server starts it: at the last tick before the warm-up start.
        long replayFromMs = fromMs - Backtest.WarmUpMs(monitor);
        int start = entries.FindLastIndex(e => e.BodyCase == LogEntry.BodyOneofCase.Tick && e.Tick.UnixMs < replayFromMs);
        var backtest = Replay(new Backtest(monitor, fromMs, toMs, maxEvents: 10_000), entries.Skip(Math.Max(0, start)));

        var expected = live.Where(e => e.TimeMs >= fromMs && e.TimeMs <= toMs).Select(Key).ToList();
        Assert.Equal(expected, backtest.Events.Select(e => Key(e.Event)).ToList());
    }

    private static (string, AlertState, AlertState, long, double) Key(TransitionEvent e) => (e.GroupKey, e.Previous, e.Next, e.TimeMs, e.Value);

    private static Backtest Replay(Backtest backtest, IEnumerable<LogEntry> entries)
    {
        long source = 0;
        foreach (var entry in entries)
        {
            backtest.Apply(++source, entry);
        }

        return backtest;
    }

    /// <summary>A tick every second from <paramref name="startMs"/>; hosts a and b report their value of each 10 s step on its tick.</summary>
    private static List<LogEntry> Run(double[][] values, long startMs)
    {
        var entries = new List<LogEntry>();
        for (long t = 0; t < values.Length * StepMs; t += TickMs)
        {
            entries.Add(new LogEntry { Tick = new Tick { UnixMs = startMs + t } });
            if (t % StepMs == 0)
            {
                var batch = new PointsBatch();
                var step = values[t / StepMs];
                for (var host = 0; host < step.Length; host++)
                {
                    var series = new SeriesPoints { Metric = "cpu", Tags = { host == 0 ? "host:a" : "host:b" } };
                    series.UnixMs.Add(startMs + t);
                    series.Values.Add(step[host]);
                    batch.Series.Add(series);
                }

                entries.Add(new LogEntry { Points = batch });
            }
        }

        return entries;
    }

    /// <summary>A threshold monitor without recovery thresholds, no-data or renotification: its state is a function of its window.</summary>
    private static Monitor Monitor(string aggregation, int windowMinutes, long intervalMs, bool onArrival) => new()
    {
        Id = "m",
        Name = "cpu",
        Type = "metric",
        Query = $"{aggregation}(last_{windowMinutes}m):avg:cpu{{*}} by {{host}} > 90",
        Message = "{{value}}",
        Options = new MonitorOptions { EvaluationIntervalMs = intervalMs, NewGroupDelayMs = 0, OnArrival = onArrival },
    };

    private sealed record Scenario(string Aggregation, int WindowMinutes, long IntervalMs, bool OnArrival, double[][] Values, int FromStep)
    {
        public override string ToString() =>
            $"{Aggregation}(last_{WindowMinutes}m) every {IntervalMs} ms, on_arrival {OnArrival}, from step {FromStep}: " +
            string.Join(' ', Values.Select(v => string.Join('/', v)));
    }
}
