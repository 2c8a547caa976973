using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Xunit.Abstractions;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Issue 7 item 3: an edit that keeps the series selection over more groups than a step re-stamps them in
/// bounded entries (<see cref="EditSteps"/>); a group not reached yet gets the edit before anything evaluates it,
/// refreshes its mute, lets go of it or frees it. Every case ends in the states the edit applied at once gives
/// (the model: <see cref="StateProcessor.OnMonitorEdited{TSink}"/> applied to each group's state as it was).
/// </summary>
public sealed class SteppedEditTests(ITestOutputHelper output)
{
    private const string MaxByHost = "max(last_1m):max:q{*} by {host} > 90";

    // Same scope and by, another aggregation (what the monitor measures changes: every group is reset), a
    // threshold above the points so an evaluation after the edit keeps them OK.
    private const string MinByHost = "min(last_1m):max:q{*} by {host} > 99";
    private const string AvgByHost = "avg(last_1m):max:q{*} by {host} > 99";

    /// <summary>Hosts: more than two steps of groups; even hosts alert before the edit.</summary>
    private static readonly int Hosts = (2 * EditSteps.MaxGroupsPerStep) + 300;

    [Fact]
    public void A_same_selection_edit_over_more_groups_than_a_step_restamps_them_in_bounded_entries_and_ends_as_the_model_does()
    {
        var engine = Wide();
        var before = StatesBefore(engine);
        var restampedBefore = engine.State.Monitors.GroupsRestamped;
        var events = engine.Events.Count;

        var edit = Monitor(MinByHost, "edited");
        var editIndex = engine.Upsert(edit);
        var entries = 1;
        var most = engine.State.Monitors.GroupsRestamped - restampedBefore;
        Assert.Equal(EditSteps.MaxGroupsPerStep, most);
        Assert.Equal(Hosts - EditSteps.MaxGroupsPerStep, engine.State.Monitors.EditGroupsLeft);

        // The groups stay the monitor's while it steps (no group leaves, none forms).
        Assert.Equal(Hosts, engine.State.GroupStates("wide").Count());
        var done = engine.State.Monitors.GroupsRestamped;
        while (engine.State.Monitors.EditsPending > 0)
        {
            // One millisecond per tick: no evaluation falls due while it steps (checked below).
            engine.Tick(engine.Now + 1);
            entries++;
            var step = engine.State.Monitors.GroupsRestamped - done;
            done += step;
            most = Math.Max(most, step);
            Assert.InRange(step, 1, EditSteps.MaxGroupsPerStep);
        }

        output.WriteLine($"{Hosts} groups re-stamped in {entries} entries, at most {most} per entry");
        Assert.Equal(3, entries);
        Assert.Equal(Hosts, engine.State.Monitors.GroupsRestamped - restampedBefore);
        Assert.All(before, b => Assert.Equal(b.Value.LastEvaluatedMs, engine.State.Monitors.GroupLastEvaluatedMs("wide", b.Key)));

        AssertModel(engine, before, [(Monitor(MaxByHost), edit, before.First().Value.EditMs)]);
        var resets = engine.Events.Skip(events).ToList();
        Assert.All(resets, e => Assert.Equal(TransitionReason.MonitorEdited, e.Reason));
        Assert.Equal(before.Count(b => b.Value.State.State == AlertState.Alert), resets.Count);

        // Rendered with the definition in force when emitted: the edit's.
        var items = new List<TransitionHistory.HistoryItem>();
        _ = engine.State.History.CopyAfter(editIndex - 1, e => e.Reason == TransitionReason.MonitorEdited, items, int.MaxValue);
        Assert.Equal(resets.Count, items.Count);
        Assert.All(items, i => Assert.Equal("edited", i.Message));
    }

    [Fact]
    public void An_edit_that_changes_no_group_state_takes_one_entry_whatever_the_groups()
    {
        var engine = Wide();
        var before = StatesBefore(engine);
        var restamped = engine.State.Monitors.GroupsRestamped;
        var events = engine.Events.Count;

        // A new message and threshold over the same query: nothing a group holds changes.
        engine.Upsert(Monitor("max(last_1m):max:q{*} by {host} > 93", "new message"));
        Assert.Equal(0, engine.State.Monitors.EditsPending);
        Assert.Equal(restamped, engine.State.Monitors.GroupsRestamped);
        Assert.Equal(events, engine.Events.Count);
        AssertModel(engine, before, []);
    }

