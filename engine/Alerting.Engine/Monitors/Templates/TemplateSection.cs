namespace Alerting.Engine.Monitors.Templates;

/// <summary>The conditions a section (<c>{{#name}}</c> or negated <c>{{^name}}</c>) can test, Datadog's names.</summary>
internal enum TemplateSection : byte
{
    /// <summary><c>is_alert</c>: the state is ALERT.</summary>
    IsAlert,

    /// <summary><c>is_warning</c>: the state is WARN.</summary>
    IsWarning,

    /// <summary><c>is_no_data</c>: the state is NO_DATA.</summary>
    IsNoData,

    /// <summary><c>is_recovery</c>: OK, coming from ALERT, WARN or NO_DATA (Datadog).</summary>
    IsRecovery,

    /// <summary><c>is_alert_recovery</c>: OK, coming from ALERT.</summary>
    IsAlertRecovery,

    /// <summary><c>is_warning_recovery</c>: OK, coming from WARN.</summary>
    IsWarningRecovery,

    /// <summary><c>is_alert_to_warning</c>: WARN, coming from ALERT.</summary>
    IsAlertToWarning,

    /// <summary><c>is_no_data_recovery</c>: any state but NO_DATA, coming from NO_DATA.</summary>
    IsNoDataRecovery,

    /// <summary><c>is_renotify</c>: the notification repeats an unchanged state.</summary>
    IsRenotify,

    /// <summary><c>is_muted</c>: a downtime or mute covers the group.</summary>
    IsMuted,

    /// <summary><c>is_match "subject" "pattern"…</c>: a pattern occurs in the subject's text (<c>*</c> for any run).</summary>
    IsMatch,

    /// <summary><c>is_exact_match "subject" "value"…</c>: the subject's text is one of the values (numbers by value).</summary>
    IsExactMatch,

    /// <summary><c>is_priority "P1"</c>: the monitor's priority is the one named.</summary>
    IsPriority,

    /// <summary><c>is_unknown</c>: a check monitor in NO DATA (this engine's form of a check's UNKNOWN).</summary>
    IsUnknown,
}
