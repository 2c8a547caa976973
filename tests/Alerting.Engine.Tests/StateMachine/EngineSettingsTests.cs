using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using CsCheck;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Engine settings carried in the log (issue 7, item 5): an <c>EngineSettings</c> entry sets the
/// series retention and the sweep and match step budgets; everything through log entries and log
/// time, kept in snapshots from format 20.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class EngineSettingsTests
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

    private static ApplyResult Set(EngineHarness engine, long retentionMs = 0, int sweepStep = 0, int matchStep = 0) =>
        engine.Answer(new LogEntry { EngineSettings = new EngineSettings { SeriesRetentionMs = retentionMs, SeriesSweepStep = sweepStep, MatchStepSeries = matchStep } });

    private static string[] LiveSeries(EngineHarness engine) =>
        [.. engine.State.Monitors.AllSeries.Select(s => $"{s.Id}:{string.Join(',', s.Tags)}")];

    [Fact]
    public void Before_any_entry_the_settings_are_the_defaults()
    {
        var settings = new EngineHarness().State.Settings;
        Assert.Equal(SeriesExpiry.DefaultRetentionMs, settings.SeriesRetentionMs);
        Assert.Equal(IngestLimits.DefaultSeriesSweepStep, settings.SeriesSweepStep);
        Assert.Equal(IngestLimits.DefaultMatchStepSeries, settings.MatchStepSeries);
    }

    [Fact]
    public void A_series_expires_at_the_retention_the_log_set_not_at_24_hours()
    {
        var engine = WithByHostMonitor();
        Assert.Null(Set(engine, retentionMs: 2 * Hour).Error);
        var seen = engine.Now;
        engine.Point("cpu", ["host:a"], seen, 95);

        engine.Tick(seen + (2 * Hour) - 1);
        Assert.Equal(["0:host:a"], LiveSeries(engine));

        engine.Tick(seen + (2 * Hour));
        Assert.Empty(LiveSeries(engine));
    }

    [Fact]
    public void A_longer_retention_keeps_a_series_past_24_hours()
    {
        var engine = WithByHostMonitor();
        Set(engine, retentionMs: 3 * Day);
        var seen = engine.Now;
        engine.Point("cpu", ["host:a"], seen, 95);

        engine.Tick(seen + (2 * Day));
        Assert.Equal(["0:host:a"], LiveSeries(engine));
        engine.Tick(seen + (3 * Day));
        Assert.Empty(LiveSeries(engine));
    }

    [Fact]
    public void A_shorter_retention_set_later_drops_series_already_past_it_at_the_next_tick()
    {
        var engine = WithByHostMonitor();
        var seen = engine.Now;
        engine.Point("cpu", ["host:a"], seen, 95);
        engine.Tick(seen + (3 * Hour));
        Assert.Single(LiveSeries(engine));

        Set(engine, retentionMs: Hour);
        Assert.Single(LiveSeries(engine));
        engine.Tick(engine.Now + 100);
        Assert.Empty(LiveSeries(engine));
    }

    [Fact]
    public void A_field_left_zero_keeps_its_value()
    {
        var engine = new EngineHarness();
        Set(engine, retentionMs: 5 * Hour, sweepStep: 7, matchStep: 9);
        Set(engine, sweepStep: 3);

        Assert.Equal(new EngineSettings { SeriesRetentionMs = 5 * Hour, SeriesSweepStep = 3, MatchStepSeries = 9 }, engine.State.Settings.ToProto());
    }

    [Fact]
    public void The_sweep_step_set_by_the_log_bounds_what_one_tick_examines()
    {
        var engine = WithByHostMonitor();
        Set(engine, sweepStep: 3);
        for (var i = 0; i < 8; i++)
        {
            engine.Point("cpu", [$"host:h{i}"], engine.Now, 10);
        }

        engine.Tick(engine.Now + Day);
        Assert.Equal(8 - 3, engine.State.SeriesCount);
        Assert.Equal(3, engine.State.Monitors.SeriesSweepCursor);
    }

    [Fact]
    public void The_match_step_set_by_the_log_bounds_how_many_series_a_new_monitor_matches_per_tick()
    {
        var engine = new EngineHarness();
        for (var i = 0; i < 5; i++)
        {
            engine.Point("cpu", [$"host:h{i}"], engine.Now, 10);
        }

        Set(engine, matchStep: 2);
        engine.Upsert(EngineHarness.Metric("m", ByHost));
        Assert.Equal(2, engine.State.GroupStates("m").Count());
        Assert.Equal(1, engine.State.MatchesPending);

        engine.Tick(engine.Now + 100);
        Assert.Equal(4, engine.State.GroupStates("m").Count());
        engine.Tick(engine.Now + 100);
        Assert.Equal(5, engine.State.GroupStates("m").Count());
        Assert.Equal(0, engine.State.MatchesPending);
    }

    [Theory]
    [InlineData(ReplicatedSettings.MinSeriesRetentionMs - 1, 0, 0, "series_retention_ms: must be in 600000..2592000000 ms")]
    [InlineData(ReplicatedSettings.MaxSeriesRetentionMs + 1, 0, 0, "series_retention_ms: must be in 600000..2592000000 ms")]
    [InlineData(-1, 0, 0, "series_retention_ms: must be in")]
    [InlineData(Hour, -1, 0, "series_sweep_step: must be in 1..65536")]
    [InlineData(Hour, ReplicatedSettings.MaxStep + 1, 0, "series_sweep_step: must be in 1..65536")]
    [InlineData(0, 0, ReplicatedSettings.MaxStep + 1, "match_step_series: must be in 1..65536")]
    public void An_entry_with_a_value_out_of_bounds_changes_nothing_and_names_the_field_and_bound(long retentionMs, int sweepStep, int matchStep, string error)
    {
        var engine = new EngineHarness();
        var before = Snapshot.Bytes(engine.State);
        var settings = new EngineSettings { SeriesRetentionMs = retentionMs, SeriesSweepStep = sweepStep, MatchStepSeries = matchStep };
        Assert.StartsWith(error, ReplicatedSettings.Problem(settings));

        var result = engine.Answer(new LogEntry { EngineSettings = settings });

        Assert.StartsWith(error, result.Error);
        var after = Snapshot.Bytes(engine.State);

        // Only the applied index moved (bytes 8..15 of the header).
        Assert.Equal(before[16..], after[16..]);
        Assert.Equal(SeriesExpiry.DefaultRetentionMs, engine.State.Settings.SeriesRetentionMs);
    }

    [Fact]
    public void The_bounds_themselves_are_accepted()
    {
        var engine = new EngineHarness();
        Assert.Null(Set(engine, ReplicatedSettings.MinSeriesRetentionMs, ReplicatedSettings.MinStep, ReplicatedSettings.MaxStep).Error);
        Assert.Null(Set(engine, ReplicatedSettings.MaxSeriesRetentionMs).Error);
        Assert.Equal(new EngineSettings { SeriesRetentionMs = ReplicatedSettings.MaxSeriesRetentionMs, SeriesSweepStep = 1, MatchStepSeries = ReplicatedSettings.MaxStep }, engine.State.Settings.ToProto());
    }

    [Fact]
    public void The_settings_survive_a_snapshot_and_the_restored_state_goes_on_alike()
    {
        var engine = WithByHostMonitor();
        Set(engine, retentionMs: 2 * Hour, sweepStep: 2, matchStep: 3);
        for (var i = 0; i < 5; i++)
        {
            engine.Point("cpu", [$"host:h{i}"], engine.Now, 10);
        }

        var bytes = Snapshot.Bytes(engine.State);
        var restored = new EngineHarness(Snapshot.Restore(bytes));
        Assert.Equal(engine.State.Settings.ToProto(), restored.State.Settings.ToProto());
        Assert.Equal(bytes, Snapshot.Bytes(restored.State));

        // Both drop two series a tick once the 2 h pass.
        foreach (var at in new[] { engine.Now + (2 * Hour), engine.Now + (2 * Hour) + 100 })
        {
            engine.Tick(at);
            restored.Tick(at);
            Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(restored.State));
        }

        Assert.Equal(1, engine.State.SeriesCount);
    }

    [Fact]
    public void A_format_17_snapshot_reads_with_the_default_settings()
    {
        var engine = WithByHostMonitor();
        engine.Point("cpu", ["host:a"], engine.Now, 10);
        var current = Snapshot.Bytes(engine.State);
        Assert.Equal(22UL, BitConverter.ToUInt64(current, 0));

        // Format 20 appends the settings (a long and two ints) after everything format 17 wrote.
        Assert.Equal(SeriesExpiry.DefaultRetentionMs, BitConverter.ToInt64(current, current.Length - Snapshot.NoEditSteps - Snapshot.NoCompositeQueue - Snapshot.SettingsBytes));
        var version17 = Snapshot.WithoutSettings(current);

        var restored = Snapshot.Restore(version17);
        Assert.Equal(new EngineHarness().State.Settings.ToProto(), restored.Settings.ToProto());
        Assert.Equal(current, Snapshot.Bytes(restored));
    }

    [Fact]
    public void A_snapshot_with_bytes_after_its_last_part_is_refused()
    {
        var bytes = Snapshot.Bytes(WithByHostMonitor().State);
        Snapshot.Restore(bytes);
        var error = Assert.Throws<InvalidDataException>(() => Snapshot.Restore([.. bytes, 0]));
        Assert.Contains($"ends at byte {bytes.Length}, but the snapshot has {bytes.Length + 1} bytes", error.Message);
    }

    [Theory]
    [InlineData(4UL)]
    [InlineData(23UL)]
    public void A_snapshot_of_a_format_no_build_wrote_is_refused(ulong version)
    {
        var bytes = Snapshot.Bytes(new EngineHarness().State);
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), version);
        var error = Assert.Throws<InvalidDataException>(() => Snapshot.Restore(bytes));
        Assert.Contains($"version {version} is not supported", error.Message);
    }

    /// <summary>
    /// Random logs of points, ticks and settings entries: the live series are exactly those a model of
    /// last-seen times and the retention in force keeps, and a replica restored from a snapshot taken
    /// half way goes on to the same bytes as the original.
    /// </summary>
    [Fact]
    public void Series_follow_a_model_of_the_retention_in_force_and_replay_is_deterministic()
    {
        var operation = Gen.Frequency(
            (4, Gen.Int[0, 5].Select(host => new Op(Host: host))),
            (2, Gen.Long[1, 6].Select(hours => new Op(TickMs: hours * Hour))),
            (1, Gen.Long[1, 10 * Hour].Select(ms => new Op(TickMs: ms))),
            (1, Gen.Long[1, 30].Select(hours => new Op(RetentionMs: hours * Hour))),
            (1, Gen.Int[1, 4].Select(step => new Op(SweepStep: step))));
        operation.Array[1, 80].Sample(RunAgainstModel, iter: 150, print: ops => string.Join(' ', ops.Select(o => o.ToString())));
    }

    private static void RunAgainstModel(Op[] operations)
    {
        var engine = WithByHostMonitor();
        EngineHarness? replica = null;

        // The model: each live series' host and last-seen time by id, the sweep's cursor, and the settings in force.
        var live = new SortedDictionary<int, (int Host, long SeenMs)>();
        var nextId = 0;
        var cursor = 0;
        var retentionMs = SeriesExpiry.DefaultRetentionMs;
        var sweepStep = IngestLimits.DefaultSeriesSweepStep;
        for (var i = 0; i < operations.Length; i++)
        {
            if (i == operations.Length / 2)
            {
                replica = new EngineHarness(Snapshot.Restore(Snapshot.Bytes(engine.State)));
            }

            var op = operations[i];
            var entry = op.ToEntry(engine.Now);
            engine.Apply(entry);
            replica?.Apply(entry);
            if (op.TickMs > 0)
            {
                // One sweep step: up to the step's ids from the cursor, wrapping after the last id.
                for (var n = 0; n < Math.Min(sweepStep, nextId); n++)
                {
                    cursor = cursor >= nextId ? 0 : cursor;
                    if (live.TryGetValue(cursor, out var series) && engine.Now - series.SeenMs >= retentionMs)
                    {
                        live.Remove(cursor);
                    }

                    cursor++;
                }
            }
            else if (op.RetentionMs > 0 || op.SweepStep > 0)
            {
                retentionMs = op.RetentionMs > 0 ? op.RetentionMs : retentionMs;
                sweepStep = op.SweepStep > 0 ? op.SweepStep : sweepStep;
            }
            else
            {
                var id = live.FirstOrDefault(s => s.Value.Host == op.Host, new(nextId, default)).Key;
                nextId = id == nextId ? nextId + 1 : nextId;
                live[id] = (op.Host, engine.Now);
            }

            Assert.Equal(live.Select(s => $"{s.Key}:host:h{s.Value.Host}"), LiveSeries(engine));
            Assert.Equal(cursor, engine.State.Monitors.SeriesSweepCursor);
            if (replica is not null)
            {
                Assert.Equal(Snapshot.Bytes(engine.State), Snapshot.Bytes(replica.State));
            }
        }
    }

    private sealed record Op(long TickMs = 0, int Host = -1, long RetentionMs = 0, int SweepStep = 0)
    {
        public LogEntry ToEntry(long nowMs)
        {
            if (TickMs > 0)
            {
                return new LogEntry { Tick = new Tick { UnixMs = nowMs + TickMs } };
            }

            if (RetentionMs > 0 || SweepStep > 0)
            {
                return new LogEntry { EngineSettings = new EngineSettings { SeriesRetentionMs = RetentionMs, SeriesSweepStep = SweepStep } };
            }

            var series = new SeriesPoints { Metric = "cpu", Tags = { $"host:h{Host}" } };
            series.UnixMs.Add(nowMs);
            series.Values.Add(50);
            return new LogEntry { Points = new PointsBatch { Series = { series } } };
        }

        public override string ToString() =>
            TickMs > 0 ? $"+{TickMs}" : RetentionMs > 0 ? $"retention={RetentionMs}" : SweepStep > 0 ? $"sweep={SweepStep}" : $"h{Host}";
    }
}
