using System.Text;
using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.State;

/// <summary>
/// Random rules, evaluation streams, ticks, edits, downtimes, snapshots and deletes, applied to both
/// <see cref="StateProcessor"/> and <see cref="ReferenceStateProcessor"/>; the events must be identical.
/// A failure names its seed; replay it with <see cref="RunCase"/> (e.g. by adding it to <see cref="Replays_known_seeds"/>).
/// </summary>
public sealed class StateProcessorDifferentialTests
{
    private const int Cases = 1500;
    private const int BaseSeed = 1_127_2026;
    private const long Minute = 60_000;
    private const long Hour = 60 * Minute;

    // A Monday, 00:00 UTC (2026-01-05), so weekly downtimes hit early in the run.
    private static readonly long Start = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    [Fact]
    public void Random_streams_emit_the_same_events_as_the_reference()
    {
        for (int i = 0; i < Cases; i++)
        {
            RunCase(BaseSeed + i);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    public void Replays_known_seeds(int seed) => RunCase(seed);

    /// <summary>Runs one case; on failure runs it again with a log of every step and reports both.</summary>
    internal static void RunCase(int seed)
    {
        try
        {
            Run(seed, log: null);
        }
        catch (Exception first)
        {
            var log = new StringBuilder();
            try
            {
                Run(seed, log);
            }
            catch (Exception)
            {
                // The logged replay failed the same way; report the story.
            }

            throw new InvalidOperationException($"seed {seed} failed (replay with RunCase({seed})): {first.Message}\n{log}", first);
        }
    }

    private static void Run(int seed, StringBuilder? log)
    {
        var rng = new Random(seed);
        const string monitorId = "m1";
        ulong queryHash = 1;
        var kind = MonitorKind.Metric;
        var rules = RandomRules(rng, monitorId, kind, queryHash);
        log?.AppendLine($"rules {Describe(rules)}");

        int groupCount = rng.Next(1, 4);
        string[] keys = [.. Enumerable.Range(0, groupCount).Select(j => $"host:h{j}")];
        string[][] tags = [.. keys.Select(k => new[] { k, rng.Next(2) == 0 ? "env:prod" : "env:dev" })];
        var real = new GroupState?[groupCount];
        var model = new ReferenceStateProcessor.Group?[groupCount];
        var reference = new ReferenceStateProcessor();
        var sink = new ListSink();
        var set = new DowntimeSet();
        var downtimes = new SortedDictionary<string, Downtime>(StringComparer.Ordinal);

        long now = Start + (rng.Next(0, 48) * Hour);
        long logIndex = 0;
        int compared = 0;
        int steps = rng.Next(20, 160);
        for (int step = 0; step < steps; step++)
        {
            now += rng.NextDouble() switch
            {
                < 0.6 => rng.Next(1, 6) * Minute,
                < 0.9 => rng.Next(0, 40) * Minute,
                _ => rng.Next(1, 30) * Hour,
            };
            logIndex++;
            double op = rng.NextDouble();
            if (op < 0.78)
            {
                int j = rng.Next(groupCount);
                if (real[j] is null)
                {
                    real[j] = GroupState.Create(keys[j], now);
                    model[j] = new ReferenceStateProcessor.Group(keys[j], now);
                }

                var outcome = RandomOutcome(rng, rules, now);
                var mute = set.Evaluate(monitorId, keys[j], tags[j], now);
                var referenceMute = ReferenceMute(downtimes.Values, monitorId, keys[j], tags[j], now);
                if (mute != referenceMute)
                {
                    Assert.Fail($"step {step}: downtime coverage {mute} vs reference {referenceMute}\n");
                }

                log?.AppendLine($"{step} t={now - Start} eval {keys[j]} {outcome} {mute}");
                var state = real[j]!.Value;
                StateProcessor.Evaluate(rules, ref state, now, in outcome, mute, logIndex, ref sink);
                real[j] = state;
                reference.Evaluate(rules, model[j]!, now, outcome, referenceMute, logIndex);
            }
            else if (op < 0.88)
            {
                log?.AppendLine($"{step} t={now - Start} tick");
                ForEachGroup((j, ref state) =>
                {
                    var mute = set.Evaluate(monitorId, keys[j], tags[j], now);
                    StateProcessor.UpdateMute(rules, ref state, now, mute, logIndex, ref sink);
                    reference.UpdateMute(rules, model[j]!, now, ReferenceMute(downtimes.Values, monitorId, keys[j], tags[j], now), logIndex);
                });
            }
            else if (op < 0.93)
            {
                if (rng.NextDouble() < 0.4)
                {
                    queryHash++;
                }

                if (rng.NextDouble() < 0.1)
                {
                    kind = kind == MonitorKind.Metric ? MonitorKind.Check : MonitorKind.Metric;
                }

                var edited = RandomRules(rng, monitorId, kind, queryHash);
                log?.AppendLine($"{step} t={now - Start} edit {Describe(edited)}");
                var old = rules;
                ForEachGroup((j, ref state) =>
                {
                    StateProcessor.OnMonitorEdited(old, edited, ref state, now, logIndex, ref sink);
                    reference.OnMonitorEdited(old, edited, model[j]!, now, logIndex);
                });
                rules = edited;
            }
            else if (op < 0.97)
            {
                string id = $"d{rng.Next(4)}";
                if (rng.NextDouble() < 0.25)
                {
                    log?.AppendLine($"{step} t={now - Start} downtime delete {id}");
                    set.Remove(id);
                    downtimes.Remove(id);
                }
                else
                {
                    var downtime = RandomDowntime(rng, id, now, keys);
                    log?.AppendLine($"{step} t={now - Start} downtime {downtime}");
                    set.Upsert(DowntimeModel.FromProto(downtime));
                    downtimes[id] = downtime;
                }
            }
            else
            {
                log?.AppendLine($"{step} t={now - Start} snapshot");
                ForEachGroup((_, ref state) => state = RoundTrip(state));
            }

            compared = CompareEvents(step, compared, sink.Events, reference.Events);
        }

        Seen.AddRange(sink.Events);
        if (rng.NextDouble() < 0.3)
        {
            now += Minute;
            log?.AppendLine($"t={now - Start} delete");
            ForEachGroup((j, ref state) =>
            {
                StateProcessor.OnMonitorDeleted(rules, ref state, now, logIndex, ref sink);
                reference.OnMonitorDeleted(rules, model[j]!, now, logIndex);
            });
            CompareEvents(steps, compared, sink.Events, reference.Events);
            for (int j = 0; j < groupCount; j++)
            {
                Assert.True(real[j] is null || real[j]!.Value.State == AlertState.Ok, "a deleted group is left open");
            }
        }

        void ForEachGroup(GroupAction action)
        {
            for (int j = 0; j < groupCount; j++)
            {
                if (real[j] is { } value)
                {
                    var state = value;
                    action(j, ref state);
                    real[j] = state;
                }
            }
        }
    }

    internal static readonly List<TransitionEvent> Seen = [];

    private delegate void GroupAction(int index, ref GroupState state);

    private static GroupState RoundTrip(GroupState state)
    {
        byte[] first = Serialize(state);
        using var reader = new BinaryReader(new MemoryStream(first));
        var restored = GroupState.ReadFrom(reader);
        Assert.True(first.AsSpan().SequenceEqual(Serialize(restored)), "snapshot bytes differ after a round trip");
        return restored;
    }

    internal static byte[] Serialize(GroupState state)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            state.WriteTo(writer);
        }

        return stream.ToArray();
    }