    [Fact]
    public void A_scheduled_evaluation_during_the_steps_restamps_each_group_before_it_evaluates_it()
    {
        var engine = Wide();
        var before = StatesBefore(engine);
        var events = engine.Events.Count;
        engine.Upsert(Monitor(MinByHost));
        Assert.True(engine.State.Monitors.EditGroupsLeft > 0);

        // One tick a whole interval on: its step leaves groups to re-stamp, and the evaluation it fires reaches them
        // first, so an alerting group resets through the edit (its state no longer meaningful), never through the
        // new threshold under rules the edit has not reached it with.
        var left = engine.State.Monitors.EditGroupsLeft;
        Assert.True(left > EditSteps.MaxGroupsPerStep);
        engine.Tick(engine.Now + 1_000);
        Assert.Equal(0, engine.State.Monitors.EditsPending);
        var after = engine.Events.Skip(events).ToList();
        Assert.Equal(before.Count(b => b.Value.State.State == AlertState.Alert), after.Count(e => e.Reason == TransitionReason.MonitorEdited));
        Assert.DoesNotContain(after, e => e.Reason != TransitionReason.MonitorEdited && e.Previous == AlertState.Alert);
        Assert.All(engine.State.GroupStates("wide"), g => Assert.Equal(AlertState.Ok, g.State.State));
        foreach (var (key, b) in before)
        {
            Assert.Equal(b.State.TransitionCount + (b.State.State == AlertState.Ok ? 0UL : 1UL), engine.State.GroupStates("wide").Single(g => g.State.GroupKey == key).State.TransitionCount);
        }
    }

    [Fact]
    public void A_second_edit_mid_step_chains_and_each_group_gets_both_edits_once_in_order()
    {
        var engine = Wide();
        var before = StatesBefore(engine);
        var events = engine.Events.Count;
        var first = Monitor(MinByHost, "first");
        engine.Upsert(first);
        var firstMs = engine.Now;
        engine.Tick(engine.Now + 1);
        Assert.True(engine.State.Monitors.EditGroupsLeft > 0);

        var second = Monitor(AvgByHost, "second");
        var secondIndex = engine.Upsert(second);
        var secondMs = engine.Now;
        Assert.Equal(1, engine.State.Monitors.EditsPending);
        while (engine.State.Monitors.EditsPending > 0)
        {
            engine.Tick(engine.Now + 1);
        }

        AssertModel(engine, before, [(Monitor(MaxByHost), first, firstMs), (first, second, secondMs)]);
        Assert.Equal(before.Count(b => b.Value.State.State == AlertState.Alert), engine.Events.Skip(events).Count(e => e.Reason == TransitionReason.MonitorEdited));

        // Resets emitted after the second edit are rendered with it.
        var items = new List<TransitionHistory.HistoryItem>();
        _ = engine.State.History.CopyAfter(secondIndex - 1, e => e.Reason == TransitionReason.MonitorEdited, items, int.MaxValue);
        Assert.NotEmpty(items);
        Assert.All(items, i => Assert.Equal("second", i.Message));
    }

    [Fact]
    public void A_monitor_deleted_mid_step_frees_each_group_after_its_edit()
    {
        var engine = Wide();
        var alerting = StatesBefore(engine).Count(b => b.Value.State.State == AlertState.Alert);
        var events = engine.Events.Count;
        engine.Upsert(Monitor(MinByHost));
        Assert.True(engine.State.Monitors.EditGroupsLeft > 0);

        engine.Delete("wide");
        while (engine.State.Monitors.MonitorsDraining > 0 || engine.State.Monitors.EditsPending > 0)
        {
            engine.Tick(engine.Now + 1);
        }

        // The edit reset each alerting group (once), so the delete finds them OK: no last word is due.
        var after = engine.Events.Skip(events).ToList();
        Assert.Equal(alerting, after.Count(e => e.Reason == TransitionReason.MonitorEdited));
        Assert.DoesNotContain(after, e => e.Reason == TransitionReason.MonitorDeleted);
        Assert.Equal(0, engine.State.Monitors.DrainingGroups);
    }

    [Fact]
    public void A_regroup_mid_step_lets_go_of_each_old_group_after_the_same_selection_edit()
    {
        var engine = Wide();
        var alerting = StatesBefore(engine).Count(b => b.Value.State.State == AlertState.Alert);
        var events = engine.Events.Count;
        engine.Upsert(Monitor(MinByHost));
        Assert.True(engine.State.Monitors.EditGroupsLeft > 0);

        // Regrouped (no by: one group over every series) while groups are still to re-stamp.
        engine.Upsert(Monitor("min(last_1m):max:q{*} > 99"));
        Assert.True(engine.State.Monitors.RegroupOldGroupsLeft > 0);
        while (engine.State.MatchesPending > 0 || engine.State.Monitors.EditsPending > 0)
        {
            engine.Tick(engine.Now + 1);
        }

        // Each alerting group was reset once (by the first edit); the regroup found every one OK.
        Assert.Equal(alerting, engine.Events.Skip(events).Count(e => e.Reason == TransitionReason.MonitorEdited));
        Assert.Equal(0, engine.State.Monitors.RegroupOldGroupsLeft);
        var group = Assert.Single(engine.State.GroupStates("wide"));
        Assert.Equal(AlertState.Ok, group.State.State);
    }

