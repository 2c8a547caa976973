using Alerting.Engine.Monitors;
using Alerting.Engine.State;

namespace Alerting.Engine.Tests.State;

/// <summary>
/// A naive model of docs/state-processor.md, written as plainly as possible and independently of
/// <see cref="StateProcessor"/>: full history lists, nullable timers, LINQ for flapping. Only the
/// option and event types are shared. The differential test requires both to emit identical events.
/// </summary>
internal sealed class ReferenceStateProcessor
{
    public sealed class Group(string key, long firstSeenMs)
    {
        public string Key { get; } = key;

        public long FirstSeenMs { get; } = firstSeenMs;

        public AlertState State { get; set; } = AlertState.Ok;

        public AlertState Condition { get; set; } = AlertState.Ok;

        public long LastDataMs { get; set; } = firstSeenMs;

        public long StateSinceMs { get; set; } = firstSeenMs;

        public (AlertState Level, long SinceMs)? Pending { get; set; }

        public long? KeepFiringSinceMs { get; set; }

        /// <summary>Times of the notifications of the current episode: its start, then every renotification.</summary>
        public List<long> EpisodeNotifications { get; } = [firstSeenMs];

        /// <summary>Every state recorded for flap detection since creation (or the last meaningful edit).</summary>
        public List<AlertState> History { get; } = [];

        public bool Flapping { get; set; }

        public bool Muted { get; set; }

        /// <summary>States the muted period's end notifies in when it expires / when it is canceled.</summary>
        public HashSet<AlertState> EndOnExpire { get; } = [];

        public HashSet<AlertState> EndOnCancel { get; } = [];

        public int EventCount { get; set; }
    }

    public List<TransitionEvent> Events { get; } = [];

    public void Evaluate(MonitorRules rules, Group g, long now, EvaluationOutcome outcome, MuteStatus mute, long logIndex)
    {
        UpdateMute(rules, g, now, mute, logIndex);
        if (outcome.NewestPointMs != EvaluationOutcome.NoPoint)
        {
            g.LastDataMs = Math.Max(g.LastDataMs, outcome.NewestPointMs);
        }

        // Datadog measures no data and timeout_h from the last data point, at the end of the (delayed) window.
        long windowEnd = now - rules.EvaluationDelayMs;
        bool silentFor(long durationMs) => windowEnd - g.LastDataMs >= durationMs;

        if (now < g.FirstSeenMs + rules.NewGroupDelayMs)
        {
            return;
        }

        var before = g.State;
        (TransitionReason Reason, double Threshold, bool Renotify)? happened = null;

        bool triggered = g.State == AlertState.Alert || g.State == AlertState.Warn;
        if (rules.TimeoutMs > 0 && triggered && silentFor(rules.TimeoutMs))
        {
            MoveTo(g, AlertState.Ok, now);
            g.Condition = AlertState.Ok;
            happened = (TransitionReason.AutoResolved, double.NaN, false);
        }
        else
        {
            AlertState? condition = null;
            if (rules.NotifyNoData && silentFor(rules.NoDataTimeframeMs))
            {
                condition = AlertState.NoData;
            }
            else if (outcome.HasValue && !(rules.TimeoutMs > 0 && silentFor(rules.TimeoutMs)) && !(rules.RequireFullWindow && !outcome.FullWindow))
            {
                condition = Classify(rules, outcome.Value, g.Condition);
            }

            if (condition is { } c)
            {
                g.Condition = c;
                happened = Step(rules, g, c, now);
            }

            if (happened is null && RenotifyDue(rules, g, now))
            {
                g.EpisodeNotifications.Add(now);
                happened = (TransitionReason.Renotify, double.NaN, true);
            }
        }

        g.History.Add(g.State);
        if (!rules.FlapDetection)
        {
            g.Flapping = false;
        }
        else
        {
            double percent = FlapPercent(g.History);
            if (g.Flapping)
            {
                g.Flapping = !(percent < rules.FlapLowPercent);
            }
            else
            {
                g.Flapping = percent >= rules.FlapHighPercent;
            }
        }

        if (happened is { } h)
        {
            Add(rules, g, before, outcome.HasValue ? outcome.Value : double.NaN, h.Threshold, now, logIndex, h.Reason, h.Renotify);
        }
    }

