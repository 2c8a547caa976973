using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Xunit.Abstractions;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Issue 7 item 3: an edit that regroups a monitor over more groups than a step lets go of the
/// old groups in bounded steps (each with the edit's reset, its state handed to the new group of
/// its key) before its walk over the series forms the new ones; it ends in the groups and states
/// the edit applied at once gives (a brute-force model here), the same after a restore mid-step.
/// </summary>
public sealed class SteppedRegroupTests(ITestOutputHelper output)
{
    // The edits raise the threshold over the points (95), so the model's states stay as the edit left them once the new groups evaluate.
    private const string ByHost = "max(last_1m):max:q{*} by {host} > 90";
    private const string ProdByHost = "max(last_1m):max:q{env:prod} by {host} > 99";
    private const string DevByHost = "max(last_1m):max:q{env:dev} by {host} > 99";

    /// <summary>Hosts: more than two steps of groups; every third is in dev, the rest in prod; even hosts alert before the edit.</summary>
    private static readonly int Hosts = (2 * SeriesMatcher.MaxOldGroupsPerStep) + 300;

    [Fact]
    public void A_regroup_over_more_groups_than_a_step_lets_go_of_them_in_bounded_entries_and_ends_as_the_model_does()
    {
        var engine = Wide();
        var before = OldStates(engine);
        var freedBefore = engine.State.Monitors.RegroupOldGroupsFreed;
        var events = engine.Events.Count;

        engine.Upsert(EngineHarness.Metric("wide", ProdByHost, o => o.EvaluationIntervalMs = 1_000));
        var entries = 1;
        var most = engine.State.Monitors.RegroupOldGroupsFreed - freedBefore;
        Assert.Equal(SeriesMatcher.MaxOldGroupsPerStep, most);

        // No new group forms while old ones are let go of, and nothing evaluates.
        Assert.Empty(engine.State.GroupStates("wide"));
        var freed = engine.State.Monitors.RegroupOldGroupsFreed;
        while (engine.State.Monitors.RegroupOldGroupsLeft > 0)
        {
            engine.Tick(engine.Now + 100);
            entries++;
            var step = engine.State.Monitors.RegroupOldGroupsFreed - freed;
            freed += step;
            most = Math.Max(most, step);
            Assert.InRange(step, 1, SeriesMatcher.MaxOldGroupsPerStep);
        }

        output.WriteLine($"{Hosts} old groups let go of in {entries} entries, at most {most} per entry");
        Assert.Equal(3, entries);
        Assert.Equal(Hosts, engine.State.Monitors.RegroupOldGroupsFreed - freedBefore);
        Finish(engine);

        // Each alerting old group got one reset event from the edit, whichever step let go of it.
        var edits = engine.Events.Skip(events).Where(e => e.Reason == TransitionReason.MonitorEdited).ToList();
        Assert.Equal(before.Count(b => b.Value.State == AlertState.Alert), edits.Count);
        Assert.All(edits, e => Assert.Equal(AlertState.Ok, e.Next));
        AssertModel(engine, before, "env:prod");
    }

    [Fact]
    public void An_edit_while_the_old_groups_are_still_let_go_of_ends_as_the_model_of_one_reset_does()
    {
        var engine = Wide();
        var before = OldStates(engine);
        engine.Upsert(EngineHarness.Metric("wide", ProdByHost, o => o.EvaluationIntervalMs = 1_000));
        Assert.True(engine.State.Monitors.RegroupOldGroupsLeft > 0);

        // Edited again mid-step: the groups left still get the first edit's reset, once.
        engine.Upsert(EngineHarness.Metric("wide", DevByHost, o => o.EvaluationIntervalMs = 1_000));
        Finish(engine);
        Assert.Equal(before.Count(b => b.Value.State == AlertState.Alert), engine.Events.Count(e => e.Reason == TransitionReason.MonitorEdited));
        AssertModel(engine, before, "env:dev");
    }

