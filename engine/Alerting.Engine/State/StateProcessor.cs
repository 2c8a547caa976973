namespace Alerting.Engine.State;

/// <summary>
/// Decides when a monitor group changes state and emits its events. Stateless: every method takes the
/// monitor's <see cref="MonitorRules"/> and the group's <see cref="GroupState"/> by ref, and emits into a
/// struct sink, so one evaluation allocates nothing. The exact rules are in docs/state-processor.md;
/// the order of the steps in <see cref="Evaluate"/> is part of them.
/// </summary>
public static class StateProcessor
{
    /// <summary>
    /// Applies one evaluation of the group at logical time <paramref name="nowMs"/> (non-decreasing per
    /// group). Emits at most one event for the evaluation itself, preceded by at most one downtime-end
    /// notification from the mute update.
    /// </summary>
    public static void Evaluate<TSink>(
        MonitorRules rules,
        ref GroupState state,
        long nowMs,
        in EvaluationOutcome outcome,
        MuteStatus mute,
        long logIndex,
        ref TSink sink)
        where TSink : struct, ITransitionSink
    {
        ArgumentNullException.ThrowIfNull(rules);
        Invariant.Check(state.GroupKey is not null, "group states are made by GroupState.Create");
        Invariant.Check(nowMs >= state.FirstSeenMs, "a group is not evaluated before it was first seen");
        Invariant.Check(!outcome.HasValue || !double.IsNaN(outcome.Value), "an outcome with a value is never NaN");

        UpdateMute(rules, ref state, nowMs, mute, logIndex, ref sink);
        if (outcome.NewestPointMs > state.LastDataMs)
        {
            state.LastDataMs = outcome.NewestPointMs;
        }

        if (nowMs < state.FirstSeenMs + rules.NewGroupDelayMs)
        {
            return;
        }

        double value = outcome.HasValue ? outcome.Value : double.NaN;
        AlertState previous = state.State;
        bool emit = false;
        var reason = TransitionReason.ThresholdCrossed;
        double threshold = double.NaN;
        bool renotify = false;

        long silentMs = SilentMs(rules, in state, nowMs);
        if (rules.TimeoutMs > 0
            && state.State is AlertState.Alert or AlertState.Warn
            && silentMs >= rules.TimeoutMs)
        {
            // Datadog timeout_h: a triggered group whose data stopped resolves timeout after its last point.
            ChangeState(ref state, AlertState.Ok, nowMs);
            state.ConditionLevel = AlertState.Ok;
            emit = true;
            reason = TransitionReason.AutoResolved;
        }
        else
        {
            if (TryCondition(rules, ref state, silentMs, in outcome, out AlertState condition))
            {
                state.ConditionLevel = condition;
                emit = ApplyCondition(rules, ref state, condition, nowMs, out reason, out threshold);
            }

            if (!emit && ShouldRenotify(rules, in state, nowMs))
            {
                state.LastNotifyMs = nowMs;
                state.RenotifyCount++;
                emit = true;
                renotify = true;
                reason = TransitionReason.Renotify;
            }
        }

        state.FlapHistoryBits = FlapHistory.Push(state.FlapHistoryBits, state.State);
        UpdateFlapping(rules, ref state);
        if (emit)
        {
            Emit(rules, ref state, previous, value, threshold, nowMs, logIndex, reason, renotify, ref sink);
        }
    }