    public void UpdateMute(MonitorRules rules, Group g, long now, MuteStatus mute, long logIndex)
    {
        bool mutedNow = mute.Muted || rules.Muted;
        bool downtimeJustEnded = g.Muted && !mutedNow;
        bool notify = downtimeJustEnded && (mute.EndedByCancel ? g.EndOnCancel : g.EndOnExpire).Contains(g.State);
        if (!mutedNow)
        {
            g.EndOnExpire.Clear();
            g.EndOnCancel.Clear();
        }
        else
        {
            foreach (var (flag, state) in new[] { (DowntimeEndStates.Alert, AlertState.Alert), (DowntimeEndStates.Warn, AlertState.Warn), (DowntimeEndStates.NoData, AlertState.NoData) })
            {
                if ((mute.EndOnExpire & flag) != 0)
                {
                    g.EndOnExpire.Add(state);
                }

                if ((mute.EndOnCancel & flag) != 0)
                {
                    g.EndOnCancel.Add(state);
                }
            }
        }

        g.Muted = mutedNow;
        if (notify)
        {
            Add(rules, g, g.State, double.NaN, double.NaN, now, logIndex, TransitionReason.DowntimeEndedWhileAlerting, false);
        }
    }

    public void OnMonitorEdited(MonitorRules oldRules, MonitorRules newRules, Group g, long now, long logIndex)
    {
        if (newRules.Muted)
        {
            g.Muted = true;
        }

        bool meaningless = oldRules.Kind != newRules.Kind || oldRules.QueryHash != newRules.QueryHash;
        if (!meaningless)
        {
            return;
        }

        if (g.State != AlertState.Ok)
        {
            var before = g.State;
            MoveTo(g, AlertState.Ok, now);
            Add(newRules, g, before, double.NaN, double.NaN, now, logIndex, TransitionReason.MonitorEdited, false);
        }

        g.Condition = AlertState.Ok;
        g.Pending = null;
        g.KeepFiringSinceMs = null;
        g.History.Clear();
        g.Flapping = false;
    }

    public void OnMonitorDeleted(MonitorRules rules, Group g, long now, long logIndex)
    {
        if (g.State == AlertState.Ok)
        {
            return;
        }

        var before = g.State;
        MoveTo(g, AlertState.Ok, now);
        Add(rules, g, before, double.NaN, double.NaN, now, logIndex, TransitionReason.MonitorDeleted, false);
    }

    private static AlertState Classify(MonitorRules rules, double v, AlertState previous)
    {
        bool Crosses(double t) => rules.Comparator switch
        {
            Comparator.Greater => v > t,
            Comparator.GreaterOrEqual => v >= t,
            Comparator.Less => v < t,
            _ => v <= t,
        };
        // Datadog: the recovery condition is the complement of the alert comparator (> recovers at <=, >= at <, ...).
        bool StillBeyondRecovery(double r) => rules.Comparator switch
        {
            Comparator.Greater => !(v <= r),
            Comparator.GreaterOrEqual => !(v < r),
            Comparator.Less => !(v >= r),
            _ => !(v > r),
        };

        if (Crosses(rules.Critical))
        {
            return AlertState.Alert;
        }

        if (previous == AlertState.Alert && rules.CriticalRecovery.HasValue && StillBeyondRecovery(rules.CriticalRecovery.Value))
        {
            return AlertState.Alert;
        }

        if (rules.Warning.HasValue && Crosses(rules.Warning.Value))
        {
            return AlertState.Warn;
        }

        bool wasTriggered = previous == AlertState.Warn || previous == AlertState.Alert;
        if (rules.Warning.HasValue && wasTriggered && rules.WarningRecovery.HasValue && StillBeyondRecovery(rules.WarningRecovery.Value))
        {
            return AlertState.Warn;
        }

        return AlertState.Ok;
    }

    private static int Severity(AlertState s) => s switch
    {
        AlertState.Ok => 0,
        AlertState.Warn => 1,
        AlertState.Alert => 2,
        _ => -1,
    };