    /// <summary>Compares the events emitted since <paramref name="from"/>; returns how many are now known equal.</summary>
    private static int CompareEvents(int step, int from, List<TransitionEvent> actual, List<TransitionEvent> expected)
    {
        int common = Math.Min(actual.Count, expected.Count);
        for (int i = from; i < common; i++)
        {
            if (actual[i] != expected[i])
            {
                Assert.Fail($"step {step}: event {i} differs\n actual    {actual[i]}\n reference {expected[i]}");
            }
        }

        if (actual.Count != expected.Count)
        {
            Assert.Fail($"step {step}: {actual.Count} events vs reference {expected.Count}; extra: {(actual.Count > common ? actual[common] : expected[common])}");
        }

        return common;
    }

    private static MuteStatus ReferenceMute(IEnumerable<Downtime> downtimes, string monitorId, string group, string[] tags, long now)
    {
        var covering = downtimes.Where(d => ReferenceDowntimes.Covers(d, monitorId, group, tags, now)).ToList();
        var onExpire = DowntimeEndStates.None;
        var onCancel = DowntimeEndStates.None;
        foreach (var d in covering)
        {
            // Datadog v2 notify_end_types × notify_end_states; legacy notify_end_if_alerting = ALERT on both.
            var states = d.NotifyEnd is null
                ? (d.NotifyEndIfAlerting ? DowntimeEndStates.Alert : DowntimeEndStates.None)
                : d.NotifyEnd.States.Aggregate(DowntimeEndStates.None, (m, s) => m | s switch { "alert" => DowntimeEndStates.Alert, "warn" => DowntimeEndStates.Warn, _ => DowntimeEndStates.NoData });
            onExpire |= d.NotifyEnd is null || d.NotifyEnd.Types_.Contains("expired") ? states : DowntimeEndStates.None;
            onCancel |= d.NotifyEnd is null || d.NotifyEnd.Types_.Contains("canceled") ? states : DowntimeEndStates.None;
        }

        return new MuteStatus(covering.Count > 0, onExpire, onCancel);
    }