    /// <summary>
    /// Records whether downtimes, or the monitor's own mute, cover the group now. When the group leaves a
    /// muted period whose downtimes asked for a notification at their end (Datadog v2 <c>notify_end_types</c>
    /// and <c>notify_end_states</c>) and it is in one of those states, emits a notification event: the
    /// states asked for on cancel when a canceled downtime selected the group, else those asked for on expiry.
    /// Call it whenever coverage may have changed (downtime upserted, deleted, or a boundary passed on a
    /// tick); <see cref="Evaluate"/> calls it too.
    /// </summary>
    public static void UpdateMute<TSink>(MonitorRules rules, ref GroupState state, long nowMs, MuteStatus mute, long logIndex, ref TSink sink)
        where TSink : struct, ITransitionSink
    {
        ArgumentNullException.ThrowIfNull(rules);
        bool muted = mute.Muted || rules.Muted;
        bool endNotify = state.Muted && !muted
            && (mute.EndedByCancel ? state.EndNotifyOnCancel : state.EndNotifyOnExpire).Includes(state.State);
        var wasMuted = state.Muted;
        state.EndNotifyOnExpire = muted ? (wasMuted ? state.EndNotifyOnExpire : DowntimeEndStates.None) | mute.EndOnExpire : DowntimeEndStates.None;
        state.EndNotifyOnCancel = muted ? (wasMuted ? state.EndNotifyOnCancel : DowntimeEndStates.None) | mute.EndOnCancel : DowntimeEndStates.None;
        state.Muted = muted;
        if (endNotify)
        {
            Emit(rules, ref state, state.State, double.NaN, double.NaN, nowMs, logIndex, TransitionReason.DowntimeEndedWhileAlerting, renotify: false, ref sink);
        }
    }

    /// <summary>
    /// Applies an edit of the monitor. When the kind or the query changed, the state no longer means
    /// anything: a non-OK group goes to OK with <see cref="TransitionReason.MonitorEdited"/> and all
    /// condition memory is reset. Otherwise the state is kept and the new rules apply at the next evaluation.
    /// </summary>
    public static void OnMonitorEdited<TSink>(MonitorRules oldRules, MonitorRules newRules, ref GroupState state, long nowMs, long logIndex, ref TSink sink)
        where TSink : struct, ITransitionSink
    {
        ArgumentNullException.ThrowIfNull(oldRules);
        ArgumentNullException.ThrowIfNull(newRules);
        Invariant.Check(oldRules.MonitorId == newRules.MonitorId, "an edit keeps the monitor id");
        if (newRules.Muted)
        {
            // An edit that mutes the monitor mutes its own reset event too; unmuting waits for the next mute update.
            state.Muted = true;
        }

        if (!EditResetsGroups(oldRules, newRules))
        {
            return;
        }

        if (state.State != AlertState.Ok)
        {
            AlertState previous = state.State;
            ChangeState(ref state, AlertState.Ok, nowMs);
            Emit(newRules, ref state, previous, double.NaN, double.NaN, nowMs, logIndex, TransitionReason.MonitorEdited, renotify: false, ref sink);
        }

        state.ConditionLevel = AlertState.Ok;
        state.PendingSinceMs = GroupState.NotSet;
        state.KeepFiringSinceMs = GroupState.NotSet;
        state.FlapHistoryBits = 0;
        state.Flapping = false;
    }

    /// <summary>
    /// Whether <see cref="OnMonitorEdited{TSink}"/> changes anything a group holds: the edit mutes the monitor, or
    /// changes what it measures. A new threshold, message or option over the same query changes no group.
    /// </summary>
    public static bool EditChangesGroups(MonitorRules oldRules, MonitorRules newRules)
    {
        ArgumentNullException.ThrowIfNull(oldRules);
        ArgumentNullException.ThrowIfNull(newRules);
        return newRules.Muted || EditResetsGroups(oldRules, newRules);
    }

    /// <summary>
    /// Whether <see cref="OnMonitorEdited{TSink}"/> resets a non-OK group to OK under this edit: it changes what the
    /// monitor measures (its kind or its query). A mute alone changes a group without resetting it.
    /// </summary>
    public static bool EditResetsGroups(MonitorRules oldRules, MonitorRules newRules)
    {
        ArgumentNullException.ThrowIfNull(oldRules);
        ArgumentNullException.ThrowIfNull(newRules);
        return oldRules.Kind != newRules.Kind || oldRules.QueryHash != newRules.QueryHash;
    }

    /// <summary>The monitor is deleted: an open (non-OK) group ends with a <see cref="TransitionReason.MonitorDeleted"/> event, never silently.</summary>
    public static void OnMonitorDeleted<TSink>(MonitorRules rules, ref GroupState state, long nowMs, long logIndex, ref TSink sink)
        where TSink : struct, ITransitionSink
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (state.State == AlertState.Ok)
        {
            return;
        }

