using Alerting.Engine.Monitors;
using Alerting.Protocol.Log;

namespace Alerting.Engine.State;

/// <summary>
/// The validated, immutable options of one monitor that the state processor needs. Built once per
/// upsert from the protobuf <see cref="MonitorOptions"/> by <see cref="FromProto"/>, which rejects
/// inconsistent options with the name of the offending field.
/// </summary>
public sealed class MonitorRules
{
    /// <summary>Upper bound of every duration option (366 days): longer values are typing mistakes and would overflow sums.</summary>
    public const long MaxDurationMs = 366L * 24 * 60 * 60 * 1000;

    /// <summary>Upper bound of <c>renotify_occurrences</c>.</summary>
    public const int MaxRenotifyOccurrences = 10_000;

    /// <summary>Lower bound of a set <c>group_retention_ms</c>: Datadog's minimum <c>group_retention_duration</c>, one hour.</summary>
    public const long MinGroupRetentionMs = 60L * 60 * 1000;

    /// <summary>Upper bound of <c>group_retention_ms</c>: Datadog's maximum, 72 hours.</summary>
    public const long MaxGroupRetentionMs = 72L * 60 * 60 * 1000;

    /// <summary>Nagios' default flap thresholds, used when flap detection is on and both percentages are 0.</summary>
    public const double DefaultFlapLowPercent = 5.0;

    public const double DefaultFlapHighPercent = 20.0;

    private MonitorRules(string monitorId)
    {
        MonitorId = monitorId;
    }

    public string MonitorId { get; }

    public MonitorKind Kind { get; private init; }

    /// <summary>
    /// Stable hash (e.g. XxHash64) of what the monitor measures — metric, scope, group-by and
    /// aggregations, not thresholds. When it changes on an edit the group state is no longer meaningful.
    /// </summary>
    public ulong QueryHash { get; private init; }

    public Comparator Comparator { get; private init; }

    public double Critical { get; private init; }

    public double? Warning { get; private init; }

    public double? CriticalRecovery { get; private init; }

    public double? WarningRecovery { get; private init; }

    public long NewGroupDelayMs { get; private init; }

    /// <summary>
    /// The monitor's evaluation delay: the window ends this long before the evaluation instant, so the
    /// no-data and auto-resolve clocks measure silence from the window's end too.
    /// </summary>
    public long EvaluationDelayMs { get; private init; }

    public bool RequireFullWindow { get; private init; }

    public bool NotifyNoData { get; private init; }

    /// <summary>Datadog <c>on_missing_data</c>.</summary>
    public MissingData OnMissingData { get; private init; }

    public long NoDataTimeframeMs { get; private init; }

    /// <summary>How long a group may go without a point before it is dropped (Datadog <c>group_retention_duration</c>); 0 = kept.</summary>
    public long GroupRetentionMs { get; private init; }

    /// <summary>0 = no renotification.</summary>
    public long RenotifyIntervalMs { get; private init; }

    public RenotifyStatuses RenotifyStatuses { get; private init; }

    /// <summary>0 = unlimited.</summary>
    public int RenotifyOccurrences { get; private init; }

    /// <summary>Auto-resolve timeout (Datadog <c>timeout_h</c>), measured from the group's last point; 0 = never.</summary>
    public long TimeoutMs { get; private init; }

    public long ForMs { get; private init; }

    public long KeepFiringForMs { get; private init; }

    public bool FlapDetection { get; private init; }

    public double FlapLowPercent { get; private init; }

    public double FlapHighPercent { get; private init; }

    /// <summary>Monitor-level mute (Datadog "mute monitor"): every group is muted as if a downtime covered it.</summary>
    public bool Muted { get; private init; }

    /// <summary>True for <c>&gt;</c> and <c>&gt;=</c>: alerts fire on high values, recoveries need lower ones.</summary>
    public bool IsAbove => Comparator is Comparator.Greater or Comparator.GreaterOrEqual;