    private static EvaluationOutcome RandomOutcome(Random rng, MonitorRules rules, long now)
    {
        // The newest point seen: mostly recent, sometimes hours old (data stopped), rarely ahead of now.
        long newest = rng.NextDouble() switch
        {
            < 0.75 => now - (rng.Next(0, 6) * Minute),
            < 0.95 => now - (rng.Next(0, 8) * Hour) - (rng.Next(0, 60) * Minute),
            _ => now + (rng.Next(1, 60) * 1000),
        };
        if (rng.NextDouble() < 0.15)
        {
            return rng.NextDouble() < 0.6 ? EvaluationOutcome.NoData : EvaluationOutcome.NoData with { NewestPointMs = newest };
        }

        double[] anchors = [.. new double?[] { rules.Critical, rules.Warning, rules.CriticalRecovery, rules.WarningRecovery }.OfType<double>()];
        double value = rng.NextDouble() < 0.7
            ? anchors[rng.Next(anchors.Length)] + (new[] { -5, -1, -0.5, 0, 0, 0.5, 1, 5 }[rng.Next(8)])
            : rules.Critical + ((rng.NextDouble() - 0.5) * 80);
        return EvaluationOutcome.Of(value, newest, fullWindow: rng.NextDouble() > 0.15);
    }

    private static MonitorRules RandomRules(Random rng, string monitorId, MonitorKind kind, ulong queryHash)
    {
        var comparator = (Comparator)rng.Next(4);
        bool above = comparator is Comparator.Greater or Comparator.GreaterOrEqual;
        double sign = above ? -1 : 1;
        double critical = 50 + (rng.Next(-3, 4) * 10);
        var t = new Thresholds { Critical = critical };
        double warning = critical + (sign * rng.Next(1, 20));
        if (rng.NextDouble() < 0.5)
        {
            t.Warning = warning;
            if (rng.NextDouble() < 0.5)
            {
                t.WarningRecovery = warning + (sign * rng.Next(1, 10));
            }
        }

        if (rng.NextDouble() < 0.5)
        {
            t.CriticalRecovery = critical + (sign * rng.Next(1, 25));
        }

        var o = new MonitorOptions { Thresholds = t };
        if (rng.NextDouble() < 0.3)
        {
            o.NewGroupDelayMs = rng.Next(1, 20) * Minute;
        }

        o.RequireFullWindow = rng.NextDouble() < 0.3;
        o.Muted = rng.NextDouble() < 0.15;
        if (rng.NextDouble() < 0.2)
        {
            o.EvaluationDelayMs = rng.Next(1, 10) * Minute;
        }

        if (rng.NextDouble() < 0.5)
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = rng.Next(1, 60) * Minute;
        }