    [Fact]
    public void Old_groups_let_go_of_after_a_same_selection_edit_render_the_definition_in_force_then()
    {
        var engine = Wide();
        engine.Upsert(EngineHarness.Metric("wide", ProdByHost, o => o.EvaluationIntervalMs = 1_000, message: "first"));
        Assert.True(engine.State.Monitors.RegroupOldGroupsLeft > 0);

        // Same scope and by, a new message, while old groups are still to be let go of: their resets, emitted
        // from now on, are rendered with the definition in force when they are emitted, as every other event is.
        var second = engine.Upsert(EngineHarness.Metric("wide", ProdByHost, o => o.EvaluationIntervalMs = 1_000, message: "second"));
        Assert.True(engine.State.Monitors.RegroupOldGroupsLeft > 0);
        Finish(engine);

        var items = new List<TransitionHistory.HistoryItem>();
        _ = engine.State.History.CopyAfter(second, e => e.Reason == TransitionReason.MonitorEdited, items, int.MaxValue);
        Assert.NotEmpty(items);
        Assert.All(items, i => Assert.Equal("second", i.Message));

        // The same after a restore: the snapshot names the definition the old groups are let go of with.
        var restarted = Wide();
        restarted.Upsert(EngineHarness.Metric("wide", ProdByHost, o => o.EvaluationIntervalMs = 1_000, message: "first"));
        restarted.Upsert(EngineHarness.Metric("wide", ProdByHost, o => o.EvaluationIntervalMs = 1_000, message: "second"));
        var restored = new EngineHarness(Snapshot.Restore(Snapshot.Bytes(restarted.State)));
        var from = restored.LastIndex;
        Finish(restored);
        items.Clear();
        _ = restored.State.History.CopyAfter(from, e => e.Reason == TransitionReason.MonitorEdited, items, int.MaxValue);
        Assert.NotEmpty(items);
        Assert.All(items, i => Assert.Equal("second", i.Message));
    }

