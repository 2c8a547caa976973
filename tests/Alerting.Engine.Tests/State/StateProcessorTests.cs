using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.State;

public sealed class StateProcessorTests
{
    private const long Minute = GroupRun.Minute;

    [Fact]
    public void Critical_threshold_moves_ok_to_alert_and_back()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90));
        Assert.Empty(run.At(0, 90));
        var alert = Assert.Single(run.At(1, 91));
        Assert.Equal((AlertState.Ok, AlertState.Alert, TransitionReason.ThresholdCrossed, 90.0, 91.0), (alert.Previous, alert.Next, alert.Reason, alert.Threshold, alert.Value));
        Assert.True(alert.Notify);
        var ok = Assert.Single(run.At(2, 90));
        Assert.Equal((AlertState.Alert, AlertState.Ok, TransitionReason.Recovered), (ok.Previous, ok.Next, ok.Reason));
    }

    [Fact]
    public void Warning_threshold_moves_ok_to_warn()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90, warning: 80));
        var warn = Assert.Single(run.At(0, 85));
        Assert.Equal((AlertState.Ok, AlertState.Warn, 80.0), (warn.Previous, warn.Next, warn.Threshold));
        var alert = Assert.Single(run.At(1, 95));
        Assert.Equal((AlertState.Warn, AlertState.Alert), (alert.Previous, alert.Next));
        var down = Assert.Single(run.At(2, 85));
        Assert.Equal((AlertState.Alert, AlertState.Warn), (down.Previous, down.Next));
    }

    [Fact]
    public void Critical_recovery_keeps_alert_above_it_and_recovers_at_exactly_the_recovery_threshold()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90, criticalRecovery: 70));
        Assert.Single(run.At(0, 95));
        Assert.Empty(run.At(1, 85));
        Assert.Empty(run.At(2, 70.01));
        Assert.Equal(AlertState.Alert, run.State.State);
        var ok = Assert.Single(run.At(3, 70));
        Assert.Equal((AlertState.Ok, 70.0), (ok.Next, ok.Threshold));
        Assert.Empty(run.At(4, 85));
    }

    [Fact]
    public void Warning_recovery_keeps_warn_above_it_and_recovers_at_exactly_the_recovery_threshold()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90, warning: 80, warningRecovery: 60));
        Assert.Single(run.At(0, 81));
        Assert.Empty(run.At(1, 65));
        Assert.Empty(run.At(2, 60.01));
        var ok = Assert.Single(run.At(3, 60));
        Assert.Equal((AlertState.Warn, AlertState.Ok, 60.0), (ok.Previous, ok.Next, ok.Threshold));
    }

    /// <summary>Datadog: the recovery condition is the complement of the alert comparator (> recovers at <=, >= at <, < at >=, <= at >).</summary>
    [Theory]
    [InlineData(Comparator.Greater, 90, 80, 80, true)]
    [InlineData(Comparator.Greater, 90, 80, 80.5, false)]
    [InlineData(Comparator.GreaterOrEqual, 90, 80, 80, false)]
    [InlineData(Comparator.GreaterOrEqual, 90, 80, 79.5, true)]
    [InlineData(Comparator.Less, 10, 20, 20, true)]
    [InlineData(Comparator.Less, 10, 20, 19.5, false)]
    [InlineData(Comparator.LessOrEqual, 10, 20, 20, false)]
    [InlineData(Comparator.LessOrEqual, 10, 20, 20.5, true)]
    public void Recovery_condition_is_the_complement_of_the_alert_comparator(Comparator comparator, double critical, double recovery, double value, bool recovers)
    {
        double breaching = critical + (critical - recovery) / 10;
        var alerted = new GroupRun(GroupRun.Options(critical: critical, criticalRecovery: recovery), comparator);
        Assert.Single(alerted.At(0, breaching));
        Assert.Equal(recovers, alerted.At(1, value) is [{ Next: AlertState.Ok }]);
        Assert.Equal(recovers ? AlertState.Ok : AlertState.Alert, alerted.State.State);

        // The same rule for warning_recovery, one step further from critical.
        double step = critical - recovery;
        var warning = new GroupRun(GroupRun.Options(critical: critical + step, warning: critical, warningRecovery: recovery), comparator);
        Assert.Equal(AlertState.Warn, Assert.Single(warning.At(0, breaching)).Next);
        Assert.Equal(recovers, warning.At(1, value) is [{ Next: AlertState.Ok }]);
    }

    [Fact]
    public void Below_comparator_alerts_on_low_values_and_recovers_above_recovery_threshold()
    {
        var run = new GroupRun(GroupRun.Options(critical: 10, criticalRecovery: 20), Comparator.LessOrEqual);
        Assert.Empty(run.At(0, 11));
        Assert.Equal(AlertState.Alert, Assert.Single(run.At(1, 10)).Next);
        Assert.Empty(run.At(2, 20));
        Assert.Equal(AlertState.Ok, Assert.Single(run.At(3, 20.5)).Next);
    }

    [Fact]
    public void For_duration_holds_pending_until_elapsed()
    {
        var options = GroupRun.Options(critical: 90);
        options.ForMs = 5 * Minute;
        var run = new GroupRun(options);
        Assert.Empty(run.At(0, 95));
        Assert.True(run.State.IsPending);
        Assert.Equal(AlertState.Ok, run.State.State);
        Assert.Empty(run.At(4, 95));
        var alert = Assert.Single(run.At(5, 95));
        Assert.Equal((AlertState.Alert, TransitionReason.PendingElapsed), (alert.Next, alert.Reason));
        Assert.False(run.State.IsPending);
    }

    [Fact]
    public void For_duration_restarts_when_condition_breaks()
    {
        var options = GroupRun.Options(critical: 90);
        options.ForMs = 5 * Minute;
        var run = new GroupRun(options);
        Assert.Empty(run.At(0, 95));
        Assert.Empty(run.At(3, 50));
        Assert.False(run.State.IsPending);
        Assert.Empty(run.At(4, 95));
        Assert.Empty(run.At(8, 95));
        Assert.Single(run.At(9, 95));
    }

    [Fact]
    public void Keep_firing_for_delays_recovery()
    {
        var options = GroupRun.Options(critical: 90);
        options.KeepFiringForMs = 10 * Minute;
        var run = new GroupRun(options);
        Assert.Single(run.At(0, 95));
        Assert.Empty(run.At(1, 50));
        Assert.Empty(run.At(10, 50));
        Assert.Equal(AlertState.Alert, run.State.State);
        var ok = Assert.Single(run.At(11, 50));
        Assert.Equal((AlertState.Ok, TransitionReason.KeepFiringForElapsed), (ok.Next, ok.Reason));
    }

    [Fact]
    public void Keep_firing_for_restarts_when_condition_returns()
    {
        var options = GroupRun.Options(critical: 90);
        options.KeepFiringForMs = 10 * Minute;
        var run = new GroupRun(options);
        Assert.Single(run.At(0, 95));
        Assert.Empty(run.At(1, 50));
        Assert.Empty(run.At(5, 95));
        Assert.Empty(run.At(6, 50));
        Assert.Empty(run.At(15, 50));
        Assert.Single(run.At(16, 50));
    }

    [Fact]
    public void No_data_after_timeframe_when_notify_no_data()
    {
        var options = GroupRun.Options(critical: 90);
        options.NotifyNoData = true;
        options.NoDataTimeframeMs = 10 * Minute;
        var run = new GroupRun(options);
        Assert.Single(run.At(0, 95));
        Assert.Empty(run.At(5, null));
        Assert.Empty(run.At(9, null));
        var noData = Assert.Single(run.At(10, null));
        Assert.Equal((AlertState.Alert, AlertState.NoData, TransitionReason.NoData), (noData.Previous, noData.Next, noData.Reason));
        Assert.True(double.IsNaN(noData.Value));
    }

    [Fact]
    public void Data_returning_after_no_data_recovers_to_ok()
    {
        var options = GroupRun.Options(critical: 90);
        options.NotifyNoData = true;
        options.NoDataTimeframeMs = 10 * Minute;
        var run = new GroupRun(options);
        Assert.Single(run.At(10, null));
        var back = Assert.Single(run.At(11, 20));
        Assert.Equal((AlertState.NoData, AlertState.Ok, TransitionReason.Recovered), (back.Previous, back.Next, back.Reason));
    }

    [Fact]
    public void No_data_ignored_without_notify_no_data()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90));
        Assert.Single(run.At(0, 95));
        for (int m = 1; m < 600; m += 60)
        {
            Assert.Empty(run.At(m, null));
        }

        Assert.Equal(AlertState.Alert, run.State.State);
    }

    [Fact]
    public void New_group_delay_suppresses_early_transitions()
    {
        var options = GroupRun.Options(critical: 90);
        options.NewGroupDelayMs = 5 * Minute;
        var run = new GroupRun(options);
        Assert.Empty(run.At(0, 95));
        Assert.Empty(run.At(4.9, 95));
        Assert.Single(run.At(5, 95));
    }

    [Fact]
    public void Require_full_window_skips_partial_windows()
    {
        var options = GroupRun.Options(critical: 90);
        options.RequireFullWindow = true;
        var run = new GroupRun(options);
        Assert.Empty(run.At(0, 95, fullWindow: false));
        Assert.Single(run.At(1, 95, fullWindow: true));
        Assert.Empty(run.At(2, 10, fullWindow: false));
        Assert.Equal(AlertState.Alert, run.State.State);
    }

    [Fact]
    public void Renotify_every_interval_while_alerting()
    {
        var options = GroupRun.Options(critical: 90);
        options.RenotifyIntervalMs = 10 * Minute;
        var run = new GroupRun(options);
        Assert.Single(run.At(0, 95));
        Assert.Empty(run.At(9, 95));
        var again = Assert.Single(run.At(10, 95));
        Assert.Equal((AlertState.Alert, AlertState.Alert, TransitionReason.Renotify, true), (again.Previous, again.Next, again.Reason, again.IsRenotification));
        Assert.False(again.ChangesState);
        Assert.Empty(run.At(19, 95));
        Assert.Single(run.At(20, 95));
    }

    [Fact]
    public void Renotify_stops_after_occurrences()
    {
        var options = GroupRun.Options(critical: 90);
        options.RenotifyIntervalMs = Minute;
        options.RenotifyOccurrences = 2;
        var run = new GroupRun(options);
        for (int m = 0; m <= 10; m++)
        {
            run.At(m, 95);
        }

        Assert.Equal(2, run.Events.Count(e => e.IsRenotification));
        Assert.Single(run.At(11, 10));
        run.At(12, 95);
        run.At(13, 95);
        Assert.Equal(3, run.Events.Count(e => e.IsRenotification));
    }

    [Fact]
    public void Renotify_skips_states_not_in_renotify_statuses()
    {
        var options = GroupRun.Options(critical: 90, warning: 80);
        options.RenotifyIntervalMs = Minute;
        var run = new GroupRun(options);
        run.At(0, 85);
        Assert.Empty(run.At(5, 85));
        options.RenotifyStatuses.Add("warn");
        var warnRun = new GroupRun(options);
        warnRun.At(0, 85);
        Assert.True(Assert.Single(warnRun.At(5, 85)).IsRenotification);
    }

    [Fact]
    public void Timeout_keeps_alert_while_the_group_still_reports_breaching_values()
    {
        var options = GroupRun.Options(critical: 90);
        options.TimeoutMs = 60 * Minute;
        var run = new GroupRun(options);
        Assert.Single(run.At(0, 95));
        for (int m = 1; m <= 180; m++)
        {
            Assert.Empty(run.At(m, 95));
        }

        Assert.Equal(AlertState.Alert, run.State.State);
    }

    [Fact]
    public void Timeout_auto_resolves_one_timeout_after_the_last_point_and_stale_values_do_not_re_trigger()
    {
        var options = GroupRun.Options(critical: 90);
        options.TimeoutMs = 60 * Minute;
        var run = new GroupRun(options);
        Assert.Single(run.At(0, 95));
        Assert.Empty(run.At(10, 95));
        Assert.Empty(run.At(40, null));
        Assert.Empty(run.At(69.9, EvaluationOutcome.Of(95, GroupRun.Time(10))));
        var resolved = Assert.Single(run.At(70, null));
        Assert.Equal((AlertState.Alert, AlertState.Ok, TransitionReason.AutoResolved), (resolved.Previous, resolved.Next, resolved.Reason));

        // A window still holding the old breaching points asserts nothing; a fresh point does.
        Assert.Empty(run.At(71, EvaluationOutcome.Of(95, GroupRun.Time(10))));
        Assert.Equal(AlertState.Alert, Assert.Single(run.At(72, 95)).Next);
    }

    [Fact]
    public void No_data_is_reported_one_timeframe_after_the_last_point_even_while_the_window_has_values()
    {
        var options = GroupRun.Options(critical: 90);
        options.NotifyNoData = true;
        options.NoDataTimeframeMs = 10 * Minute;
        var run = new GroupRun(options);
        Assert.Single(run.At(0, 95));
        Assert.Empty(run.At(9.9, EvaluationOutcome.Of(95, GroupRun.Time(0))));
        var noData = Assert.Single(run.At(10, EvaluationOutcome.Of(95, GroupRun.Time(0))));
        Assert.Equal((AlertState.Alert, AlertState.NoData, TransitionReason.NoData), (noData.Previous, noData.Next, noData.Reason));
        var back = Assert.Single(run.At(11, 20));
        Assert.Equal((AlertState.NoData, AlertState.Ok, TransitionReason.Recovered), (back.Previous, back.Next, back.Reason));
    }

    [Fact]
    public void No_data_clock_runs_from_the_end_of_the_delayed_window()
    {
        var options = GroupRun.Options(critical: 90);
        options.NotifyNoData = true;
        options.NoDataTimeframeMs = 10 * Minute;
        options.EvaluationDelayMs = 5 * Minute;
        var run = new GroupRun(options);
        Assert.Empty(run.At(5, EvaluationOutcome.Of(20, GroupRun.Time(0))));
        Assert.Empty(run.At(14.9, null));
        Assert.Equal(AlertState.NoData, Assert.Single(run.At(15, null)).Next);
    }

    [Fact]
    public void Flapping_suppresses_notifications_but_not_transitions()
    {
        var options = GroupRun.Options(critical: 90);
        options.FlapDetection = true;
        options.FlapLowPercent = 20;
        options.FlapHighPercent = 40;
        var run = new GroupRun(options);
        for (int m = 0; m < 12; m++)
        {
            Assert.Single(run.At(m, m % 2 == 0 ? 95 : 10));
        }

        Assert.True(run.State.Flapping);
        Assert.Equal(12, run.Events.Count);
        Assert.Contains(run.Events, e => e.Notify);
        Assert.False(run.Events[^1].Notify);
        Assert.True(run.Events[^1].Flags.HasFlag(GroupFlags.Flapping));
    }

    [Fact]
    public void Flapping_stops_when_changes_fall_below_low_threshold()
    {
        var options = GroupRun.Options(critical: 90);
        options.FlapDetection = true;
        options.FlapLowPercent = 20;
        options.FlapHighPercent = 40;
        var run = new GroupRun(options);
        for (int m = 0; m < 12; m++)
        {
            run.At(m, m % 2 == 0 ? 95 : 10);
        }

        int minute = 12;
        while (run.State.Flapping)
        {
            run.At(minute++, 10);
            Assert.True(minute < 40, "flapping never stopped");
        }

        Assert.True(FlapHistory.PercentStateChange(run.State.FlapHistoryBits) < 20);
        Assert.True(Assert.Single(run.At(minute, 95)).Notify);
    }

    [Fact]
    public void Flap_percent_weights_changes_from_0_8_oldest_to_1_2_newest()
    {
        ulong none = 0;
        Assert.Equal(0, FlapHistory.PercentStateChange(none));
        ulong newestChange = FlapHistory.Push(none, AlertState.Alert);
        Assert.Equal(1.2 * 100 / 20, FlapHistory.PercentStateChange(newestChange), 12);
        ulong alternating = 0;
        for (int i = 0; i < FlapHistory.Length; i++)
        {
            alternating = FlapHistory.Push(alternating, i % 2 == 0 ? AlertState.Alert : AlertState.Ok);
        }

        Assert.Equal(100.0, FlapHistory.PercentStateChange(alternating));
        ulong oldestChangeOnly = newestChange;
        for (int i = 0; i < FlapHistory.Length - 2; i++)
        {
            oldestChangeOnly = FlapHistory.Push(oldestChangeOnly, AlertState.Alert);
        }

        Assert.Equal(0.8 * 100 / 20, FlapHistory.PercentStateChange(oldestChangeOnly), 12);
    }

    [Fact]
    public void Downtime_mutes_notifications_but_not_transitions()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90));
        var muted = new MuteStatus(true, false);
        var alert = Assert.Single(run.At(0, 95, mute: muted));
        Assert.Equal(AlertState.Alert, alert.Next);
        Assert.False(alert.Notify);
        Assert.True(alert.Flags.HasFlag(GroupFlags.Muted));
        Assert.True(Assert.Single(run.At(1, 10)).Notify);
    }

    [Fact]
    public void Monitor_mute_suppresses_every_groups_notifications_but_not_transitions()
    {
        var options = GroupRun.Options(critical: 90);
        options.Muted = true;
        options.RenotifyIntervalMs = Minute;
        var run = new GroupRun(options);
        var alert = Assert.Single(run.At(0, 95));
        Assert.Equal((AlertState.Alert, false, true), (alert.Next, alert.Notify, alert.Flags.HasFlag(GroupFlags.Muted)));
        Assert.False(Assert.Single(run.At(1, 95)).Notify);

        options.Muted = false;
        Assert.Empty(run.Edit(1.5, MonitorRules.FromProto("m1", MonitorKind.Metric, 1, Comparator.Greater, options)));
        var ok = Assert.Single(run.At(2, 10));
        Assert.Equal((AlertState.Ok, true), (ok.Next, ok.Notify));
    }

    [Fact]
    public void An_edit_that_mutes_the_monitor_mutes_its_own_reset_event()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90));
        Assert.True(Assert.Single(run.At(0, 95)).Notify);
        var options = GroupRun.Options(critical: 90);
        options.Muted = true;

        var reset = Assert.Single(run.Edit(1, MonitorRules.FromProto("m1", MonitorKind.Metric, 2, Comparator.Greater, options)));

        Assert.Equal((TransitionReason.MonitorEdited, false), (reset.Reason, reset.Notify));
    }

    [Fact]
    public void Downtime_end_while_alerting_emits_notification()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90));
        run.Mute(0, new MuteStatus(true, true));
        Assert.Single(run.At(1, 95, mute: new MuteStatus(true, false)));
        var end = Assert.Single(run.Mute(2, MuteStatus.None));
        Assert.Equal((AlertState.Alert, AlertState.Alert, TransitionReason.DowntimeEndedWhileAlerting, true), (end.Previous, end.Next, end.Reason, end.Notify));
        Assert.Equal(2UL, end.TransitionNumber);
    }

    [Fact]
    public void Downtime_end_while_ok_or_without_the_option_emits_nothing()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90));
        run.Mute(0, new MuteStatus(true, true));
        Assert.Empty(run.Mute(1, MuteStatus.None));
        run.Mute(2, new MuteStatus(true, false));
        run.At(3, 95, mute: new MuteStatus(true, false));
        Assert.Empty(run.Mute(4, MuteStatus.None));
    }

    [Fact]
    public void Weekly_downtime_mutes_only_inside_its_window_and_reports_its_end_while_alerting()
    {
        // T0 (2023-11-14 22:13:20 UTC) is a Tuesday; the window is Tuesdays 22:30 for one hour.
        var downtimes = new DowntimeSet();
        downtimes.Upsert(DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = 0, Recurrence = "weekly days=tue start=22:30 duration=1h", NotifyEndIfAlerting = true }));
        var run = new GroupRun(GroupRun.Options(critical: 90));
        string[] tags = ["host:a"];
        MuteStatus MuteAt(double minutes) => downtimes.Evaluate("m1", "host:a", tags, GroupRun.Time(minutes));

        Assert.True(Assert.Single(run.At(0, 95, mute: MuteAt(0))).Notify);
        Assert.True(Assert.Single(run.At(10, 10, mute: MuteAt(10))).Notify);
        Assert.True(MuteAt(20).Muted);
        var mutedAlert = Assert.Single(run.At(20, 95, mute: MuteAt(20)));
        Assert.Equal((AlertState.Alert, false), (mutedAlert.Next, mutedAlert.Notify));
        Assert.Empty(run.Mute(60, MuteAt(60)));
        var end = Assert.Single(run.Mute(77, MuteAt(77)));
        Assert.Equal((TransitionReason.DowntimeEndedWhileAlerting, true), (end.Reason, end.Notify));
        Assert.False(MuteAt(7 * 24 * 60).Muted);
        Assert.True(MuteAt((7 * 24 * 60) + 20).Muted);
    }

    [Fact]
    public void Edit_that_keeps_the_query_keeps_state()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90));
        run.At(0, 95);
        var stricter = MonitorRules.FromProto("m1", MonitorKind.Metric, 1, Comparator.Greater, GroupRun.Options(critical: 99));
        Assert.Empty(run.Edit(1, stricter));
        Assert.Equal(AlertState.Alert, run.State.State);
        Assert.Equal(AlertState.Ok, Assert.Single(run.At(2, 95)).Next);
    }

    [Fact]
    public void Edit_that_changes_the_metric_resets_with_reason()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90));
        run.At(0, 95);
        var otherMetric = MonitorRules.FromProto("m1", MonitorKind.Metric, 2, Comparator.Greater, GroupRun.Options(critical: 90));
        var reset = Assert.Single(run.Edit(1, otherMetric));
        Assert.Equal((AlertState.Alert, AlertState.Ok, TransitionReason.MonitorEdited), (reset.Previous, reset.Next, reset.Reason));
        Assert.Equal(AlertState.Alert, Assert.Single(run.At(2, 95)).Next);
    }

    [Fact]
    public void Delete_ends_open_alert_with_deleted_reason()
    {
        var run = new GroupRun(GroupRun.Options(critical: 90));
        run.At(0, 95);
        var end = Assert.Single(run.Delete(1));
        Assert.Equal((AlertState.Alert, AlertState.Ok, TransitionReason.MonitorDeleted), (end.Previous, end.Next, end.Reason));
        var okRun = new GroupRun(GroupRun.Options(critical: 90));
        okRun.At(0, 5);
        Assert.Empty(okRun.Delete(1));
    }

    [Fact]
    public void Transition_ids_are_sequential_and_stable()
    {
        static List<TransitionEvent> Play()
        {
            var options = GroupRun.Options(critical: 90);
            options.RenotifyIntervalMs = Minute;
            var run = new GroupRun(options);
            double[] values = [95, 95, 10, 95, 10, 95, 95];
            for (int m = 0; m < values.Length; m++)
            {
                run.At(m, values[m]);
            }

            return run.Events;
        }

        var first = Play();
        Assert.Equal(Enumerable.Range(1, first.Count).Select(i => (ulong)i), first.Select(e => e.TransitionNumber));
        Assert.All(first, e => Assert.Equal(("m1", "host:a"), (e.MonitorId, e.GroupKey)));
        Assert.Contains(first, e => e.IsRenotification);
        Assert.Equal(first, Play());
    }

    [Fact]
    public void Check_statuses_map_to_levels_and_drive_states()
    {
        var rules = MonitorRules.FromProto("c1", MonitorKind.Check, 7, Comparator.Greater, new MonitorOptions());
        Assert.Equal((Comparator.GreaterOrEqual, 2.0, (double?)1.0), (rules.Comparator, rules.Critical, rules.Warning));
        var run = new GroupRun(rules);
        double? Level(CheckStatus s)
        {
            var o = CheckStatusAdapter.ToOutcome(s, GroupRun.T0);
            return o.HasValue ? o.Value : null;
        }

        Assert.Empty(run.At(0, Level(CheckStatus.Ok)));
        Assert.Equal(AlertState.Warn, Assert.Single(run.At(1, Level(CheckStatus.Warn))).Next);
        Assert.Equal(AlertState.Alert, Assert.Single(run.At(2, Level(CheckStatus.Critical))).Next);
        Assert.Empty(run.At(3, Level(CheckStatus.Unknown)));
        Assert.Equal(AlertState.Ok, Assert.Single(run.At(4, Level(CheckStatus.Ok))).Next);
    }

    [Fact]
    public void Evaluate_allocates_nothing_in_steady_state()
    {
        var options = GroupRun.Options(critical: 90, warning: 80, criticalRecovery: 85);
        options.FlapDetection = true;
        options.RenotifyIntervalMs = Minute;
        options.ForMs = Minute;
        var rules = MonitorRules.FromProto("m1", MonitorKind.Metric, 1, Comparator.Greater, options);
        var state = GroupState.Create("host:a", GroupRun.T0);
        var sink = new CountingSink();
        Run(rules, ref state, ref sink, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(rules, ref state, ref sink, 1000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sink.Count > 100);

        static void Run(MonitorRules rules, ref GroupState state, ref CountingSink sink, int offset)
        {
            for (int i = offset; i < offset + 1000; i++)
            {
                var outcome = EvaluationOutcome.Of(Values[i % Values.Length], GroupRun.T0 + (i * Minute));
                StateProcessor.Evaluate(rules, ref state, GroupRun.T0 + (i * Minute), in outcome, new MuteStatus(i % 50 < 5, true), i, ref sink);
            }
        }
    }

    private static readonly double[] Values = [10, 10, 10, 85, 85, 85, 95, 95, 95, 95];

    private struct CountingSink : ITransitionSink
    {
        public int Count;

        public void Emit(in TransitionEvent transition) => Count++;
    }
}