        if (rng.NextDouble() < 0.5)
        {
            o.RenotifyIntervalMs = rng.Next(1, 60) * Minute;
            o.RenotifyOccurrences = rng.Next(0, 4);
            foreach (string status in new[] { "alert", "warn", "no data" })
            {
                if (rng.NextDouble() < 0.4)
                {
                    o.RenotifyStatuses.Add(status);
                }
            }
        }

        if (rng.NextDouble() < 0.3)
        {
            o.TimeoutMs = rng.Next(10, 300) * Minute;
        }

        if (rng.NextDouble() < 0.4)
        {
            o.ForMs = rng.Next(1, 20) * Minute;
        }

        if (rng.NextDouble() < 0.4)
        {
            o.KeepFiringForMs = rng.Next(1, 20) * Minute;
        }

        if (rng.NextDouble() < 0.4)
        {
            // Integer thresholds: the reference's floating sum is rounded, and k/19 never lands near an integer unless on it.
            o.FlapDetection = true;
            o.FlapLowPercent = rng.Next(0, 31);
            o.FlapHighPercent = o.FlapLowPercent == 0 ? 0 : o.FlapLowPercent + rng.Next(1, 40);
        }

        return MonitorRules.FromProto(monitorId, kind, queryHash, comparator, o);
    }

    private static readonly string[] EndTypes = ["expired", "canceled"];
    private static readonly string[] EndStates = ["alert", "warn", "no data"];

    private static Downtime RandomDowntime(Random rng, string id, long now, string[] keys)
    {
        var d = new Downtime
        {
            Id = id,
            MonitorId = new[] { "", "", "m1", "m2" }[rng.Next(4)],
            Group = rng.NextDouble() < 0.3 ? keys[rng.Next(keys.Length)] : "",
            StartUnixMs = now + (rng.Next(-120, 600) * Minute),
            NotifyEndIfAlerting = rng.NextDouble() < 0.5,
        };
        if (rng.NextDouble() < 0.5)
        {
            d.NotifyEnd = new DowntimeNotifyEnd();
            d.NotifyEnd.Types_.AddRange(EndTypes.Where(_ => rng.NextDouble() < 0.6));
            d.NotifyEnd.States.AddRange(EndStates.Where(_ => rng.NextDouble() < 0.6));
        }

        d.EndUnixMs = rng.NextDouble() < 0.2 ? 0 : d.StartUnixMs + (rng.Next(10, 10 * 24 * 60) * Minute);
        if (rng.NextDouble() < 0.3)
        {
            d.Scope.Add("env:prod");
        }

        if (rng.NextDouble() < 0.15)
        {
            d.Scope.Add(keys[rng.Next(keys.Length)]);
        }

        switch (rng.Next(3))
        {
            case 1:
                var days = DayNames.Where(_ => rng.NextDouble() < 0.4).DefaultIfEmpty(DayNames[rng.Next(7)]);
                d.Recurrence = $"weekly days={string.Join(',', days)} start={rng.Next(24):D2}:{rng.Next(4) * 15:D2} duration={rng.Next(30, 3000)}m";
                break;
            case 2:
                int everyH = rng.Next(1, 48);
                d.Recurrence = $"interval every={everyH}h duration={rng.Next(1, everyH * 60)}m";
                break;
            default:
                break;
        }

        return d;
    }

    private static string Describe(MonitorRules r) =>
        $"{r.Kind} q={r.QueryHash} {r.Comparator} c={r.Critical} w={r.Warning} cr={r.CriticalRecovery} wr={r.WarningRecovery} ngd={r.NewGroupDelayMs} delay={r.EvaluationDelayMs} full={r.RequireFullWindow} nd={r.NotifyNoData}/{r.NoDataTimeframeMs} " +
        $"renotify={r.RenotifyIntervalMs}/{r.RenotifyStatuses}/{r.RenotifyOccurrences} timeout={r.TimeoutMs} for={r.ForMs} kff={r.KeepFiringForMs} flap={r.FlapDetection}/{r.FlapLowPercent}/{r.FlapHighPercent} muted={r.Muted}";
}