    /// <summary>Builds and validates the rules. Check monitors without thresholds get the <see cref="CheckStatusAdapter"/> levels.</summary>
    /// <exception cref="OptionValidationException">An option is out of range or inconsistent; the exception names it.</exception>
    public static MonitorRules FromProto(string monitorId, MonitorKind kind, ulong queryHash, Comparator comparator, MonitorOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(monitorId);
        ArgumentNullException.ThrowIfNull(options);
        if (kind is not (MonitorKind.Metric or MonitorKind.Check or MonitorKind.Composite))
        {
            throw new OptionValidationException("type", $"must be metric, check or composite, was {kind}");
        }

        if (!Enum.IsDefined(comparator))
        {
            throw new OptionValidationException("comparator", $"unknown comparator {comparator}");
        }

        var t = options.Thresholds;
        double? critical = t is { HasCritical: true } ? t.Critical : null;
        double? warning = t is { HasWarning: true } ? t.Warning : null;
        double? criticalRecovery = t is { HasCriticalRecovery: true } ? t.CriticalRecovery : null;
        double? warningRecovery = t is { HasWarningRecovery: true } ? t.WarningRecovery : null;
        if (kind == MonitorKind.Check && critical is null && warning is null && criticalRecovery is null && warningRecovery is null)
        {
            comparator = CheckStatusAdapter.CheckComparator;
            critical = CheckStatusAdapter.CriticalLevel;
            warning = CheckStatusAdapter.WarningLevel;
            if (options.CheckThresholds is not null)
            {
                // Datadog service-check counts: ALERT and WARN end only with the OK streak (an OK verdict),
                // never because a milder streak completed (ALERT, then one OK, then one CRITICAL stays ALERT).
                criticalRecovery = CheckStatusAdapter.OkLevel + 0.5;
                warningRecovery = CheckStatusAdapter.OkLevel + 0.5;
            }
        }

        if (kind == MonitorKind.Composite)
        {
            // A composite's value is its expression's state on the check levels (OK 0, WARN 1, ALERT 2); it has no thresholds of its own.
            if (critical is not null || warning is not null || criticalRecovery is not null || warningRecovery is not null)
            {
                throw new OptionValidationException("thresholds", "a composite monitor has no thresholds: its state is its expression's");
            }

            comparator = CheckStatusAdapter.CheckComparator;
            critical = CheckStatusAdapter.CriticalLevel;
            warning = CheckStatusAdapter.WarningLevel;
        }

        if (critical is null)
        {
            throw new OptionValidationException("thresholds.critical", "is required");
        }

        RequireFinite("thresholds.critical", critical);
        RequireFinite("thresholds.warning", warning);
        RequireFinite("thresholds.critical_recovery", criticalRecovery);
        RequireFinite("thresholds.warning_recovery", warningRecovery);
        bool above = comparator is Comparator.Greater or Comparator.GreaterOrEqual;
        string lower = above ? "below" : "above";
        if (comparator is Comparator.Equal or Comparator.NotEqual)
        {
            // No side of == or != is "further": a recovery band means nothing, and a warning is
            // only another value (== 2 alerts at 2, warns at its warning value).
            if (criticalRecovery is not null || warningRecovery is not null)
            {
                throw new OptionValidationException(criticalRecovery is not null ? "thresholds.critical_recovery" : "thresholds.warning_recovery", $"is not allowed with comparator {comparator}");
            }

            if (warning is { } ew && (comparator == Comparator.NotEqual || ew.Equals(critical.Value)))
            {
                throw new OptionValidationException("thresholds.warning", comparator == Comparator.NotEqual
                    ? "is not allowed with comparator NotEqual (every value but one breaches)"
                    : $"must differ from the critical threshold {critical} for comparator Equal");
            }
        }
        else
        {
            if (warning is { } w && !StrictlyBeyondRecovery(above, critical.Value, w))
            {
                throw new OptionValidationException("thresholds.warning", $"must be {lower} the critical threshold {critical} for comparator {comparator}, was {w}");
            }

            if (criticalRecovery is { } cr && !StrictlyBeyondRecovery(above, critical.Value, cr))
            {
                throw new OptionValidationException("thresholds.critical_recovery", $"must be {lower} the critical threshold {critical} for comparator {comparator}, was {cr}");
            }
        }

        if (warningRecovery is { } wr)
        {
            if (warning is null)
            {
                throw new OptionValidationException("thresholds.warning_recovery", "needs a warning threshold");
            }

            if (!StrictlyBeyondRecovery(above, warning.Value, wr))
            {
                throw new OptionValidationException("thresholds.warning_recovery", $"must be {lower} the warning threshold {warning} for comparator {comparator}, was {wr}");
            }
        }

        RequireDuration("new_group_delay_ms", options.NewGroupDelayMs);
        RequireDuration("evaluation_delay_ms", options.EvaluationDelayMs);
        RequireDuration("no_data_timeframe_ms", options.NoDataTimeframeMs);
        RequireDuration("renotify_interval_ms", options.RenotifyIntervalMs);
        RequireDuration("timeout_ms", options.TimeoutMs);
        RequireDuration("for_ms", options.ForMs);
        RequireDuration("keep_firing_for_ms", options.KeepFiringForMs);
        if (options.GroupRetentionMs != 0 && options.GroupRetentionMs is < MinGroupRetentionMs or > MaxGroupRetentionMs)
        {
            throw new OptionValidationException("group_retention_ms", $"must be 0 (groups are kept) or in {MinGroupRetentionMs}..{MaxGroupRetentionMs} ms (1 h to 72 h, Datadog's bounds), was {options.GroupRetentionMs}");
        }

        if (options.NotifyNoData && options.NoDataTimeframeMs <= 0)
        {
            throw new OptionValidationException("no_data_timeframe_ms", "must be > 0 when notify_no_data is set");
        }

        if (options.RenotifyOccurrences is < 0 or > MaxRenotifyOccurrences)
        {
            throw new OptionValidationException("renotify_occurrences", $"must be in 0..{MaxRenotifyOccurrences} (0 = unlimited), was {options.RenotifyOccurrences}");
        }

        var statuses = RenotifyStatuses.None;
        foreach (string s in options.RenotifyStatuses)
        {
            statuses |= s switch
            {
                "alert" => RenotifyStatuses.Alert,
                "warn" => RenotifyStatuses.Warn,
                "no data" => RenotifyStatuses.NoData,
                _ => throw new OptionValidationException("renotify_statuses", $"allowed values are \"alert\", \"warn\", \"no data\"; got \"{s}\""),
            };
        }

        if (options.RenotifyStatuses.Count == 0)
        {
            statuses = RenotifyStatuses.Alert | RenotifyStatuses.NoData;
        }

        double low = options.FlapLowPercent;
        double high = options.FlapHighPercent;
        if (options.FlapDetection)
        {
            if (low == 0 && high == 0)
            {
                low = DefaultFlapLowPercent;
                high = DefaultFlapHighPercent;
            }

            if (!double.IsFinite(low) || !double.IsFinite(high) || low <= 0 || high > 100 || low >= high)
            {
                throw new OptionValidationException("flap_low_percent", $"flap thresholds must satisfy 0 < flap_low_percent < flap_high_percent <= 100, were {low} and {high}");
            }
        }

        var onMissingData = options.OnMissingData switch
        {
            "" or "default" => MissingData.Default,
            "show_no_data" => MissingData.ShowNoData,
            "show_and_notify_no_data" => MissingData.ShowAndNotifyNoData,
            "resolve" => MissingData.Resolve,
            _ => throw new OptionValidationException("on_missing_data", $"must be default, show_no_data, show_and_notify_no_data or resolve, was \"{options.OnMissingData}\""),
        };
        if (onMissingData != MissingData.Default && options.NotifyNoData)
        {
            throw new OptionValidationException("on_missing_data", "replaces notify_no_data (as in Datadog): set one of them");
        }

        return new MonitorRules(monitorId)
        {
            Kind = kind,
            QueryHash = queryHash,
            Comparator = comparator,
            Critical = critical.Value,
            Warning = warning,
            CriticalRecovery = criticalRecovery,
            WarningRecovery = warningRecovery,
            NewGroupDelayMs = options.NewGroupDelayMs,
            EvaluationDelayMs = options.EvaluationDelayMs,
            RequireFullWindow = options.RequireFullWindow,
            NotifyNoData = options.NotifyNoData,
            OnMissingData = onMissingData,
            NoDataTimeframeMs = options.NoDataTimeframeMs,
            RenotifyIntervalMs = options.RenotifyIntervalMs,
            RenotifyStatuses = statuses,
            RenotifyOccurrences = options.RenotifyOccurrences,
            TimeoutMs = options.TimeoutMs,
            ForMs = options.ForMs,
            KeepFiringForMs = options.KeepFiringForMs,
            FlapDetection = options.FlapDetection,
            FlapLowPercent = options.FlapDetection ? low : 0,
            FlapHighPercent = options.FlapDetection ? high : 0,
            Muted = options.Muted,
            GroupRetentionMs = options.GroupRetentionMs,
        };
    }

