using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using CsCheck;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// <c>notify_by</c> (Datadog's notification grouping), through log entries: a monitor grouped by {cluster, host}
/// with <c>notify_by: [cluster]</c> notifies once per cluster; group transitions stay as they are but notify no one.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class NotifyByOptionTests
{
    private const string Query = "last(last_1m):avg:q{*} by {cluster,host} > 90";
    private static readonly string[] Hosts = ["cluster:a,host:a1", "cluster:a,host:a2", "cluster:b,host:b1", "cluster:b,host:b2"];

    private static Scenario Cluster(Action<MonitorOptions>? options = null, string message = "{{cluster.name}} {{host.name}} {{state}}") =>
        new(Monitor(options, message));

    private static Protocol.Log.Monitor Monitor(Action<MonitorOptions>? options, string message = "")
    {
        var monitor = EngineHarness.Metric("m", Query, o =>
        {
            o.EvaluationIntervalMs = Scenario.DefaultTestIntervalMs;
            o.Thresholds = new Thresholds { Warning = 80 };
            o.NotifyBy.Add("cluster");
            options?.Invoke(o);
        });
        monitor.Message = message;
        return monitor;
    }

    private static string[] Tags(string groupKey) => groupKey.Split(',');

    private static bool IsKey(in TransitionEvent e) => (e.Flags & GroupFlags.NotifyKey) != 0;

    private static List<TransitionHistory.HistoryItem> History(Scenario s)
    {
        var items = new List<TransitionHistory.HistoryItem>();
        _ = s.Engine.State.History.CopyFrom(0, items, int.MaxValue, out _);
        return items;
    }

    [Fact]
    public void Notify_by_naming_every_group_by_tag_notifies_per_group_without_key_events_that_would_repeat_its_ids()
    {
        // Each key would be one group under the group's own name: the monitor notifies per group, as without notify_by.
        var s = Cluster(o => o.NotifyBy.Add("host"));
        Assert.Null(s.Engine.State.Monitors.NotifyKeysOf("m"));
        s.Write(95, Tags(Hosts[0]));
        s.Evaluate();
        var alert = Assert.Single(s.Take());
        Assert.Equal(("cluster:a,host:a1", AlertState.Alert, 1UL, true), (alert.GroupKey, alert.Next, alert.TransitionNumber, alert.Notify));
        Assert.False(IsKey(alert));
    }

    [Fact]
    public void A_cluster_notifies_when_its_first_host_alerts_and_resolves_when_its_last_host_recovers()
    {
        var s = Cluster();
        s.Write(95, Tags(Hosts[0]));
        s.Write(50, Tags(Hosts[1]));
        s.Evaluate();
        var first = s.Take();
        s.Write(95, Tags(Hosts[0]));
        s.Write(95, Tags(Hosts[1]));
        s.Evaluate();
        var second = s.Take();
        s.Write(50, Tags(Hosts[0]));
        s.Write(95, Tags(Hosts[1]));
        s.Evaluate();
        var third = s.Take();
        s.Write(50, Tags(Hosts[0]));
        s.Write(50, Tags(Hosts[1]));
        s.Evaluate();
        var fourth = s.Take();

        // The groups' own transitions are as without notify_by, and notify no one.
        Assert.Equal([("cluster:a,host:a1", AlertState.Alert)], first.Where(e => !IsKey(e)).Select(e => (e.GroupKey, e.Next)));
        Assert.All(first.Concat(second).Concat(third).Concat(fourth).Where(e => !IsKey(e)), e => Assert.False(e.Notify));

        var key = Assert.Single(first, e => IsKey(e));
        Assert.Equal(("cluster:a", AlertState.Ok, AlertState.Alert, 1UL, true), (key.GroupKey, key.Previous, key.Next, key.TransitionNumber, key.Notify));
        Assert.DoesNotContain(second, e => IsKey(e));
        Assert.DoesNotContain(third, e => IsKey(e));
        var resolve = Assert.Single(fourth, e => IsKey(e));
        Assert.Equal(("cluster:a", AlertState.Alert, AlertState.Ok, 2UL), (resolve.GroupKey, resolve.Previous, resolve.Next, resolve.TransitionNumber));

        // The key's message renders the key's tags; a tag outside notify_by renders empty.
        var messages = History(s).Where(i => IsKey(i.Event)).Select(i => i.Message);
        Assert.Equal(["a  ALERT", "a  OK"], messages);
        Assert.Equal(0, s.Engine.State.Monitors.NotifyKeysOf("m")!.Count);
    }

    [Fact]
    public void Warn_then_alert_in_one_cluster_changes_the_keys_state_each_time_the_worst_changes()
    {
        var s = Cluster();
        s.Write(85, Tags(Hosts[0]));
        s.Evaluate();
        s.Write(85, Tags(Hosts[0]));
        s.Write(95, Tags(Hosts[1]));
        s.Evaluate();
        s.Write(85, Tags(Hosts[0]));
        s.Write(50, Tags(Hosts[1]));
        s.Evaluate();

        var keys = s.Take().Where(e => IsKey(e)).Select(e => (e.Previous, e.Next)).ToList();
        Assert.Equal([(AlertState.Ok, AlertState.Warn), (AlertState.Warn, AlertState.Alert), (AlertState.Alert, AlertState.Warn)], keys);
    }

    [Fact]
    public void Star_notifies_once_for_the_whole_monitor()
    {
        var s = Cluster(o =>
        {
            o.NotifyBy.Clear();
            o.NotifyBy.Add("*");
        });
        foreach (var host in Hosts)
        {
            s.Write(95, Tags(host));
        }

        s.Evaluate();
        var key = Assert.Single(s.Take(), e => IsKey(e));
        Assert.Equal(("*", AlertState.Alert), (key.GroupKey, key.Next));
    }

    [Fact]
    public void A_key_renotifies_once_per_renotify_interval_however_many_of_its_groups_renotify()
    {
        var s = Cluster(o => o.RenotifyIntervalMs = 20_000);
        for (var i = 0; i < 7; i++)
        {
            s.Write(95, Tags(Hosts[0]));
            if (i >= 1)
            {
                s.Write(95, Tags(Hosts[1]));
            }

            s.Evaluate();
        }

        var events = s.Take();
        Assert.True(events.Count(e => !IsKey(e) && e.IsRenotification) >= 3, "both hosts renotify on their own");
        var keys = events.Where(e => IsKey(e)).ToList();
        Assert.Equal([false, true, true, true], keys.Select(e => e.IsRenotification));
        for (var i = 2; i < keys.Count; i++)
        {
            Assert.True(keys[i].TimeMs - keys[i - 1].TimeMs >= 20_000, $"renotification {i} came {keys[i].TimeMs - keys[i - 1].TimeMs} ms after the one before");
        }
    }

    [Fact]
    public void A_muted_host_changes_its_cluster_without_notifying()
    {
        var s = Cluster();
        s.Engine.Downtime(new Downtime { Id = "d", MonitorId = "m", Group = Hosts[0], StartUnixMs = s.Now });
        s.Write(95, Tags(Hosts[0]));
        s.Evaluate();
        var key = Assert.Single(s.Take(), e => IsKey(e));
        Assert.Equal((AlertState.Alert, false), (key.Next, key.Notify));
        Assert.True((key.Flags & GroupFlags.Muted) != 0);
    }

    [Theory]
    [InlineData("host", null)]
    [InlineData("dc", "options.notify_by[0]")]
    [InlineData("*,host", "options.notify_by[0]")]
    public void Notify_by_names_group_by_tags_or_star_alone(string tags, string? field)
    {
        var monitor = Monitor(o =>
        {
            o.NotifyBy.Clear();
            o.NotifyBy.Add(tags.Split(','));
        });
        if (field is null)
        {
            MonitorCompiler.Validate(monitor);
            return;
        }

        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(monitor));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void A_tag_outside_the_group_by_is_refused_naming_the_tags_there_are()
    {
        var monitor = Monitor(o => o.NotifyBy.Add("dc"));
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(monitor));
        Assert.Equal("options.notify_by[1]", error.Field);
        Assert.Contains("\"dc\" is not one of the query's group-by tags (cluster, host)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The model: after every entry, each key's state is the worst of its groups' states (ALERT, WARN, NO DATA, OK),
    /// recomputed from all groups; the key events of the entry take each key from its last notified state to that
    /// state, one per change, never when it does not change; a key event notifies unless its group was muted.
    /// </summary>
    [Fact]
    public void Key_notifications_follow_the_worst_state_of_each_keys_groups()
    {
        // Per step and host: 0 no point, 1 OK, 2 WARN, 3 ALERT; 4 toggles a downtime on that host (on the step's
        // first evaluation). Each step holds for 1 to 8 evaluations, so a host without points goes NO DATA.
        var steps = Gen.Select(Gen.Int[0, 4].Array[Hosts.Length], Gen.Int[1, 8]).Array[5, 30];
        steps.Sample(RunModel, iter: 60, print: s => string.Join(" ", s.Select(step => $"{string.Concat(step.Item1)}x{step.Item2}")));
    }

    private static void RunModel((int[] Actions, int Repeat)[] steps)
    {
        var s = Cluster(o =>
        {
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = Scenario.Minute;
        });
        var notified = new Dictionary<string, AlertState>(StringComparer.Ordinal);
        var numbers = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var muted = new bool[Hosts.Length];
        foreach (var (actions, repeat) in steps)
        {
            for (var r = 0; r < repeat; r++)
            {
                RunStep(actions, first: r == 0);
            }
        }

        void RunStep(int[] step, bool first)
        {
            for (var h = 0; h < Hosts.Length; h++)
            {
                switch (step[h])
                {
                    case 1 or 2 or 3:
                        s.Write(step[h] switch { 1 => 50, 2 => 85, _ => 95 }, Tags(Hosts[h]));
                        break;
                    case 4 when first:
                        muted[h] = !muted[h];
                        var id = "d" + h;
                        s.Engine.Apply(muted[h]
                            ? new LogEntry { DowntimeUpserted = new DowntimeUpserted { Downtime = new Downtime { Id = id, MonitorId = "m", Group = Hosts[h], StartUnixMs = s.Now } } }
                            : new LogEntry { DowntimeDeleted = new DowntimeDeleted { DowntimeId = id } });
                        Check();
                        break;
                }
            }

            s.Evaluate();
            Check();
        }

        void Check()
        {
            foreach (var e in s.Take())
            {
                if (!IsKey(e))
                {
                    Assert.False(e.Notify, $"group event {e} notifies on its own");
                    continue;
                }

                Assert.Equal(notified.GetValueOrDefault(e.GroupKey), e.Previous);
                Assert.True(e.TransitionNumber > numbers.GetValueOrDefault(e.GroupKey), $"key event {e} numbers above the key's last");
                numbers[e.GroupKey] = e.TransitionNumber;
                Assert.Equal((e.Flags & (GroupFlags.Muted | GroupFlags.Flapping)) == 0, e.Notify);
                notified[e.GroupKey] = e.Next;
            }

            var worst = new Dictionary<string, AlertState>(StringComparer.Ordinal);
            foreach (var group in s.Groups)
            {
                var key = group.GroupKey.Split(',')[0];
                worst[key] = Worse(worst.GetValueOrDefault(key), group.State);
            }

            foreach (var key in worst.Keys.Union(notified.Keys))
            {
                Assert.Equal(worst.GetValueOrDefault(key), notified.GetValueOrDefault(key));
                Assert.Equal(worst.GetValueOrDefault(key), s.Engine.State.Monitors.NotifyKeysOf("m")!.StateOf(key));
            }
        }
    }

    private static AlertState Worse(AlertState a, AlertState b) => Rank(a) >= Rank(b) ? a : b;

    private static int Rank(AlertState state) => state switch
    {
        AlertState.Alert => 3,
        AlertState.Warn => 2,
        AlertState.NoData => 1,
        _ => 0,
    };

    [Fact]
    public void The_keys_survive_a_snapshot_and_a_restored_replica_notifies_exactly_as_the_live_one()
    {
        var live = Cluster();
        live.Write(95, Tags(Hosts[0]));
        live.Write(85, Tags(Hosts[2]));
        live.Evaluate();
        live.Write(95, Tags(Hosts[1]));
        live.Write(50, Tags(Hosts[0]));
        live.Evaluate();
        _ = live.Take();

        var bytes = Snapshot.Bytes(live.Engine.State);
        Assert.Equal(22UL, BitConverter.ToUInt64(bytes, 0));
        var restored = Snapshot.Restore(bytes);
        Assert.Equal(bytes, Snapshot.Bytes(restored));
        var replica = new EngineHarness(restored);
        Assert.Equal((1, 0, 0), restored.Monitors.NotifyKeysOf("m")!.CountsOf("cluster:a"));
        Assert.Equal((0, 1, 0), restored.Monitors.NotifyKeysOf("m")!.CountsOf("cluster:b"));

        // The same entries on both: the same key events, numbered the same.
        var next = live.NextInstant();
        foreach (var engine in new[] { live.Engine, replica })
        {
            engine.Point(Scenario.Metric, Tags(Hosts[1]), engine.Now, 50);
            engine.Point(Scenario.Metric, Tags(Hosts[2]), engine.Now, 50);
            engine.Tick(next);
        }

        var liveKeys = live.Take().Where(e => IsKey(e)).ToList();
        var replicaKeys = replica.Events.Where(e => IsKey(e)).ToList();
        Assert.Equal(2, liveKeys.Count);
        Assert.Equal(liveKeys, replicaKeys);
        Assert.Equal(Snapshot.Bytes(live.Engine.State), Snapshot.Bytes(replica.State));
    }

    [Fact]
    public void A_snapshot_before_format_18_counts_the_keys_from_the_groups_states()
    {
        var live = Cluster();
        live.Write(95, Tags(Hosts[0]));
        live.Write(95, Tags(Hosts[1]));
        live.Write(85, Tags(Hosts[2]));
        live.Evaluate();

        var bytes = Snapshot.Bytes(live.Engine.State);
        using var tail = new MemoryStream();
        using (var writer = new BinaryWriter(tail, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            live.Engine.State.Monitors.WriteNotifyKeys(writer);
        }

        // Format 18's keys follow the client sessions; the idle parts of formats 19 to 21 follow them.
        var keysAt = bytes.Length - Snapshot.IdleTail - (int)tail.Length;
        Assert.Equal(tail.ToArray(), bytes[keysAt..^Snapshot.IdleTail]);
        byte[] old = [.. bytes[..keysAt]];
        BitConverter.TryWriteBytes(old.AsSpan(0, 8), 17UL);
        var restored = Snapshot.Restore(old);
        Assert.Equal((2, 0, 0), restored.Monitors.NotifyKeysOf("m")!.CountsOf("cluster:a"));
        Assert.Equal((0, 1, 0), restored.Monitors.NotifyKeysOf("m")!.CountsOf("cluster:b"));
        Assert.Equal(AlertState.Alert, restored.Monitors.NotifyKeysOf("m")!.StateOf("cluster:a"));
    }

    [Fact]
    public void Deleting_the_monitor_resolves_each_alerting_key_with_its_groups_last_words()
    {
        var s = Cluster();
        s.Write(95, Tags(Hosts[0]));
        s.Write(95, Tags(Hosts[1]));
        s.Write(85, Tags(Hosts[2]));
        s.Evaluate();
        _ = s.Take();

        s.Engine.Delete("m");
        var keys = s.Take().Where(e => IsKey(e)).Select(e => (e.GroupKey, e.Previous, e.Next, e.Reason)).ToList();
        Assert.Equal([("cluster:a", AlertState.Alert, AlertState.Ok, TransitionReason.MonitorDeleted), ("cluster:b", AlertState.Warn, AlertState.Ok, TransitionReason.MonitorDeleted)], keys);
    }

    [Fact]
    public void Group_retention_drops_a_group_from_its_key_silently()
    {
        var s = Cluster(o => o.GroupRetentionMs = 60 * Scenario.Minute);
        s.Write(95, Tags(Hosts[0]));
        s.Evaluate();
        Assert.Equal(AlertState.Alert, s.Engine.State.Monitors.NotifyKeysOf("m")!.StateOf("cluster:a"));
        s.Idle(s.Now + (61 * Scenario.Minute));

        Assert.Empty(s.Groups);
        Assert.Equal(0, s.Engine.State.Monitors.NotifyKeysOf("m")!.Count);
    }

    [Fact]
    public void An_edit_that_changes_notify_by_re_forms_the_keys_from_the_groups_and_numbers_above_the_old_ones()
    {
        var s = Cluster();
        s.Write(95, Tags(Hosts[0]));
        s.Write(95, Tags(Hosts[2]));
        s.Evaluate();
        var before = s.Take().Where(e => IsKey(e)).Max(e => e.TransitionNumber);

        s.Engine.Upsert(Monitor(o => o.NotifyBy[0] = "host", "{{host.name}}"));
        var keys = s.Engine.State.Monitors.NotifyKeysOf("m")!;
        Assert.Equal(AlertState.Alert, keys.StateOf("host:a1"));
        Assert.Equal(AlertState.Alert, keys.StateOf("host:b1"));
        Assert.Equal(AlertState.Ok, keys.StateOf("cluster:a"));

        s.Write(50, Tags(Hosts[0]));
        s.Write(95, Tags(Hosts[2]));
        s.Evaluate();
        var resolve = Assert.Single(s.Take(), e => IsKey(e));
        Assert.Equal(("host:a1", AlertState.Ok), (resolve.GroupKey, resolve.Next));
        Assert.True(resolve.TransitionNumber > before);

        // notify_by removed, then set again: cluster:a comes back numbering above every key event so far (the
        // delivery ledger settles by the highest number per key, so a repeated number would never be sent).
        s.Engine.Upsert(Monitor(o => o.NotifyBy.Clear()));
        Assert.Null(s.Engine.State.Monitors.NotifyKeysOf("m"));
        s.Engine.Upsert(Monitor(null));
        s.Write(95, Tags(Hosts[0]));
        s.Write(95, Tags(Hosts[2]));
        s.Evaluate();
        var again = Assert.Single(s.Take(), e => IsKey(e));
        Assert.Equal(("cluster:a", AlertState.Ok, AlertState.Alert, true), (again.GroupKey, again.Previous, again.Next, again.Notify));
        Assert.True(again.TransitionNumber > resolve.TransitionNumber, $"{again.TransitionNumber} after {resolve.TransitionNumber}");
    }
}
