using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using CsCheck;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Series expiry (issue 7, item 5): a series no entry brought a point for <see cref="SeriesExpiry.DefaultRetentionMs"/>
/// of log time (or longer, while one of its windows could still hold a point) is dropped by a sweep
/// that walks the series ids a bounded step per tick; everything through log entries.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class SeriesExpiryTests
{
    private const long Hour = 60 * 60 * 1000;
    private const long Day = 24 * Hour;
    private const string ByHost = "avg(last_5m):avg:cpu{*} by {host} > 90";

    private static EngineHarness WithByHostMonitor(IngestLimits? limits = null)
    {
        var engine = new EngineHarness(limits);
        engine.Upsert(EngineHarness.Metric("m", ByHost));
        return engine;
    }

    private static string[] LiveSeries(EngineHarness engine) =>
        [.. engine.State.Monitors.AllSeries.Select(s => $"{s.Id}:{string.Join(',', s.Tags)}")];

    private static int[] MembersOf(EngineHarness engine, string groupKey) =>
        [.. engine.State.Monitors.GroupMembers().Single(g => g.GroupKey == groupKey).SeriesIds];

    /// <summary>Ticks in hour steps to <paramref name="untilMs"/>, writing a point for host b at each.</summary>
    private static void KeepBReporting(EngineHarness engine, long untilMs)
    {
        while (engine.Now + Hour <= untilMs)
        {
            engine.Tick(engine.Now + Hour);
            engine.Point("cpu", ["host:b"], engine.Now, 10);
        }

        if (engine.Now < untilMs)
        {
            engine.Tick(untilMs);
        }
    }

    [Fact]
    public void A_series_not_seen_for_the_retention_is_dropped_and_leaves_its_group_and_not_before()
    {
        var engine = WithByHostMonitor();
        var lastSeen = engine.Now;
        engine.Point("cpu", ["host:a"], lastSeen, 95);
        engine.Point("cpu", ["host:b"], lastSeen, 10);

        KeepBReporting(engine, lastSeen + SeriesExpiry.DefaultRetentionMs - 1);
        Assert.Equal(["0:host:a", "1:host:b"], LiveSeries(engine));

        KeepBReporting(engine, lastSeen + SeriesExpiry.DefaultRetentionMs);
        Assert.Equal(["1:host:b"], LiveSeries(engine));
        Assert.Equal(1, engine.State.SeriesCount);

        // The group stays (this monitor has no group retention) and reads no series any more.
        Assert.Empty(MembersOf(engine, "host:a"));
        Assert.Equal([1], MembersOf(engine, "host:b"));
    }

    [Fact]
    public void A_series_that_comes_back_is_a_new_series_with_a_new_id_matched_into_its_group_again()
    {
        var engine = WithByHostMonitor();
        engine.Point("cpu", ["host:a"], engine.Now, 95);
        engine.Point("cpu", ["host:b"], engine.Now, 10);
        KeepBReporting(engine, engine.Now + Day + Hour);
        Assert.Equal(["1:host:b"], LiveSeries(engine));

        engine.Point("cpu", ["host:a"], engine.Now, 95);

        // Id 0 stays a gap: ids are never reused, so a group's series stay in creation order.
        Assert.Equal(["1:host:b", "2:host:a"], LiveSeries(engine));
        Assert.Equal([2], MembersOf(engine, "host:a"));
        Assert.Equal(2, engine.State.SeriesCount);
    }

    [Fact]
    public void An_expired_series_window_slot_is_reused_by_the_next_series_that_needs_one()
    {
        var engine = WithByHostMonitor();
        engine.Point("cpu", ["host:a"], engine.Now, 95);
        engine.Point("cpu", ["host:b"], engine.Now, 10);
        var tier = engine.State.Monitors.AllSeries.First().TierSlots.ToArray().ToList().FindIndex(slot => slot >= 0);
        var slotOfA = engine.State.Monitors.AllSeries.First().TierSlots[tier];
        KeepBReporting(engine, engine.Now + Day + Hour);

        engine.Point("cpu", ["host:c"], engine.Now, 50);

        var c = engine.State.Monitors.AllSeries.Single(s => s.Tags.SequenceEqual(["host:c"]));
        Assert.Equal(slotOfA, c.TierSlots[tier]);
        Assert.Equal(2, c.Id);
    }

    [Fact]
    public void A_series_in_a_long_window_stays_until_no_window_of_it_can_hold_a_point()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("long", "avg(last_1w):avg:disk{*} by {host} > 90"));
        engine.Point("disk", ["host:a"], engine.Now, 95);
        var entry = engine.State.Monitors.AllSeries.Single();
        var longestTier = StoreTiers.Count - 1;
        Assert.True(entry.TierSlots[longestTier] >= 0, "a week-long window lives in the longest tier");
        var seenAt = engine.Now;

        engine.Tick(seenAt + Day + Hour);
        Assert.Single(engine.State.Monitors.AllSeries);

        // The tier's whole ring: its span (15 d), the partial oldest bucket of an exact window, and
        // its future bucket (points enter at most the arrival skew ahead of logical time).
        var options = StoreTiers.Options(longestTier, FuturePoints.ArrivalSkewMs, initialCapacity: 1);
        var hold = options.RingLength * options.ResolutionMs;
        engine.Tick(seenAt + hold - 1);
        Assert.Single(engine.State.Monitors.AllSeries);
        engine.Tick(seenAt + hold);
        Assert.Empty(engine.State.Monitors.AllSeries);
    }

    [Fact]
    public void A_check_series_that_expires_leaves_its_runs_and_a_new_one_starts_clean()
    {
        var engine = new EngineHarness();
        engine.Upsert(new Protocol.Log.Monitor
        {
            Id = "c",
            Type = "check",
            Query = "\"app.ok\".over(\"*\").by(\"host\").last(1).count_by_status()",
            Options = new Protocol.Log.MonitorOptions { OnArrival = true },
        });
        engine.Check("app.ok", ["host:a"], engine.Now, Protocol.Log.CheckStatus.Critical);
        Assert.Single(engine.State.Monitors.AllSeries);
        Assert.Equal(Alerting.Engine.State.AlertState.Alert, engine.State.GroupStates("c").Single().State.State);

        engine.Tick(engine.Now + Day);
        Assert.Empty(engine.State.Monitors.AllSeries);
        Assert.Empty(MembersOf(engine, "host:a"));

        engine.Check("app.ok", ["host:a"], engine.Now, Protocol.Log.CheckStatus.Ok);
        Assert.Equal([1], MembersOf(engine, "host:a"));
        Assert.Equal(Alerting.Engine.State.AlertState.Ok, engine.State.GroupStates("c").Single().State.State);
        var restored = Snapshot.Restore(Snapshot.Bytes(engine.State));
        Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored));
    }

    [Fact]
    public void A_formula_group_loses_only_the_expired_query_series_and_keeps_evaluating()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("f", "max(last_1m):sum:errs{*} by {env} + sum:reqs{*} by {env} > 5"));
        engine.Point("errs", ["env:prod"], engine.Now, 1);
        engine.Point("reqs", ["env:prod"], engine.Now, 1);
        var start = engine.Now;
        while (engine.Now < start + Day)
        {
            engine.Tick(engine.Now + Hour);
            engine.Point("reqs", ["env:prod"], engine.Now, 1);
        }

        // errs (id 0) expired; reqs (id 1) kept reporting. The group evaluated every minute meanwhile.
        var members = engine.State.Monitors.GroupMembers().Where(g => g.MonitorId == "f").Select(g => (g.Operand, Ids: string.Join(',', g.SeriesIds))).ToList();
        Assert.Equal([(0, ""), (1, "1")], members);

        engine.Point("errs", ["env:prod"], engine.Now, 9);
        members = [.. engine.State.Monitors.GroupMembers().Where(g => g.MonitorId == "f").Select(g => (g.Operand, Ids: string.Join(',', g.SeriesIds)))];
        Assert.Equal([(0, "2"), (1, "1")], members);
        engine.Tick(engine.Now + 60_000);
        Assert.Equal(Alerting.Engine.State.AlertState.Alert, engine.State.GroupStates("f").Single().State.State);
    }

    [Fact]
    public void The_sweep_examines_a_bounded_step_per_tick_and_its_cursor_survives_a_snapshot()
    {
        var limits = new IngestLimits { SeriesSweepStep = 3 };
        var engine = WithByHostMonitor(limits);
        for (var i = 0; i < 8; i++)
        {
            engine.Point("cpu", [$"host:h{i}"], engine.Now, 10);
        }

        engine.Tick(engine.Now + Day);
        Assert.Equal(8 - 3, engine.State.SeriesCount);
        Assert.Equal(3, engine.State.Monitors.SeriesSweepCursor);

        // A replica restored from a snapshot taken mid-sweep goes on exactly as the original.
        var replica = new LogApplier(EngineState.ReadFrom(new BinaryReader(new MemoryStream(Snapshot.Bytes(engine.State))), limits), _ => { });
        var tick = engine.Now;
        for (var round = 1; round <= 2; round++)
        {
            tick += 1_000;
            engine.Tick(tick);
            replica.Apply(engine.LastIndex, 1, new Protocol.Log.LogEntry { Tick = new Protocol.Log.Tick { UnixMs = tick } });
            Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(replica.State));
        }

        // The third step examined ids 6 and 7, wrapped, and examined id 0 (a gap by now).
        Assert.Equal(0, engine.State.SeriesCount);
        Assert.Equal(1, engine.State.Monitors.SeriesSweepCursor);
    }

    [Fact]
    public void The_same_log_gives_the_same_snapshot_bytes_through_expiry_and_return()
    {
        static byte[] Run()
        {
            var engine = WithByHostMonitor(new IngestLimits { SeriesSweepStep = 5 });
            var rng = new Random(7);
            for (var step = 0; step < 300; step++)
            {
                if (rng.Next(3) == 0)
                {
                    engine.Tick(engine.Now + rng.Next(1, 6) * Hour);
                }
                else
                {
                    engine.Point("cpu", [$"host:h{rng.Next(12)}", $"dc:{rng.Next(2)}"], engine.Now, rng.Next(100));
                }
            }

            return Snapshot.Bytes(engine.State);
        }

        var first = Run();
        Assert.Equal(first, Run());
        Assert.Equal(first, Snapshot.Bytes(Snapshot.Restore(first)));
    }

    [Fact]
    public void Live_series_and_group_members_match_a_model_of_last_seen_times()
    {
        var operation = Gen.Frequency(
            (3, Gen.Int[0, 5].Select(host => (Tick: 0L, Host: host))),
            (1, Gen.Long[1, 30 * Hour].Select(ms => (Tick: ms, Host: -1))),
            // Whole hours, so a series often falls due exactly at the retention boundary.
            (1, Gen.Long[1, 30].Select(hours => (Tick: hours * Hour, Host: -1))));
        operation.Array[1, 80].Sample(RunAgainstModel, iter: 150, print: ops => string.Join(' ', ops.Select(o => o.Tick > 0 ? $"+{o.Tick}" : $"h{o.Host}")));
    }

    private static void RunAgainstModel((long Tick, int Host)[] operations)
    {
        var engine = WithByHostMonitor();
        var lastSeen = new Dictionary<int, (int Id, long SeenMs)>();
        var nextId = 0;
        foreach (var (tick, host) in operations)
        {
            if (tick > 0)
            {
                engine.Tick(engine.Now + tick);
                foreach (var expired in lastSeen.Where(s => engine.Now - s.Value.SeenMs >= SeriesExpiry.DefaultRetentionMs).Select(s => s.Key).ToList())
                {
                    lastSeen.Remove(expired);
                }
            }
            else
            {
                engine.Point("cpu", [$"host:h{host}"], engine.Now, 50);
                var id = lastSeen.TryGetValue(host, out var known) ? known.Id : nextId++;
                lastSeen[host] = (id, engine.Now);
            }

            var expected = lastSeen.OrderBy(s => s.Value.Id).Select(s => $"{s.Value.Id}:host:h{s.Key}");
            Assert.Equal(expected, LiveSeries(engine));
            foreach (var (hostOf, (id, _)) in lastSeen)
            {
                Assert.Equal([id], MembersOf(engine, $"host:h{hostOf}"));
            }
        }
    }
}