    /// <summary>True when <paramref name="value"/> breaches <paramref name="threshold"/> in the comparator's direction.</summary>
    public bool Breaches(double value, double threshold) => Comparator switch
    {
        Comparator.Greater => value > threshold,
        Comparator.GreaterOrEqual => value >= threshold,
        Comparator.Less => value < threshold,
        Comparator.LessOrEqual => value <= threshold,
        Comparator.Equal => value == threshold,
        Comparator.NotEqual => value != threshold,
        _ => throw new InvalidOperationException($"invariant: comparator {Comparator} was validated"),
    };

    /// <summary>
    /// True when <paramref name="value"/> reaches a recovery threshold. The recovery condition is the
    /// complement of the alert comparator, as in Datadog: alert <c>&gt;</c> recovers at <c>&lt;=</c>,
    /// <c>&gt;=</c> at <c>&lt;</c>, <c>&lt;</c> at <c>&gt;=</c>, <c>&lt;=</c> at <c>&gt;</c>. So with
    /// <c>&gt; 90</c> and <c>critical_recovery: 80</c>, exactly 80 recovers.
    /// </summary>
    public bool Recovers(double value, double recovery) => !Breaches(value, recovery);

    // A recovery or warning threshold must sit strictly on the non-alerting side of the one it relaxes.
    private static bool StrictlyBeyondRecovery(bool above, double threshold, double candidate) =>
        above ? candidate < threshold : candidate > threshold;

    private static void RequireFinite(string field, double? value)
    {
        if (value is { } v && !double.IsFinite(v))
        {
            throw new OptionValidationException(field, $"must be a finite number, was {v}");
        }
    }

    private static void RequireDuration(string field, long valueMs)
    {
        if (valueMs is < 0 or > MaxDurationMs)
        {
            throw new OptionValidationException(field, $"must be in 0..{MaxDurationMs} ms, was {valueMs}");
        }
    }
}