    [Fact]
    public void A_snapshot_taken_while_old_groups_are_let_go_of_restores_to_the_same_steps()
    {
        var engine = Wide();
        var before = OldStates(engine);
        engine.Upsert(EngineHarness.Metric("wide", ProdByHost, o => o.EvaluationIntervalMs = 1_000));
        Assert.True(engine.State.Monitors.RegroupOldGroupsLeft > SeriesMatcher.MaxOldGroupsPerStep);

        var bytes = Snapshot.Bytes(engine.State);
        var restored = new EngineHarness(Snapshot.Restore(bytes));
        Assert.Equal(bytes, Snapshot.Bytes(restored.State));

        // Entry by entry through the old groups and the walk, the two write the same bytes and events.
        var events = engine.Events.Count;
        while (engine.State.MatchesPending > 0)
        {
            var at = engine.Now + 100;
            engine.Tick(at);
            restored.Tick(at);
            Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored.State));
        }

        Assert.Equal(engine.Events.Skip(events), restored.Events);
        AssertModel(restored, before, "env:prod");
    }

    [Fact]
    public void A_monitor_deleted_while_it_lets_go_of_old_groups_frees_them_with_their_last_words()
    {
        var engine = Wide();
        var alerting = OldStates(engine).Count(b => b.Value.State == AlertState.Alert);
        engine.Upsert(EngineHarness.Metric("wide", ProdByHost, o => o.EvaluationIntervalMs = 1_000));
        var edited = engine.Events.Count(e => e.Reason == TransitionReason.MonitorEdited);
        Assert.InRange(edited, 1, alerting - 1);

        engine.Delete("wide");
        Assert.Equal(0, engine.State.MatchesPending);
        Assert.Equal(1, engine.State.Monitors.MonitorsDraining);
        while (engine.State.Monitors.MonitorsDraining > 0)
        {
            engine.Tick(engine.Now + 100);
        }

        // Every old group closed once: by the edit's reset, or by the delete's last word.
        Assert.Equal(alerting - edited, engine.Events.Count(e => e.Reason == TransitionReason.MonitorDeleted));
        Assert.Empty(engine.State.Monitors.GroupsTagged("host:h1"));

        // The slot is free again: a new monitor meets none of the old groups through the series.
        engine.Upsert(EngineHarness.Metric("next", ByHost, o => o.EvaluationIntervalMs = 1_000));
        Finish(engine);
        Assert.Equal(Hosts, engine.State.GroupStates("next").Count());
        Assert.All(engine.State.Monitors.GroupMembers(), m => Assert.Single(m.SeriesIds));
    }

    [Fact]
    public void Series_that_expire_while_a_formula_regroup_lets_go_of_its_old_groups_leave_every_list_of_those_groups()
    {
        // The expiry sweep takes every series in one tick, so it reaches series whose old groups
        // (two metric queries each, where the edited monitor has one) are not let go of yet.
        var engine = new EngineHarness(new IngestLimits { SeriesSweepStep = 4 * Hosts });
        engine.Upsert(EngineHarness.Metric("f", "max(last_1m):max:q{*} by {host} + max:r{*} by {host} > 90", o => o.EvaluationIntervalMs = 1_000));
        Write(engine, _ => 50);
        Write(engine, _ => 50, "r");
        Finish(engine);
        Assert.Equal(Hosts, engine.State.GroupStates("f").Count());

        engine.Upsert(EngineHarness.Metric("f", ByHost, o => o.EvaluationIntervalMs = 1_000));
        engine.Tick(engine.Now + SeriesExpiry.DefaultRetentionMs + 60_000);
        Assert.Equal(0, engine.State.Monitors.SeriesCount);
        Assert.InRange(engine.State.Monitors.RegroupOldGroupsLeft, 1, SeriesMatcher.MaxOldGroupsPerStep - 1);

        Finish(engine);
        Assert.Equal(0, engine.State.Monitors.RegroupOldGroupsLeft);
        Assert.Empty(engine.State.GroupStates("f"));
    }

    [Fact]
    public void A_notify_by_monitor_regrouped_then_deleted_mid_step_agrees_with_a_replica_restored_mid_step()
    {
        // notify_by ["*"]: one key for the whole monitor, ALERT while any host alerts. The regroup drops the old keys;
        // neither the old groups let go of nor the delete's last words may count in a table the snapshot does not hold.
        static void Whole(MonitorOptions o)
        {
            o.EvaluationIntervalMs = 1_000;
            o.NotifyBy.Add("*");
        }

        var engine = Wide(Whole);
        engine.Upsert(EngineHarness.Metric("wide", ProdByHost, Whole));
        Assert.True(engine.State.Monitors.RegroupOldGroupsLeft > SeriesMatcher.MaxOldGroupsPerStep);
        var restored = new EngineHarness(Snapshot.Restore(Snapshot.Bytes(engine.State)));

        var events = engine.Events.Count;
        engine.Delete("wide");
        restored.Delete("wide");
        while (engine.State.Monitors.MonitorsDraining > 0)
        {
            var bytes = Snapshot.Bytes(engine.State);
            Assert.Equal(bytes, Snapshot.Bytes(restored.State));
            // Each mid-drain snapshot restores (its key tables are checked against their groups on read).
            Assert.Equal(bytes, Snapshot.Bytes(Snapshot.Restore(bytes)));
            var at = engine.Now + 100;
            engine.Tick(at);
            restored.Tick(at);
        }

        Assert.Equal(engine.Events.Skip(events), restored.Events);
        // The old groups were never notified one by one: their last words notify no one either.
        Assert.DoesNotContain(engine.Events.Skip(events), e => e.Notify);
    }

    [Fact]
    public void A_group_formed_later_under_a_key_the_regroup_let_go_of_never_repeats_its_transition_numbers()
    {
        var engine = Wide();
        var before = OldStates(engine);
        engine.Upsert(EngineHarness.Metric("wide", ProdByHost, o => o.EvaluationIntervalMs = 1_000));
        Finish(engine);

        // host:h0 was in dev (alerting: transitions 1, then the edit's reset 2); its carried state found no prod series
        // and was dropped. A prod series of that host later forms a new group host:h0, which alerts.
        var old = before["host:h0"];
        Assert.Equal(AlertState.Alert, old.State);
        var events = engine.Events.Count;
        var batch = new PointsBatch();
        var series = new SeriesPoints { Metric = "q", Tags = { "env:prod", "host:h0" } };
        series.UnixMs.Add(engine.Now);
        series.Values.Add(100);
        batch.Series.Add(series);
        engine.Apply(new LogEntry { Points = batch });
        engine.TickTo(engine.Now + 2_000);

        var alert = Assert.Single(engine.Events.Skip(events), e => e.GroupKey == "host:h0" && e.Next == AlertState.Alert);
        Assert.True(alert.TransitionNumber > old.TransitionCount + 1, $"the new group's transition {alert.TransitionNumber} repeats a number of the group let go of (it reached {old.TransitionCount + 1})");
    }

    /// <summary>One monitor by host over <see cref="Hosts"/> series, even hosts alerting.</summary>
    private static EngineHarness Wide(Action<MonitorOptions>? options = null)
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("wide", ByHost, options ?? (o => o.EvaluationIntervalMs = 1_000)));
        Write(engine, h => h % 2 == 0 ? 95 : 50);
        Finish(engine);
        engine.TickTo(engine.Now + 1_000);
        Assert.Equal((Hosts + 1) / 2, engine.State.GroupStates("wide").Count(g => g.State.State == AlertState.Alert));
        return engine;
    }

    private static void Write(EngineHarness engine, Func<int, double> value, string metric = "q")
    {
        for (var from = 0; from < Hosts; from += 5_000)
        {
            var batch = new PointsBatch();
            for (var h = from; h < Math.Min(Hosts, from + 5_000); h++)
            {
                var series = new SeriesPoints { Metric = metric, Tags = { Env(h), Host(h) } };
                series.UnixMs.Add(engine.Now);
                series.Values.Add(value(h));
                batch.Series.Add(series);
            }

            engine.Apply(new LogEntry { Points = batch });
        }
    }

    private static void Finish(EngineHarness engine)
    {
        while (engine.State.MatchesPending > 0 || engine.State.Monitors.MonitorsDraining > 0)
        {
            engine.Tick(engine.Now + 100);
        }
    }

    private static string Host(int h) => "host:h" + h.ToString(CultureInfo.InvariantCulture);

    private static string Env(int h) => h % 3 == 0 ? "env:dev" : "env:prod";

    private static Dictionary<string, GroupState> OldStates(EngineHarness engine) =>
        engine.State.GroupStates("wide").ToDictionary(g => g.State.GroupKey, g => g.State, StringComparer.Ordinal);

    /// <summary>
    /// The model of the edit done at once: the groups are the hosts of the new scope, each fed by
    /// its one series; a group whose key was an old group's goes on from that state reset by the
    /// edit (OK, one transition more if it was not OK), any other starts fresh.
    /// </summary>
    private static void AssertModel(EngineHarness engine, Dictionary<string, GroupState> before, string env)
    {
        var series = engine.State.Monitors.AllSeries.ToDictionary(s => s.Tags.Single(t => t.StartsWith("host:", StringComparison.Ordinal)), s => s.Id, StringComparer.Ordinal);
        var expected = Enumerable.Range(0, Hosts).Where(h => Env(h) == env).Select(Host).Order(StringComparer.Ordinal).ToList();
        var groups = engine.State.GroupStates("wide").ToList();
        Assert.Equal(expected, groups.Select(g => g.State.GroupKey));
        foreach (var (_, state) in groups)
        {
            var old = before[state.GroupKey];
            Assert.Equal(AlertState.Ok, state.State);
            Assert.Equal(old.TransitionCount + (old.State == AlertState.Ok ? 0UL : 1UL), state.TransitionCount);
        }

        var members = engine.State.Monitors.GroupMembers().Where(m => m.MonitorId == "wide").ToList();
        Assert.Equal(expected.Count, members.Count);
        Assert.All(members, m => Assert.Equal(new[] { series[m.GroupKey] }, m.SeriesIds));

        // Every series feeds exactly the groups that list it: no old group is left in a feed or the tag index.
        Assert.Equal(expected.Count, engine.State.Monitors.AllSeries.Sum(s => s.Feeds.Count));
        Assert.Equal(expected.Where(k => k == "host:h1" || k == "host:h2").Order(StringComparer.Ordinal), engine.State.Monitors.GroupsTagged("host:h1").Concat(engine.State.Monitors.GroupsTagged("host:h2")).Select(g => g.GroupKey).Order(StringComparer.Ordinal));
    }
}