        AlertState previous = state.State;
        ChangeState(ref state, AlertState.Ok, nowMs);
        Emit(rules, ref state, previous, double.NaN, double.NaN, nowMs, logIndex, TransitionReason.MonitorDeleted, renotify: false, ref sink);
    }

    /// <summary>
    /// How long the group's data has been silent at the end of the evaluated window (now minus the
    /// evaluation delay): the time since its newest point, or since it was first seen.
    /// </summary>
    private static long SilentMs(MonitorRules rules, in GroupState state, long nowMs) => nowMs - rules.EvaluationDelayMs - state.LastDataMs;

    /// <summary>The condition this evaluation asserts, or false when it asserts nothing (keep the state).</summary>
    private static bool TryCondition(MonitorRules rules, ref GroupState state, long silentMs, in EvaluationOutcome outcome, out AlertState condition)
    {
        if ((rules.NotifyNoData && silentMs >= rules.NoDataTimeframeMs) || outcome.Unknown)
        {
            // (Or a check group whose UNKNOWN runs reached its unknown threshold: Datadog shows it UNKNOWN.)
            // Datadog: NO DATA no_data_timeframe after the last point, even while older points still fill the window.
            condition = AlertState.NoData;
            return true;
        }

        if (!outcome.HasValue && rules.OnMissingData != MissingData.Default)
        {
            // Datadog on_missing_data: an evaluation that finds no data shows NO DATA, or resolves.
            condition = rules.OnMissingData == MissingData.Resolve ? AlertState.Ok : AlertState.NoData;
            return true;
        }

        if (!outcome.HasValue || (rules.TimeoutMs > 0 && silentMs >= rules.TimeoutMs))
        {
            // No value, or only values older than the auto-resolve timeout: they must not re-trigger what it resolved.
            condition = state.ConditionLevel;
            return false;
        }

        if (rules.RequireFullWindow && !outcome.FullWindow)
        {
            condition = state.ConditionLevel;
            return false;
        }

        condition = Classify(rules, outcome.Value, state.ConditionLevel);
        return true;
    }

    /// <summary>Threshold classification with recovery-threshold hysteresis on the previous condition.</summary>
    internal static AlertState Classify(MonitorRules rules, double value, AlertState previousCondition)
    {
        bool critical = rules.Breaches(value, rules.Critical)
            || (previousCondition == AlertState.Alert && rules.CriticalRecovery is { } cr && !rules.Recovers(value, cr));
        if (critical)
        {
            return AlertState.Alert;
        }

        bool warning = rules.Warning is { } w
            && (rules.Breaches(value, w)
                || (previousCondition is AlertState.Warn or AlertState.Alert && rules.WarningRecovery is { } wr && !rules.Recovers(value, wr)));
        return warning ? AlertState.Warn : AlertState.Ok;
    }

    /// <summary>Moves the state toward <paramref name="condition"/> through the <c>for</c> and <c>keep_firing_for</c> filters.</summary>
    private static bool ApplyCondition(MonitorRules rules, ref GroupState state, AlertState condition, long nowMs, out TransitionReason reason, out double threshold)
    {
        AlertState current = state.State;
        reason = TransitionReason.ThresholdCrossed;
        threshold = double.NaN;
        if (condition == current)
        {
            state.PendingSinceMs = GroupState.NotSet;
            state.KeepFiringSinceMs = GroupState.NotSet;
            return false;
        }

        if (condition == AlertState.NoData)
        {
            reason = TransitionReason.NoData;
            ChangeState(ref state, AlertState.NoData, nowMs);
            return true;
        }

        if (current == AlertState.Alert)
        {
            // Condition is OK or WARN: leaving ALERT waits keep_firing_for (Prometheus).
            state.PendingSinceMs = GroupState.NotSet;
            reason = TransitionReason.Recovered;
            if (rules.KeepFiringForMs > 0)
            {
                if (state.KeepFiringSinceMs == GroupState.NotSet)
                {
                    state.KeepFiringSinceMs = nowMs;
                }

                if (nowMs - state.KeepFiringSinceMs < rules.KeepFiringForMs)
                {
                    return false;
                }

                reason = TransitionReason.KeepFiringForElapsed;
            }

            threshold = rules.CriticalRecovery ?? rules.Critical;
            ChangeState(ref state, condition, nowMs);
            return true;
        }

        if (condition is AlertState.Warn or AlertState.Alert)
        {
            // Escalation from OK, NO_DATA, or WARN to ALERT: the condition must hold for `for` (Prometheus pending).
            state.KeepFiringSinceMs = GroupState.NotSet;
            if (rules.ForMs > 0)
            {
                if (state.PendingSinceMs == GroupState.NotSet || state.PendingLevel != condition)
                {
                    state.PendingLevel = condition;
                    state.PendingSinceMs = nowMs;
                }

                if (nowMs - state.PendingSinceMs < rules.ForMs)
                {
                    return false;
                }

                reason = TransitionReason.PendingElapsed;
            }

            threshold = condition == AlertState.Alert ? rules.Critical : rules.Warning ?? double.NaN;
            ChangeState(ref state, condition, nowMs);
            return true;
        }

        Invariant.Check(condition == AlertState.Ok && current is AlertState.Warn or AlertState.NoData, "the remaining case is a recovery to OK from WARN or NO_DATA");
        reason = TransitionReason.Recovered;
        threshold = current == AlertState.Warn ? rules.WarningRecovery ?? rules.Warning ?? double.NaN : double.NaN;
        ChangeState(ref state, AlertState.Ok, nowMs);
        return true;
    }

    private static bool ShouldRenotify(MonitorRules rules, in GroupState state, long nowMs)
    {
        if (rules.RenotifyIntervalMs <= 0 || !InStatuses(rules.RenotifyStatuses, state.State))
        {
            return false;
        }

        return (rules.RenotifyOccurrences == 0 || state.RenotifyCount < rules.RenotifyOccurrences)
            && nowMs - state.LastNotifyMs >= rules.RenotifyIntervalMs;
    }

    private static bool InStatuses(RenotifyStatuses statuses, AlertState state) => state switch
    {
        AlertState.Alert => (statuses & RenotifyStatuses.Alert) != 0,
        AlertState.Warn => (statuses & RenotifyStatuses.Warn) != 0,
        AlertState.NoData => (statuses & RenotifyStatuses.NoData) != 0,
        _ => false,
    };

    private static void UpdateFlapping(MonitorRules rules, ref GroupState state)
    {
        if (!rules.FlapDetection)
        {
            state.Flapping = false;
            return;
        }

        double percent = FlapHistory.PercentStateChange(state.FlapHistoryBits);
        if (!state.Flapping && percent >= rules.FlapHighPercent)
        {
            state.Flapping = true;
        }
        else if (state.Flapping && percent < rules.FlapLowPercent)
        {
            state.Flapping = false;
        }
    }

    /// <summary>Every state change starts a new episode: pending and keep-firing end, renotification restarts.</summary>
    private static void ChangeState(ref GroupState state, AlertState next, long nowMs)
    {
        Invariant.Check(next != state.State, "a state change changes the state");
        state.State = next;
        state.StateSinceMs = nowMs;
        state.LastNotifyMs = nowMs;
        state.RenotifyCount = 0;
        state.PendingSinceMs = GroupState.NotSet;
        state.KeepFiringSinceMs = GroupState.NotSet;
    }

    private static void Emit<TSink>(
        MonitorRules rules,
        ref GroupState state,
        AlertState previous,
        double value,
        double threshold,
        long nowMs,
        long logIndex,
        TransitionReason reason,
        bool renotify,
        ref TSink sink)
        where TSink : struct, ITransitionSink
    {
        state.TransitionCount++;
        var transition = new TransitionEvent(
            rules.MonitorId,
            state.GroupKey,
            state.TransitionCount,
            previous,
            state.State,
            value,
            threshold,
            nowMs,
            logIndex,
            reason,
            state.Flags,
            Notify: !state.Muted && !state.Flapping && !(state.State == AlertState.NoData && rules.OnMissingData == MissingData.ShowNoData),
            IsRenotification: renotify);
        sink.Emit(in transition);
    }
}
