using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using CsCheck;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// <c>notify_by</c> on composite monitors (issue 13 item 8), through log entries: a composite's groups are its most
/// finely grouped member's (<c>{device,host}</c> here), and <c>notify_by: [host]</c> notifies once per host, the key's
/// state the worst of its composite groups', exactly as on a metric monitor.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class CompositeNotifyByTests
{
    private static bool IsKey(in TransitionEvent e) => (e.Flags & GroupFlags.NotifyKey) != 0;

    private static Monitor Member(string id, string query) =>
        EngineHarness.Metric(id, query, o =>
        {
            o.OnArrival = true;
            o.NewGroupDelayMs = 0;
            o.Thresholds = new Thresholds { Warning = 50 };
        });

    private static Monitor Composite(string query, params string[] notifyBy)
    {
        var monitor = CompositeMonitorTests.Composite("c", query, o =>
        {
            o.EvaluationIntervalMs = 1_000;
            o.NotifyBy.Add(notifyBy);
        });
        monitor.Message = "{{host.name}}/{{device.name}} {{state}}";
        return monitor;
    }

    /// <summary>disk by {device,host}, cpu by {host}, composite "disk &amp;&amp; cpu" notifying by host.</summary>
    private static EngineHarness Engine(params string[] notifyBy)
    {
        var engine = new EngineHarness();
        engine.Upsert(Member("disk", "last(last_1m):max:disk{*} by {device,host} > 90"));
        engine.Upsert(Member("cpu", "last(last_1m):max:cpu{*} by {host} > 80"));
        Assert.Equal(MonitorOutcome.Created, engine.Answer(Upsert(Composite("disk && cpu", notifyBy.Length == 0 ? ["host"] : notifyBy))).Monitor);
        return engine;
    }

    private static LogEntry Upsert(Monitor monitor) => new() { MonitorUpserted = new MonitorUpserted { Monitor = monitor } };

    private static List<TransitionEvent> Take(EngineHarness engine, ref int from)
    {
        var events = engine.Events.Skip(from).Where(e => e.MonitorId == "c").ToList();
        from = engine.Events.Count;
        return events;
    }

    [Fact]
    public void A_host_notifies_once_when_its_first_device_alerts_and_resolves_when_its_last_one_recovers()
    {
        var engine = Engine();
        var seen = engine.Events.Count;
        engine.Point("disk", ["device:sda", "host:h1"], engine.Now, 95);
        engine.Point("disk", ["device:sdb", "host:h1"], engine.Now, 95);
        engine.Point("disk", ["device:sda", "host:h2"], engine.Now, 95);
        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        var first = Take(engine, ref seen);

        // Both of h1's composite groups alert on their own (notifying no one); h1 notifies once.
        Assert.Equal(["device:sda,host:h1", "device:sdb,host:h1"], first.Where(e => !IsKey(e)).Select(e => e.GroupKey));
        Assert.All(first.Where(e => !IsKey(e)), e => Assert.False(e.Notify));
        var key = Assert.Single(first, e => IsKey(e));
        Assert.Equal(("host:h1", AlertState.Ok, AlertState.Alert, 1UL, true), (key.GroupKey, key.Previous, key.Next, key.TransitionNumber, key.Notify));

        // h2 alerts: its own key. One device of h1 recovering changes nothing h1 notifies.
        engine.Point("cpu", ["host:h2"], engine.Now, 90);
        engine.Point("disk", ["device:sda", "host:h1"], engine.Now, 10);
        var second = Take(engine, ref seen).Where(e => IsKey(e)).Select(e => (e.GroupKey, e.Next)).ToList();
        Assert.Equal([("host:h2", AlertState.Alert)], second);

        // h1's cpu recovers: its last alerting device resolves, and h1 with it.
        engine.Point("cpu", ["host:h1"], engine.Now, 10);
        var third = Take(engine, ref seen);
        var resolve = Assert.Single(third, e => IsKey(e));
        Assert.Equal(("host:h1", AlertState.Alert, AlertState.Ok, 2UL), (resolve.GroupKey, resolve.Previous, resolve.Next, resolve.TransitionNumber));

        // The key's message renders the key's tag; a tag outside notify_by renders empty.
        var items = new List<TransitionHistory.HistoryItem>();
        _ = engine.State.History.CopyFrom(0, items, int.MaxValue, out _);
        Assert.Equal(["h1/ ALERT", "h2/ ALERT", "h1/ OK"], items.Where(i => i.Event.MonitorId == "c" && IsKey(i.Event)).Select(i => i.Message));
    }

    [Fact]
    public void Star_notifies_once_for_the_whole_composite_and_deleting_it_resolves_the_key()
    {
        var engine = Engine("*");
        var seen = engine.Events.Count;
        engine.Point("disk", ["device:sda", "host:h1"], engine.Now, 95);
        engine.Point("disk", ["device:sda", "host:h2"], engine.Now, 95);
        engine.Point("cpu", ["host:h1"], engine.Now, 90);
        engine.Point("cpu", ["host:h2"], engine.Now, 90);
        var keys = Take(engine, ref seen).Where(e => IsKey(e)).Select(e => (e.GroupKey, e.Previous, e.Next)).ToList();
        Assert.Equal([("*", AlertState.Ok, AlertState.Alert)], keys);

        engine.Delete("c");
        var last = Take(engine, ref seen).Where(e => IsKey(e)).Select(e => (e.GroupKey, e.Previous, e.Next, e.Reason)).ToList();
        Assert.Equal([("*", AlertState.Alert, AlertState.Ok, TransitionReason.MonitorDeleted)], last);
    }

    [Theory]
    [InlineData("*,host", "options.notify_by[0]", "must be notify_by's only entry")]
    [InlineData("host,host", "options.notify_by[1]", "\"host\" is listed twice")]
    [InlineData("host name", "options.notify_by[0]", "\"host name\" is not a tag name")]
    public void Notify_by_entries_are_checked_on_their_own_where_the_definition_enters(string notifyBy, string field, string reason)
    {
        var error = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(Composite("disk && cpu", notifyBy.Split(','))));
        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("disk && cpu", "dc", "options.notify_by[0]: \"dc\" is not one of the tags the composite is grouped by (device, host: the group-by of member \"disk\")")]
    [InlineData("disk && cpu", "host,dc", "options.notify_by[1]: \"dc\" is not one of the tags the composite is grouped by (device, host: the group-by of member \"disk\")")]
    [InlineData("disk && cpu", "host,device", "options.notify_by: names every tag the composite is grouped by (device, host: the group-by of member \"disk\")")]
    [InlineData("up && load", "*", "options.notify_by[0]: no member has a group-by")]
    [InlineData("up && load", "host", "options.notify_by[0]: \"host\" is not a tag the composite is grouped by: no member has a group-by")]
    public void Notify_by_must_name_some_of_the_tags_the_composite_is_grouped_by(string query, string notifyBy, string error)
    {
        var engine = new EngineHarness();
        engine.Upsert(Member("disk", "last(last_1m):max:disk{*} by {device,host} > 90"));
        engine.Upsert(Member("cpu", "last(last_1m):max:cpu{*} by {host} > 80"));
        engine.Upsert(Member("up", "last(last_1m):max:up{*} > 80"));
        engine.Upsert(Member("load", "last(last_1m):max:load{*} > 80"));

        var result = engine.Answer(Upsert(Composite(query, notifyBy.Split(','))));

        Assert.Equal(MonitorOutcome.Rejected, result.Monitor);
        Assert.StartsWith(error, result.Error, StringComparison.Ordinal);
        Assert.False(engine.State.TryGetMonitor("c", out _));
    }

    [Fact]
    public void A_member_edit_that_would_leave_the_composite_without_its_notify_by_tag_is_refused_naming_the_composite()
    {
        var engine = Engine("device");
        var result = engine.Answer(Upsert(Member("disk", "last(last_1m):max:disk{*} by {host} > 90")));

        Assert.Equal(MonitorOutcome.Rejected, result.Monitor);
        Assert.StartsWith(
            "monitor \"disk\" is a member of composite \"c\", which would then be invalid: options.notify_by[0]: \"device\" is not one of the tags the composite is grouped by (host: the group-by of member \"disk\")",
            result.Error,
            StringComparison.Ordinal);

        // Grouped by more tags, the composite still groups by device: accepted.
        Assert.Equal(MonitorOutcome.Updated, engine.Answer(Upsert(Member("disk", "last(last_1m):max:disk{*} by {device,host,mount} > 90"))).Monitor);
    }

    [Fact]
    public void The_keys_survive_a_snapshot_and_a_restored_replica_notifies_exactly_as_the_live_one()
    {
        var live = Engine();
        live.Point("disk", ["device:sda", "host:h1"], live.Now, 95);
        live.Point("disk", ["device:sdb", "host:h1"], live.Now, 95);
        live.Point("disk", ["device:sda", "host:h2"], live.Now, 95);
        live.Point("cpu", ["host:h1"], live.Now, 90);
        live.Point("cpu", ["host:h2"], live.Now, 60);

        // The generic notify_by part (format 18) holds the composite's table: no format change.
        var bytes = Snapshot.Bytes(live.State);
        var restored = Snapshot.Restore(bytes);
        Assert.Equal(bytes, Snapshot.Bytes(restored));
        Assert.Equal((2, 0, 0), restored.Monitors.NotifyKeysOf("c")!.CountsOf("host:h1"));
        Assert.Equal((0, 1, 0), restored.Monitors.NotifyKeysOf("c")!.CountsOf("host:h2"));

        var replica = new EngineHarness(restored);
        var liveFrom = live.Events.Count;
        foreach (var engine in new[] { live, replica })
        {
            engine.Point("cpu", ["host:h2"], engine.Now, 90);
            engine.Point("disk", ["device:sda", "host:h1"], engine.Now, 10);
            engine.Point("cpu", ["host:h1"], engine.Now, 10);
            engine.Tick(engine.Now + 2_000);
        }

        var liveKeys = live.Events.Skip(liveFrom).Where(e => IsKey(e)).ToList();
        Assert.Equal([("host:h2", AlertState.Alert), ("host:h1", AlertState.Ok)], liveKeys.Select(e => (e.GroupKey, e.Next)));
        Assert.Equal(liveKeys, replica.Events.Where(e => IsKey(e)));
        Assert.Equal(Snapshot.Bytes(live.State), Snapshot.Bytes(replica.State));
    }

    /// <summary>
    /// Random points for disk (by device and host) and cpu (by host) over three hosts, and random ticks: after every
    /// entry each host key's state is the worst of its composite groups' states, recomputed from all of them, and
    /// the key events take each key from its last notified state to that one, numbered upwards, never without a change.
    /// </summary>
    [Fact]
    public void Key_notifications_follow_the_worst_state_of_each_hosts_composite_groups()
    {
        Gen.Int[1, int.MaxValue].Sample(Run, iter: 40, print: seed => $"seed {seed}");
    }

    private static void Run(int seed)
    {
        var random = new Random(seed);
        var engine = Engine();
        var seen = engine.Events.Count;
        var notified = new Dictionary<string, AlertState>(StringComparer.Ordinal);
        var numbers = new Dictionary<string, ulong>(StringComparer.Ordinal);
        for (var i = 0; i < 60; i++)
        {
            var host = $"host:h{random.Next(3)}";
            var value = new[] { 10, 60, 95 }[random.Next(3)];
            switch (random.Next(4))
            {
                case 0:
                    engine.Tick(engine.Now + random.Next(100, 3_000));
                    break;
                case 1:
                    engine.Point("cpu", [host], engine.Now, value);
                    break;
                default:
                    engine.Point("disk", [$"device:d{random.Next(2)}", host], engine.Now, value);
                    break;
            }

            foreach (var e in Take(engine, ref seen))
            {
                if (!IsKey(e))
                {
                    Assert.False(e.Notify, $"group event {e} notifies on its own");
                    continue;
                }

                Assert.Equal(notified.GetValueOrDefault(e.GroupKey), e.Previous);
                Assert.NotEqual(e.Previous, e.Next);
                Assert.True(e.TransitionNumber > numbers.GetValueOrDefault(e.GroupKey), $"key event {e} numbers above the key's last");
                numbers[e.GroupKey] = e.TransitionNumber;
                notified[e.GroupKey] = e.Next;
            }

            var worst = new Dictionary<string, AlertState>(StringComparer.Ordinal);
            foreach (var group in engine.State.Monitors.GroupStates("c"))
            {
                var key = group.GroupKey.Split(',')[1];
                worst[key] = Rank(group.State) >= Rank(worst.GetValueOrDefault(key)) ? group.State : worst.GetValueOrDefault(key);
            }

            foreach (var key in worst.Keys.Union(notified.Keys))
            {
                Assert.Equal(worst.GetValueOrDefault(key), notified.GetValueOrDefault(key));
                Assert.Equal(worst.GetValueOrDefault(key), engine.State.Monitors.NotifyKeysOf("c")!.StateOf(key));
            }
        }
    }

    private static int Rank(AlertState state) => state switch
    {
        AlertState.Alert => 3,
        AlertState.Warn => 2,
        AlertState.NoData => 1,
        _ => 0,
    };
}