    [Fact]
    public void Resets_of_an_unfinished_edit_still_notify_with_its_message_when_a_later_edit_adds_notify_by()
    {
        // By {host,env} so notify_by ["host"] names fewer tags than the groups have.
        const string MaxByHostEnv = "max(last_1m):max:q{*} by {host,env} > 90";
        const string MinByHostEnv = "min(last_1m):max:q{*} by {host,env} > 99";
        var engine = Wide(MaxByHostEnv, "env:prod");
        var alerting = engine.State.GroupStates("wide").Where(g => g.State.State == AlertState.Alert).Select(g => g.State.GroupKey).ToHashSet(StringComparer.Ordinal);
        var firstIndex = engine.Upsert(Monitor(MinByHostEnv, "first"));
        Assert.True(engine.State.Monitors.EditGroupsLeft > 0);

        // Before the next tick: the edit adding notify_by is applied at once and finishes the first edit's chain.
        engine.Upsert(EngineHarness.Metric("wide", MinByHostEnv, o =>
        {
            o.EvaluationIntervalMs = 1_000;
            o.NotifyBy.Add("host");
        }, message: "second"));
        Assert.Equal(0, engine.State.Monitors.EditsPending);

        // The first edit's resets are its own: notified one by one (the monitor had no notify_by) with its message.
        var items = new List<TransitionHistory.HistoryItem>();
        _ = engine.State.History.CopyAfter(firstIndex - 1, e => e.Reason == TransitionReason.MonitorEdited && alerting.Contains(e.GroupKey), items, int.MaxValue);
        Assert.Equal(alerting.Count, items.Count);
        Assert.All(items, i => Assert.True(i.Event.Notify, $"{i.Event.GroupKey} reset silently"));
        Assert.All(items, i => Assert.Equal("first", i.Message));
    }

    [Fact]
    public void Many_chained_edits_cost_each_group_at_most_the_chain_cap_per_restamp_and_end_as_the_model_does()
    {
        var engine = Wide();
        var before = StatesBefore(engine);
        var edits = new List<(Protocol.Log.Monitor From, Protocol.Log.Monitor To, long AtMs)>();
        var previous = Monitor(MaxByHost);
        var mostPerRestamp = 0.0;
        for (var e = 0; e < 20; e++)
        {
            // Alternating aggregations: every edit changes what the groups hold, so each joins the chain.
            var next = Monitor(e % 2 == 0 ? MinByHost : AvgByHost, "edit " + e.ToString(CultureInfo.InvariantCulture));
            var restamped = engine.State.Monitors.GroupsRestamped;
            var applied = engine.State.Monitors.EditsApplied;
            edits.Add((previous, next, engine.Now));
            engine.Upsert(next);
            previous = next;
            CheckEntry();

            // One step between edits (one millisecond: no evaluation falls due), so the chain never finishes by itself.
            restamped = engine.State.Monitors.GroupsRestamped;
            applied = engine.State.Monitors.EditsApplied;
            engine.Tick(engine.Now + 1);
            CheckEntry();

            void CheckEntry()
            {
                var groups = engine.State.Monitors.GroupsRestamped - restamped;
                var edited = engine.State.Monitors.EditsApplied - applied;
                Assert.True(edited <= groups * EditSteps.MaxChainEdits, $"edit {e}: {edited} edits applied over {groups} groups re-stamped");
                if (groups > 0)
                {
                    mostPerRestamp = Math.Max(mostPerRestamp, (double)edited / groups);
                }
            }
        }

        while (engine.State.Monitors.EditsPending > 0)
        {
            var restamped = engine.State.Monitors.GroupsRestamped;
            var applied = engine.State.Monitors.EditsApplied;
            engine.Tick(engine.Now + 1);
            var groups = engine.State.Monitors.GroupsRestamped - restamped;
            var edited = engine.State.Monitors.EditsApplied - applied;
            Assert.True(edited <= groups * EditSteps.MaxChainEdits, $"after the edits: {edited} edits applied over {groups} groups re-stamped");
            mostPerRestamp = Math.Max(mostPerRestamp, (double)edited / groups);
        }

        output.WriteLine($"20 chained edits: at most {mostPerRestamp:F2} edits per group re-stamp in an entry");
        AssertModel(engine, before, [.. edits]);
    }

