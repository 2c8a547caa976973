using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using CsCheck;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Composites over members grouped differently (Datadog: a member by <c>{host}</c> goes with one by
/// <c>{device,host}</c>; the composite's groups are the finer member's, the coarser member's group
/// of the same host value stands for each), against a brute-force model that matches every member
/// group with every composite group by tag values; and the bounded step of composite evaluations:
/// a member change that reaches more composite groups than one entry's step goes on in the next
/// entries, in snapshots, with the same result.
/// </summary>
public sealed class CompositeGroupingTests
{
    [Fact]
    public void A_member_by_host_stands_for_every_device_of_its_host_in_a_composite_by_device_and_host()
    {
        var engine = new EngineHarness();
        engine.Upsert(Member("disk", "last(last_1m):max:disk{*} by {device,host} > 90"));
        engine.Upsert(Member("cpu", "last(last_1m):max:cpu{*} by {host} > 80"));
        engine.Upsert(CompositeMonitorTests.Composite("c", "disk && cpu"));

        engine.Point("disk", ["device:sda", "host:h1"], engine.Now, 95);
        engine.Point("disk", ["device:sdb", "host:h1"], engine.Now, 95);
        engine.Point("disk", ["device:sda", "host:h2"], engine.Now, 95);
        engine.Point("cpu", ["host:h1"], engine.Now, 90);

        // h1's cpu alert reaches both of h1's devices; h2 has no cpu group, so no composite group.
        Assert.Equal(AlertState.Alert, StateOf(engine, "c", "device:sda,host:h1"));
        Assert.Equal(AlertState.Alert, StateOf(engine, "c", "device:sdb,host:h1"));
        Assert.False(engine.State.TryGetGroupState("c", "device:sda,host:h2", out _));

        // The composite's groups carry the finer member's tags.
        Assert.Contains(("c", "device:sdb,host:h1"), engine.State.Monitors.GroupsTagged("device:sdb"));

        // h1's cpu recovering resolves both, and only them.
        var before = engine.Events.Count;
        engine.Point("cpu", ["host:h1"], engine.Now, 10);
        Assert.Equal(
            [("device:sda,host:h1", AlertState.Ok), ("device:sdb,host:h1", AlertState.Ok)],
            engine.Events.Skip(before).Where(e => e.MonitorId == "c").Select(e => (e.GroupKey, e.Next)));
    }

    [Fact]
    public void Members_grouped_by_the_same_tags_in_another_order_share_their_groups()
    {
        var engine = new EngineHarness();
        engine.Upsert(Member("a", "last(last_1m):max:a{*} by {device,host} > 80"));
        engine.Upsert(Member("b", "last(last_1m):max:b{*} by {host,device} > 80"));
        engine.Upsert(CompositeMonitorTests.Composite("c", "a && b"));

        engine.Point("a", ["device:sda", "host:h1"], engine.Now, 95);
        engine.Point("b", ["device:sda", "host:h1"], engine.Now, 95);

        // The first member with the most tags names the composite's groups.
        Assert.Equal(AlertState.Alert, StateOf(engine, "c", "device:sda,host:h1"));
    }

    [Theory]
    [InlineData("disk && web", "query: members \"disk\" (by {device,host}) and \"web\" (by {host,url}) are grouped too differently")]
    [InlineData("cpu || env", "query: members \"cpu\" (by {host}) and \"env\" (by {env}) are grouped too differently")]
    public void Members_whose_group_bys_do_not_nest_are_refused_naming_both(string query, string error)
    {
        var engine = new EngineHarness();
        engine.Upsert(Member("disk", "last(last_1m):max:disk{*} by {device,host} > 90"));
        engine.Upsert(Member("web", "last(last_1m):max:latency{*} by {host,url} > 90"));
        engine.Upsert(Member("cpu", "last(last_1m):max:cpu{*} by {host} > 80"));
        engine.Upsert(Member("env", "last(last_1m):max:cpu{*} by {env} > 80"));

        var result = engine.Answer(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = CompositeMonitorTests.Composite("c", query) } });

        Assert.Equal(MonitorOutcome.Rejected, result.Monitor);
        Assert.StartsWith(error, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_reaching_more_composite_groups_than_the_step_goes_on_in_the_next_entries_and_through_a_snapshot()
    {
        const int step = 4;
        var limits = new IngestLimits { CompositeEvaluationStep = step };
        var engine = new EngineHarness(limits);
        engine.Upsert(Member("disk", "last(last_1m):max:disk{*} by {device,host} > 90"));
        engine.Upsert(Member("cpu", "last(last_1m):max:cpu{*} > 80"));
        for (var c = 0; c < 3; c++)
        {
            engine.Upsert(CompositeMonitorTests.Composite($"c{c}", "disk && cpu"));
        }

        for (var d = 0; d < 10; d++)
        {
            engine.Point("disk", [$"device:d{d}", "host:h1"], engine.Now, 95);
        }

        engine.Point("cpu", [], engine.Now, 10);
        Assert.Equal(0, engine.State.Monitors.CompositeChangesPending);

        // One cpu change reaches 3 composites × 10 groups: each entry spends at most the step on it.
        var work = engine.State.Monitors.CompositeStepWork;
        engine.Point("cpu", [], engine.Now, 90);
        var entries = 1;
        Assert.Equal(step, engine.State.Monitors.CompositeStepWork - work);
        Assert.Equal(1, engine.State.Monitors.CompositeChangesPending);

        // A replica restarted from a snapshot taken mid-way goes on exactly as the one that did not stop.
        using var reader = new BinaryReader(new MemoryStream(Snapshot.Bytes(engine.State)));
        var restored = new EngineHarness(EngineState.ReadFrom(reader, limits));
        var eventsAtSnapshot = engine.Events.Count;
        while (engine.State.Monitors.CompositeChangesPending > 0)
        {
            work = engine.State.Monitors.CompositeStepWork;
            var at = engine.Now + 100;
            engine.Tick(at);
            restored.Tick(at);
            entries++;
            Assert.InRange(engine.State.Monitors.CompositeStepWork - work, 1, step);
            Assert.Equal(
                engine.State.GroupStates().Select(g => (g.Monitor.Id, g.State)),
                restored.State.GroupStates().Select(g => (g.Monitor.Id, g.State)));
            Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored.State));
        }

        // 30 groups evaluated (3 composites × 10 devices), a step at a time.
        Assert.Equal((30 + step - 1) / step, entries);
        for (var c = 0; c < 3; c++)
        {
            for (var d = 0; d < 10; d++)
            {
                Assert.Equal(AlertState.Alert, StateOf(engine, $"c{c}", $"device:d{d},host:h1"));
            }
        }

        Assert.Equal(engine.Events.Skip(eventsAtSnapshot), restored.Events);
        Assert.Equal(30 - step, restored.Events.Count(e => e.MonitorId.StartsWith('c') && e.Next == AlertState.Alert));
    }

    /// <summary>
    /// Item 8 of issue 13: a member whose regrouping edit matches its series in steps holds its new groups back for a
    /// few entries; the composite neither drops its groups meanwhile nor re-creates them and alerts again. Each host
    /// goes through the same composite states as when the whole regroup fits one entry: the edit's reset resolves it
    /// (the member's carried state is read), the member's next evaluation alerts it again. Restored mid-match, a
    /// replica agrees byte for byte.
    /// </summary>
    [Theory]
    [InlineData("a && b", "a")]
    [InlineData("b && a", "a")]
    [InlineData("a && b", "b")]
    public void A_member_that_regroups_in_steps_keeps_the_composites_groups_and_ends_as_the_regroup_done_at_once(string query, string edited)
    {
        const int hosts = 6;
        var limits = new IngestLimits { MatchStepSeries = 2 };
        var stepped = new EngineHarness(limits);
        var atOnce = new EngineHarness();
        foreach (var engine in new[] { stepped, atOnce })
        {
            engine.Upsert(Member("a", "max(last_5m):max:a{*} by {host} > 80"));
            engine.Upsert(Member("b", "max(last_5m):max:b{*} by {host} > 80"));
            engine.Upsert(CompositeMonitorTests.Composite("c", query, o => o.EvaluationIntervalMs = 1_000));
            for (var h = 0; h < hosts; h++)
            {
                engine.Point("a", [$"host:h{h}", "env:prod"], engine.Now, 95);
                engine.Point("b", [$"host:h{h}", "env:prod"], engine.Now, 95);
            }

            Assert.Equal(hosts, engine.State.Monitors.GroupStates("c").Count(g => g.State == AlertState.Alert));

            // A new scope over the same series: the old groups are let go of (reset by the edit), the new ones form with their states.
            engine.Upsert(Member(edited, $"max(last_5m):max:{edited}{{env:prod}} by {{host}} > 80"));
        }

        Assert.True(stepped.State.Monitors.MatchesPending > 0, "the stepped regroup is still matching after its entry");
        Assert.Equal(0, atOnce.State.Monitors.MatchesPending);
        EngineHarness? replica = null;
        var eventsAtSnapshot = 0;
        // Past the members' interval (60 s), so the edited member evaluates its new groups again.
        for (var t = 0; t < 70; t++)
        {
            if (stepped.State.Monitors.MatchesPending > 0)
            {
                // The composite's interval comes round while the member matches: it still has every group.
                Assert.Equal(hosts, stepped.State.Monitors.GroupStates("c").Count);
                if (replica is null)
                {
                    replica = new EngineHarness(Snapshot.Restore(Snapshot.Bytes(stepped.State), limits));
                    eventsAtSnapshot = stepped.Events.Count;
                }
            }

            var at = stepped.Now + 1_000;
            stepped.Tick(at);
            atOnce.Tick(at);
            replica?.Tick(at);
        }

        Assert.Equal(0, stepped.State.Monitors.MatchesPending);
        for (var h = 0; h < hosts; h++)
        {
            var key = $"host:h{h}";
            var expected = Of(atOnce, "c", key);
            Assert.Equal([(AlertState.Ok, AlertState.Alert), (AlertState.Alert, AlertState.Ok), (AlertState.Ok, AlertState.Alert)], expected.Select(e => (e.Previous, e.Next)));
            Assert.Equal(expected.Select(e => (e.Previous, e.Next, e.TransitionNumber)), Of(stepped, "c", key).Select(e => (e.Previous, e.Next, e.TransitionNumber)));
        }

        // A replica restored from a snapshot taken while the member matched went on exactly as the live one.
        Assert.NotNull(replica);
        Assert.Equal(stepped.Events.Skip(eventsAtSnapshot), replica!.Events);
        Assert.Equal(Snapshot.Bytes(stepped.State), Snapshot.Bytes(replica.State));
    }

    /// <summary>
    /// A member regrouping over more old groups than one step lets go of (<see cref="SeriesMatcher.MaxOldGroupsPerStep"/>):
    /// a composite group evaluated between the steps reads the member's old group not let go of yet as the state it
    /// will take (the edit resets it), not its current ALERT, so no composite ALERT/OK pair is invented. Done at once,
    /// the reset comes first and the other member's flip leaves the composite OK: no composite event either way.
    /// </summary>
    [Fact]
    public void A_composite_reads_a_regrouping_members_old_group_not_let_go_of_yet_as_the_edit_resets_it()
    {
        var hosts = SeriesMatcher.MaxOldGroupsPerStep + 300;
        var engine = new EngineHarness();
        engine.Upsert(Member("a", "max(last_5m):max:a{*} by {host} > 80"));
        engine.Upsert(Member("b", "max(last_5m):max:b{*} by {host} > 80"));

        // The host the regroup lets go of last (in the second step) alerts on a, the others are OK (so the first step's
        // resets queue no composite work ahead of the flip below); b is OK there, so the composite is.
        var last = Enumerable.Range(0, hosts).Select(h => $"host:h{h}").Max(StringComparer.Ordinal)!;
        var batch = new PointsBatch();
        for (var h = 0; h < hosts; h++)
        {
            var series = new SeriesPoints { Metric = "a", Tags = { $"host:h{h}", "env:prod" } };
            series.UnixMs.Add(engine.Now);
            series.Values.Add(series.Tags[0] == last ? 95 : 40);
            batch.Series.Add(series);
        }

        engine.Apply(new LogEntry { Points = batch });
        Assert.Equal(hosts, engine.State.Monitors.GroupStates("a").Count);
        Assert.Equal(AlertState.Alert, StateOf(engine, "a", last));
        engine.Point("b", [last, "env:prod"], engine.Now, 40);
        engine.Upsert(CompositeMonitorTests.Composite("c", "a && b", o => o.EvaluationIntervalMs = 1_000));
        Assert.Equal(AlertState.Ok, StateOf(engine, "c", last));
        var events = engine.Events.Count;

        engine.Upsert(Member("a", "max(last_5m):max:a{env:prod} by {host} > 80"));
        Assert.True(engine.State.Monitors.RegroupOldGroupsLeft > 0, "the regroup still has old groups to let go of after its entry");

        // b alerts on that host before a's old group there is let go of (and reset by the edit).
        engine.Point("b", [last, "env:prod"], engine.Now, 95);
        while (engine.State.Monitors.MatchesPending > 0)
        {
            engine.Tick(engine.Now + 1);
        }

        Assert.DoesNotContain(engine.Events.Skip(events), e => e.MonitorId == "c");
        Assert.Equal(AlertState.Ok, StateOf(engine, "c", last));
        Assert.Equal(AlertState.Ok, StateOf(engine, "a", last));
    }

    private static List<TransitionEvent> Of(EngineHarness engine, string monitorId, string groupKey) =>
        [.. engine.Events.Where(e => e.MonitorId == monitorId && e.GroupKey == groupKey)];

    /// <summary>
    /// Random members by <c>{device,host}</c>, <c>{host}</c>, <c>{device}</c> and none, random
    /// composites over them, random points and ticks, a random step: once the queue is drained and
    /// every composite had a scheduled evaluation, each composite's groups are exactly the driver
    /// groups every member has a group of the same tag values in, and each one's state is the
    /// expression over those groups' states (a recursive oracle of Datadog's table).
    /// </summary>
    [Fact]
    public void Composite_groups_and_states_agree_with_a_brute_force_model()
    {
        Gen.Int[1, int.MaxValue].Sample(seed => Run(seed), iter: 60, print: seed => $"seed {seed}");
    }

    private static readonly (string Id, string Query)[] Members =
    [
        ("dh", "last(last_1m):max:disk{*} by {device,host} > 80"),
        ("hd", "last(last_1m):max:io{*} by {host,device} > 80"),
        ("h", "last(last_1m):max:cpu{*} by {host} > 80"),
        ("d", "last(last_1m):max:temp{*} by {device} > 80"),
        ("all", "last(last_1m):max:up{*} > 80"),
    ];

    private static readonly string[] Metrics = ["disk", "io", "cpu", "temp", "up"];

    private static void Run(int seed)
    {
        var random = new Random(seed);
        var step = new[] { 1, 3, 1_024 }[random.Next(3)];
        var engine = new EngineHarness(new IngestLimits { CompositeEvaluationStep = step });
        foreach (var (id, query) in Members)
        {
            engine.Upsert(Member(id, query));
        }

        var composites = new List<(string Id, string Query)>();
        var operators = new[] { " && ", " || " };
        for (var c = 0; c < 3; c++)
        {
            var a = Members[random.Next(Members.Length)].Id;
            var b = Members[random.Next(Members.Length)].Id;
            var query = $"{(random.Next(3) == 0 ? "!" : "")}{a}{operators[random.Next(2)]}{b}";
            if (random.Next(2) == 0)
            {
                query = $"({query}) && {Members[random.Next(Members.Length)].Id}";
            }

            var id = $"c{c}";
            var result = engine.Answer(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = CompositeMonitorTests.Composite(id, query, o => o.EvaluationIntervalMs = 1_000) } });
            if (result.Monitor == MonitorOutcome.Created)
            {
                composites.Add((id, query));
            }
        }

        for (var i = 0; i < 60; i++)
        {
            if (random.Next(4) == 0)
            {
                engine.Tick(engine.Now + random.Next(100, 3_000));
                continue;
            }

            var metric = Metrics[random.Next(Metrics.Length)];
            string[] tags = metric == "up" ? [] : [$"device:d{random.Next(3)}", $"host:h{random.Next(3)}"];
            engine.Point(metric, tags, engine.Now, random.Next(3) == 0 ? 90 : random.Next(2) == 0 ? 85 : 10);
        }

        // Drain the queue, then give every composite a scheduled evaluation with no point after it.
        for (var t = 0; t < 100_000 && engine.State.Monitors.CompositeChangesPending > 0; t++)
        {
            engine.Tick(engine.Now + 10);
        }

        Assert.Equal(0, engine.State.Monitors.CompositeChangesPending);
        engine.Tick(engine.Now + 2_000);
        for (var t = 0; t < 100_000 && engine.State.Monitors.CompositeChangesPending > 0; t++)
        {
            engine.Tick(engine.Now + 10);
        }

        foreach (var (id, query) in composites)
        {
            var expected = Model(engine, query);
            var actual = engine.State.Monitors.GroupStates(id).ToDictionary(g => g.GroupKey, g => g.State);
            Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), actual.OrderBy(p => p.Key, StringComparer.Ordinal));
        }
    }

    /// <summary>
    /// The brute-force model: every group of the member with the most tags (the first of them) is a
    /// candidate; a member's group goes with it when all of the member group's tags are among the
    /// candidate's (compared as <c>key:value</c> strings, by scanning every group of every member).
    /// </summary>
    private static Dictionary<string, AlertState> Model(EngineHarness engine, string query)
    {
        var parsed = CompositeParser.Parse(query);
        var members = parsed.Members;
        var groupBy = members.ToDictionary(m => m, m => Members.Single(x => x.Id == m).Query.Contains(" by {", StringComparison.Ordinal)
            ? Members.Single(x => x.Id == m).Query.Split(" by {")[1].Split('}')[0].Split(',')
            : []);
        var driver = members.Where(m => groupBy[m].Length > 0).OrderByDescending(m => groupBy[m].Length).ThenBy(m => members.IndexOf(m)).FirstOrDefault();
        var groups = members.ToDictionary(m => m, m => engine.State.Monitors.GroupStates(m).Select(g => (Tags: g.GroupKey == "*" ? [] : g.GroupKey.Split(','), g.State)).ToList());
        var candidates = driver is null ? [(Key: "*", Tags: Array.Empty<string>())] : groups[driver].Select(g => (Key: string.Join(',', g.Tags), g.Tags)).ToList();
        var result = new Dictionary<string, AlertState>(StringComparer.Ordinal);
        foreach (var (key, tags) in candidates)
        {
            var states = new Dictionary<string, AlertState>(StringComparer.Ordinal);
            foreach (var member in members)
            {
                foreach (var (memberTags, state) in groups[member])
                {
                    if (memberTags.All(t => tags.Contains(t)) && memberTags.Length == groupBy[member].Length)
                    {
                        states[member] = state;
                    }
                }
            }

            if (states.Count == members.Length)
            {
                result[key] = Oracle(parsed.Expression, states);
            }
        }

        return result;
    }

    private static AlertState Oracle(CompositeNode node, Dictionary<string, AlertState> states) => node switch
    {
        CompositeMember m => states[m.MonitorId],
        CompositeNot n => Oracle(n.Operand, states) switch
        {
            AlertState.NoData => AlertState.NoData,
            AlertState.Ok => AlertState.Alert,
            _ => AlertState.Ok,
        },
        CompositeAnd a => Rank(Oracle(a.Left, states)) <= Rank(Oracle(a.Right, states)) ? Oracle(a.Left, states) : Oracle(a.Right, states),
        CompositeOr o => Rank(Oracle(o.Left, states)) >= Rank(Oracle(o.Right, states)) ? Oracle(o.Left, states) : Oracle(o.Right, states),
        _ => throw new ArgumentException("unknown node", nameof(node)),
    };

    private static int Rank(AlertState state) => state switch
    {
        AlertState.Ok => 1,
        AlertState.NoData => 2,
        AlertState.Warn => 3,
        _ => 4,
    };

    private static Monitor Member(string id, string query) =>
        EngineHarness.Metric(id, query, o =>
        {
            o.OnArrival = true;
            o.NewGroupDelayMs = 0;
            o.Thresholds = new Thresholds { Warning = 50 };
        });

    private static AlertState StateOf(EngineHarness engine, string monitorId, string groupKey)
    {
        Assert.True(engine.State.TryGetGroupState(monitorId, groupKey, out var state), $"{monitorId} has no group {groupKey}");
        return state!.Value.State;
    }
}