    private static (TransitionReason, double, bool)? Step(MonitorRules rules, Group g, AlertState condition, long now)
    {
        if (condition == g.State)
        {
            g.Pending = null;
            g.KeepFiringSinceMs = null;
            return null;
        }

        if (condition == AlertState.NoData)
        {
            MoveTo(g, AlertState.NoData, now);
            return (TransitionReason.NoData, double.NaN, false);
        }

        if (g.State == AlertState.Alert)
        {
            g.Pending = null;
            g.KeepFiringSinceMs ??= now;
            if (now - g.KeepFiringSinceMs.Value < rules.KeepFiringForMs)
            {
                return null;
            }

            var reason = rules.KeepFiringForMs > 0 ? TransitionReason.KeepFiringForElapsed : TransitionReason.Recovered;
            MoveTo(g, condition, now);
            return (reason, rules.CriticalRecovery ?? rules.Critical, false);
        }

        bool escalation = condition != AlertState.Ok && (g.State == AlertState.NoData || Severity(condition) > Severity(g.State));
        if (escalation)
        {
            g.KeepFiringSinceMs = null;
            if (g.Pending is null || g.Pending.Value.Level != condition)
            {
                g.Pending = (condition, now);
            }

            if (now - g.Pending.Value.SinceMs < rules.ForMs)
            {
                return null;
            }

            var reason = rules.ForMs > 0 ? TransitionReason.PendingElapsed : TransitionReason.ThresholdCrossed;
            double threshold = condition == AlertState.Alert ? rules.Critical : rules.Warning ?? double.NaN;
            MoveTo(g, condition, now);
            return (reason, threshold, false);
        }

        double recoveryThreshold = g.State == AlertState.Warn ? rules.WarningRecovery ?? rules.Warning ?? double.NaN : double.NaN;
        MoveTo(g, AlertState.Ok, now);
        return (TransitionReason.Recovered, recoveryThreshold, false);
    }

    private static bool RenotifyDue(MonitorRules rules, Group g, long now)
    {
        if (rules.RenotifyIntervalMs == 0)
        {
            return false;
        }

        var status = g.State switch
        {
            AlertState.Alert => RenotifyStatuses.Alert,
            AlertState.Warn => RenotifyStatuses.Warn,
            AlertState.NoData => RenotifyStatuses.NoData,
            _ => RenotifyStatuses.None,
        };
        if (status == RenotifyStatuses.None || !rules.RenotifyStatuses.HasFlag(status))
        {
            return false;
        }

        int renotificationsSoFar = g.EpisodeNotifications.Count - 1;
        if (rules.RenotifyOccurrences > 0 && renotificationsSoFar >= rules.RenotifyOccurrences)
        {
            return false;
        }

        return now - g.EpisodeNotifications[^1] >= rules.RenotifyIntervalMs;
    }

    /// <summary>
    /// Nagios: the last 21 states (padded with OK at the oldest end), 20 changes weighted 0.8 .. 1.2.
    /// Rounded to 9 decimals so the floating sum lands exactly on integer thresholds.
    /// </summary>
    private static double FlapPercent(List<AlertState> history)
    {
        var last21 = Enumerable.Repeat(AlertState.Ok, 21).Concat(history).TakeLast(21).ToList();
        double weighted = last21.Zip(last21.Skip(1))
            .Select((pair, i) => pair.First != pair.Second ? 0.8 + (0.4 * i / 19.0) : 0.0)
            .Sum();
        return Math.Round(weighted * 100.0 / 20.0, 9);
    }

    private static void MoveTo(Group g, AlertState next, long now)
    {
        g.State = next;
        g.StateSinceMs = now;
        g.EpisodeNotifications.Clear();
        g.EpisodeNotifications.Add(now);
        g.Pending = null;
        g.KeepFiringSinceMs = null;
    }

    private void Add(MonitorRules rules, Group g, AlertState before, double value, double threshold, long now, long logIndex, TransitionReason reason, bool renotify)
    {
        g.EventCount++;
        var flags = GroupFlags.None;
        if (g.Pending is not null)
        {
            flags |= GroupFlags.Pending;
        }

        if (g.Flapping)
        {
            flags |= GroupFlags.Flapping;
        }

        if (g.Muted)
        {
            flags |= GroupFlags.Muted;
        }

        Events.Add(new TransitionEvent(
            rules.MonitorId,
            g.Key,
            (ulong)g.EventCount,
            before,
            g.State,
            value,
            threshold,
            now,
            logIndex,
            reason,
            flags,
            Notify: !g.Muted && !g.Flapping,
            IsRenotification: renotify));
    }
}