    [Fact]
    public void A_replica_restored_mid_step_agrees_byte_for_byte_entry_by_entry()
    {
        var engine = Wide();
        engine.Upsert(Monitor(MinByHost));
        engine.Tick(engine.Now + 1);
        engine.Upsert(Monitor(AvgByHost, "again"));
        Assert.True(engine.State.Monitors.EditGroupsLeft > EditSteps.MaxGroupsPerStep);

        var bytes = Snapshot.Bytes(engine.State);
        Assert.Equal(22UL, BitConverter.ToUInt64(bytes, 0));
        var restored = new EngineHarness(Snapshot.Restore(bytes));
        Assert.Equal(bytes, Snapshot.Bytes(restored.State));

        var events = engine.Events.Count;
        var entries = 0;
        while (engine.State.Monitors.EditsPending > 0)
        {
            var at = engine.Now + 1;
            engine.Tick(at);
            restored.Tick(at);
            entries++;
            Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored.State));
        }

        Assert.Equal(0, restored.State.Monitors.EditsPending);
        Assert.InRange(entries, 2, 3);
        Assert.Equal(engine.Events.Skip(events), restored.Events);

        // And on through evaluations.
        engine.TickTo(engine.Now + 2_000);
        restored.TickTo(restored.Now + 2_000);
        Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored.State));
    }

    [Fact]
    public void A_format_21_snapshot_reads_as_having_no_edit_going()
    {
        var engine = Wide();
        var current = Snapshot.Bytes(engine.State);
        Assert.Equal(0, BitConverter.ToInt32(current, current.Length - Snapshot.NoEditSteps));
        byte[] version21 = current[..^Snapshot.NoEditSteps];
        BitConverter.TryWriteBytes(version21.AsSpan(0, 8), 21UL);
        Assert.Equal(current, Snapshot.Bytes(Snapshot.Restore(version21)));
    }

    /// <summary>One monitor by host over <see cref="Hosts"/> series, even hosts alerting.</summary>
    private static EngineHarness Wide(string query = MaxByHost, string? extraTag = null)
    {
        var engine = new EngineHarness();
        engine.Upsert(Monitor(query));
        for (var from = 0; from < Hosts; from += 5_000)
        {
            var batch = new PointsBatch();
            for (var h = from; h < Math.Min(Hosts, from + 5_000); h++)
            {
                var series = new SeriesPoints { Metric = "q", Tags = { "host:h" + h.ToString(CultureInfo.InvariantCulture) } };
                if (extraTag is not null)
                {
                    series.Tags.Add(extraTag);
                }

                series.UnixMs.Add(engine.Now);
                series.Values.Add(h % 2 == 0 ? 95 : 50);
                batch.Series.Add(series);
            }

            engine.Apply(new LogEntry { Points = batch });
        }

        while (engine.State.MatchesPending > 0)
        {
            engine.Tick(engine.Now + 100);
        }

        engine.TickTo(engine.Now + 1_000);
        Assert.Equal((Hosts + 1) / 2, engine.State.GroupStates("wide").Count(g => g.State.State == AlertState.Alert));
        return engine;
    }

    private static Protocol.Log.Monitor Monitor(string query, string message = "") =>
        EngineHarness.Metric("wide", query, o => o.EvaluationIntervalMs = 1_000, message: message);

    private sealed record Before(GroupState State, long LastEvaluatedMs, long EditMs);

    /// <summary>Each group's state and last evaluation before an edit, and the logical time the edit would apply at.</summary>
    private static Dictionary<string, Before> StatesBefore(EngineHarness engine) =>
        engine.State.GroupStates("wide").ToDictionary(
            g => g.State.GroupKey,
            g => new Before(g.State, engine.State.Monitors.GroupLastEvaluatedMs("wide", g.State.GroupKey)!.Value, engine.Now),
            StringComparer.Ordinal);

    /// <summary>
    /// The model of the edits done at once: each group's state as it was, through each edit's
    /// <see cref="StateProcessor.OnMonitorEdited{TSink}"/> (its old and new rules, the group's clock at the edit).
    /// </summary>
    private static void AssertModel(EngineHarness engine, Dictionary<string, Before> before, (Protocol.Log.Monitor From, Protocol.Log.Monitor To, long AtMs)[] edits)
    {
        var groups = engine.State.GroupStates("wide").ToList();
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), groups.Select(g => g.State.GroupKey));
        foreach (var (_, state) in groups)
        {
            var b = before[state.GroupKey];
            var expected = b.State;
            var sink = new Discard();
            foreach (var (from, to, atMs) in edits)
            {
                StateProcessor.OnMonitorEdited(MonitorCompiler.Compile(from).Rules, MonitorCompiler.Compile(to).Rules, ref expected, Math.Max(atMs, b.LastEvaluatedMs), 0, ref sink);
            }

            Assert.Equal(expected, state);
        }
    }

    private struct Discard : ITransitionSink
    {
        public readonly void Emit(in TransitionEvent transition)
        {
        }
    }
}
